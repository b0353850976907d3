"""What every chaos scenario does: a demo user, a run started and watched through the gateway
(answers of 503 while a backing service is down are waited out), messages sent straight to the
private broker, and the checks of a clean end."""
from __future__ import annotations

import time

import requests
from kombu import Connection, Producer

from services.cli.client import ApiError, LikelyClient
from shared.broker import topology
from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD

TERMINAL = ("done", "failed", "cancelled")


def demo_user(stack) -> LikelyClient:
    client = LikelyClient(stack.gateway_url, timeout=10)
    email = new_email()
    client.sign_up(email, PASSWORD)
    client.log_in(email, PASSWORD)
    client.connect_instagram("demo")
    client.email = email
    return client


def status(client, run_id) -> dict | None:
    """The run's status, or None while the gateway answers 503 (a backing service is down)."""
    try:
        return client.run(run_id)
    except (ApiError, requests.RequestException):
        return None


def wait_for(client, run_id, condition, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = status(client, run_id) or last
        if last and condition(last):
            return last
        time.sleep(0.25)
    raise AssertionError(f"run {run_id}: condition not met in {timeout:.0f} s; last status {last}")


def start_run(stack, say, *, done_before: int = 5):
    client = demo_user(stack)
    run_id = client.train()["run_id"]
    wait_for(client, run_id, lambda s: s["done"] >= done_before, 120)
    return client, run_id


def drained(infra) -> dict:
    """Queues holding anything (ready or unacked)."""
    return {name: counts for name, counts in infra.rabbit.queues().items() if any(counts)}


def settled(infra, timeout: float = 60.0) -> dict:
    """The queues still holding anything once they settle, or after `timeout` seconds: an ack
    may trail the record a handler wrote, and a message already published is on its way."""
    deadline = time.monotonic() + timeout
    while (waiting := drained(infra)) and time.monotonic() < deadline:
        time.sleep(1)
    return waiting


def check_clean_end(client, run_id, total, db, infra, say, timeout: float, failed: int = 0) -> dict:
    final = wait_for(client, run_id, lambda s: s["state"] in TERMINAL, timeout)
    assert final["state"] == "done", final
    assert (final["total"], final["done"], final["failed"]) == (total, total - failed, failed), final
    user_id = db.runs.find_one({"_id": run_id})["user_id"]
    stored = db.posts.count_documents({"user_id": user_id})
    assert stored == total - failed
    models = db.models.count_documents({"user_id": user_id})
    assert models == 1
    waiting = settled(infra, 45)
    assert not waiting, f"messages left in queues: {waiting}"
    say(f"checked: run {final['state']}, {final['done']}+{final['failed']} of {final['total']} counted, "
        f"{stored} posts stored once, {models} model, no queue holds a message (.dead included)")
    return final


def send(infra, *batches) -> None:
    """Publish messages straight to the private broker, as a replay or a stray copy would come:
    each batch is (message, how many times)."""
    with Connection(infra.rabbit.url) as conn:
        producer = Producer(conn.channel())
        for msg, n in batches:
            exchange, key = topology.ROUTES[msg.TYPE]
            for _ in range(n):
                producer.publish(msg.body(), exchange=exchange.name, routing_key=key, type=msg.TYPE,
                                 message_id=msg.message_id, content_type="application/json", delivery_mode=2)
