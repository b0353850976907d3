"""Chaos: an operator's bad day, injected into a live training run on the demo account (69
posts, 4 labelers, slowed downloads so the faults land mid-run). After each scenario: the run
ends `done`, done + failed = total with nothing failed (but the post that kills its labeler on
every delivery), every post stored once, one model, no message waiting or unacked, nothing left
in a `.dead` queue. Each prints what it injected and what it checked.

Here the faults of processes and servers; test_chaos_messages.py: replayed, late, early,
lost and poison messages."""
from __future__ import annotations

import queue
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer

import psutil
import pytest
import redis
import requests

from sandbox.instagram.testing import tiny_jpeg
from shared import runs
from shared.contracts import PostDiscovered
from shared.progress import Progress
from shared.settings import load
from tests.chaos.scenario import TERMINAL, check_clean_end, demo_user, send, start_run, wait_for
from tests.e2e.test_training_flow import image_posts
from tests.support.http_images import QuietHandler

pytestmark = pytest.mark.chaos


def test_sigkill_a_labeler_holding_messages(chaos_stack, infra, chaos_db, slow_demo, say):
    client, run_id = start_run(chaos_stack, say)
    chaos_stack.kill("labeler-1")
    say("injected: SIGKILL labeler-1 mid-run (it held unacked posts); started a new one 2 s later")
    time.sleep(2)
    chaos_stack.spawn("labeler-1", "services.labeler")
    check_clean_end(client, run_id, slow_demo, chaos_db, infra, say, 180)


def test_rabbitmq_stop_app_then_a_full_restart(chaos_stack, infra, chaos_db, slow_demo, say):
    client, run_id = start_run(chaos_stack, say)
    infra.rabbit.stop_app()
    time.sleep(5)
    infra.rabbit.start_app()
    say("injected: RabbitMQ stop_app for 5 s, then start_app")
    before = wait_for(client, run_id, lambda s: s["done"] + s["failed"] > 0, 60)["done"]
    wait_for(client, run_id, lambda s: s["done"] > before or s["state"] in TERMINAL, 120)
    t0 = time.monotonic()
    infra.rabbit.stop()
    infra.rabbit.start()
    say(f"injected: RabbitMQ node stopped and started again (down {time.monotonic() - t0:.0f} s)")
    check_clean_end(client, run_id, slow_demo, chaos_db, infra, say, 240)


def test_redis_flushall_mid_run(chaos_stack, infra, chaos_db, slow_demo, say):
    client, run_id = start_run(chaos_stack, say)
    redis.Redis.from_url(infra.redis.url).flushall()
    say("injected: Redis FLUSHALL mid-run (every live count and seen set lost)")
    check_clean_end(client, run_id, slow_demo, chaos_db, infra, say, 180)


def test_redis_stopped_for_a_while(chaos_stack, infra, chaos_db, slow_demo, say, timing):
    client, run_id = start_run(chaos_stack, say)
    infra.redis.stop()
    time.sleep(timing.redis_outage)
    infra.redis.start()  # it keeps nothing on disk: it comes back empty
    say(f"injected: Redis stopped for {timing.redis_outage:.0f} s mid-run, started again empty")
    check_clean_end(client, run_id, slow_demo, chaos_db, infra, say, 300 + timing.redis_outage)


def test_mongodb_stopped_long_past_the_old_retry_budget(chaos_stack, infra, chaos_db, slow_demo, say, timing):
    client, run_id = start_run(chaos_stack, say)
    infra.mongo.stop()
    time.sleep(timing.mongo_outage)
    infra.mongo.start()
    say(f"injected: the MongoDB-wire server stopped for {timing.mongo_outage:.0f} s mid-run (the old retry "
        "budget was ~40 s), then started; no hand cancel")
    check_clean_end(client, run_id, slow_demo, chaos_db, infra, say, 600 + timing.mongo_outage)


def test_the_builder_killed_after_storing_the_model_before_its_ack(chaos_stack, infra, chaos_db, sandbox, say):
    """The builder's first MongoDB write after storing the model (the run's finish) is held by a
    failpoint of the MongoDB-wire server; the builder is SIGKILLed while it waits, holding the
    unacked build. The broker delivers the build again to a new builder."""
    chaos_stack.kill("builder")
    fail_point = {"failCommands": ["findAndModify"], "blockConnection": True, "blockTimeMS": 60_000, "errorCode": 2}
    try:
        client = demo_user(chaos_stack)
        run_id = client.train()["run_id"]
        wait_for(client, run_id, lambda s: s["state"] == "building", 180)
        chaos_db.client.admin.command("configureFailPoint", "failCommand", mode={"times": 1}, data=fail_point)
        chaos_stack.spawn("builder", "services.builder")
        deadline = time.monotonic() + 120
        while chaos_db.models.find_one({"source": run_id}, {"_id": 1}) is None:
            assert time.monotonic() < deadline, "no model stored"
            time.sleep(0.02)
        chaos_stack.kill("builder")
        at_kill = chaos_db.runs.find_one({"_id": run_id})["state"]
    finally:
        chaos_db.client.admin.command("configureFailPoint", "failCommand", mode="off")
        if chaos_stack.procs["builder"].poll() is not None:
            chaos_stack.spawn("builder", "services.builder")
    assert at_kill == "building"  # the build had not finished the run, so not been acked
    say("injected: SIGKILL the builder after it stored the model, while its next write (the run's finish) "
        "hung, before its ack; a new builder started")
    check_clean_end(client, run_id, len(image_posts(sandbox, "demo")), chaos_db, infra, say, 120)


class _DeadlyImages(QuietHandler):
    """Images for a run listed by hand: /ok/<n>.jpg answers, /deadly/... never does; each request
    for it tells the test which port asked (`server.asked`), so the test can kill the asker."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/deadly/"):
            self.server.asked.put(self.client_address[1])
            self.server.released.wait(60)
            return
        self.send_jpeg(tiny_jpeg(int(self.path.rsplit("/", 1)[1].split(".")[0])))


@pytest.fixture
def deadly_images():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DeadlyImages)
    server.asked, server.released = queue.Queue(), threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


def labeler_with_port(stack, port: int) -> str:
    """The labeler process whose socket has this local port."""
    for name, proc in stack.procs.items():
        if name.startswith("labeler") and proc.poll() is None:
            if any(c.laddr and c.laddr.port == port for c in psutil.Process(proc.pid).net_connections("tcp")):
                return name
    raise AssertionError(f"no labeler holds local port {port}")


def test_a_post_that_kills_its_labeler_on_every_delivery(chaos_stack, infra, chaos_db, deadly_images, say):
    """A run of 4 posts (listed by hand) whose last post's image download kills the labeler that
    takes it, on every delivery (the test SIGKILLs the process that asks for it, as the kernel's
    OOM killer would). The broker dead-letters it at its delivery limit; the janitor counts it
    failed with the reason; the run ends done with the other 3."""
    client = demo_user(chaos_stack)
    user_id = chaos_db.users.find_one({"email": client.email})["_id"]
    progress = Progress(redis.Redis.from_url(infra.redis.url))
    run = runs.create(chaos_db, progress, user_id)
    base, t0 = f"http://127.0.0.1:{deadly_images.server_port}", datetime(2025, 1, 1, tzinfo=timezone.utc)
    posts = [{"run_id": run["_id"], "user_id": user_id, "media_id": f"k{i}", "likes": 10 + i,
              "media_url": f"{base}/{'deadly' if i == 3 else 'ok'}/{i}.jpg", "timestamp": t0 + timedelta(days=i)}
             for i in range(4)]
    listing = runs.store_media(chaos_db, run, posts)
    runs.transition(chaos_db, run["_id"], "running", ("listing",), total=len(posts), listing=listing)
    progress.set_running(run["_id"], user_id, len(posts))
    send(infra, *((PostDiscovered(message_id=f"{run['_id']}:{p['media_id']}", **p), 1) for p in posts))
    killed = []
    deadline = time.monotonic() + 180
    while not chaos_db.dead_letters.find_one({"run_id": run["_id"]}):
        assert time.monotonic() < deadline, f"not dead-lettered after {len(killed)} deliveries"
        try:
            port = deadly_images.asked.get(timeout=0.5)
        except queue.Empty:
            continue
        name = labeler_with_port(chaos_stack, port)
        chaos_stack.kill(name)
        chaos_stack.spawn(name, "services.labeler")
        killed.append(name)
    limit = int(chaos_stack.env.get("LIKELY_DELIVERY_LIMIT", load().delivery_limit))
    assert len(killed) == limit + 1, killed  # the first delivery and every redelivery the limit allows
    say(f"injected: the post's labeler SIGKILLed on each of its {len(killed)} deliveries ({', '.join(killed)})")
    check_clean_end(client, run["_id"], len(posts), chaos_db, infra, say, 120, failed=1)
    record = chaos_db.dead_letters.find_one({"run_id": run["_id"]})
    assert record["outcome"] == "post_complete" and "delivery limit" in record["reason"], record
    assert "delivery limit" in runs.failures(chaos_db, chaos_db.runs.find_one({"_id": run["_id"]}))[0]["reason"]
    say(
        "checked: dead-lettered by the broker at its delivery limit, counted failed by the janitor "
        f"({record['reason']})"
    )


def test_the_edge_fails_fast_and_leaves_no_live_run(chaos_stack, infra, chaos_db, say):
    client = demo_user(chaos_stack)
    user_id = chaos_db.users.find_one({"email": client.email})["_id"]
    for name, stop, start in (("Redis", infra.redis.stop, infra.redis.start),
                              ("RabbitMQ (stop_app)", infra.rabbit.stop_app, infra.rabbit.start_app)):
        stop()
        try:
            t0 = time.monotonic()
            resp = requests.post(f"{chaos_stack.gateway_url}/api/v1/training-runs",
                                 headers={"Authorization": f"Bearer {client.token}"}, timeout=10)
            elapsed = time.monotonic() - t0
            ready = requests.get(f"{chaos_stack.gateway_url}/readyz", timeout=10)
            ready_elapsed = time.monotonic() - t0 - elapsed
        finally:
            start()
        assert resp.status_code == 503 and elapsed < 2.0, (resp.status_code, resp.text, elapsed)
        assert ready.status_code == 503 and ready_elapsed < 2.0, (ready.text, ready_elapsed)
        live = chaos_db.runs.count_documents({"user_id": user_id, "state": {"$in": ["listing", "running", "building"]}})
        assert live == 0 and chaos_db.users.find_one({"_id": user_id})["active_run"] is None
        say(f"injected: {name} down; checked: start training answered {resp.status_code} in {elapsed:.2f} s "
            f"({resp.json()['error']['code']}), /readyz 503 in {ready_elapsed:.2f} s, no live run left")
    # and with everything back, the user can train (the failed starts held no slot)
    run_id = client.train()["run_id"]
    assert client.wait_for_run(run_id, timeout=180)["state"] == "done"
    say("checked: with Redis and RabbitMQ back, the same user trains to done")
