"""Chaos in the messages themselves, on a live run of the demo account: the same messages
replayed many times, messages out of order, a run's listing lost, a build queued for a run
cancelled meanwhile, and poison. The run ends as it should, counted once, built at most once,
and every dead letter is accounted for."""
from __future__ import annotations

import json
import time

import pytest
import requests
from kombu import Connection, Producer

from shared import runs
from shared.broker import topology
from shared.contracts import BuildRequested, PostDiscovered, TrainRequested
from tests.chaos.scenario import (
    TERMINAL,
    check_clean_end,
    demo_user,
    drained,
    send,
    settled,
    start_run,
    status,
    wait_for,
)
from tests.e2e.test_training_flow import image_posts

pytestmark = pytest.mark.chaos


def test_the_same_messages_replayed_many_times(chaos_stack, infra, chaos_db, slow_demo, say):
    client, run_id = start_run(chaos_stack, say)
    run = chaos_db.runs.find_one({"_id": run_id})
    posts = runs.media(chaos_db, run)
    send(infra, (PostDiscovered(**posts[0]), 100), (PostDiscovered(**posts[-1]), 100),
         (TrainRequested(message_id=f"train:{run_id}", run_id=run_id, user_id=run["user_id"]), 20))
    say("injected: the run's first and last post.discovered 100 times each, its train.requested 20 times")
    check_clean_end(client, run_id, slow_demo, chaos_db, infra, say, 180)


def test_messages_out_of_order(chaos_stack, infra, chaos_db, sandbox, slow_demo, say):
    """Before the run is listed: a build request and posts of the run. Mid-run: posts before and
    after a second listing of the run, and a build request before the run's last post."""
    chaos_stack.kill("ingestor")
    try:
        client = demo_user(chaos_stack)
        run_id = client.train()["run_id"]
        user_id = chaos_db.runs.find_one({"_id": run_id})["user_id"]
        stray = [PostDiscovered(run_id=run_id, user_id=user_id, media_id=p["id"], timestamp=p["timestamp"],
                                media_url=f"{sandbox.url}/not-listed-yet/{p['id']}.jpg", likes=p["like_count"])
                 for p in image_posts(sandbox, "demo")[:5]]
        send(infra, (BuildRequested(message_id=f"build:{run_id}", user_id=user_id, run_id=run_id), 1),
             *((post, 1) for post in stray))
        deadline = time.monotonic() + 60
        while any(drained(infra).get(q) for q in ("labeler.posts", "builder.build")) and time.monotonic() < deadline:
            time.sleep(0.5)
        early = status(client, run_id)
        assert early["state"] == "listing" and early["done"] == 0, early
    finally:
        chaos_stack.spawn("ingestor", "services.ingestor")
    say("injected: before the run was listed (ingestor stopped), a build request and 5 of its posts; "
        "checked: consumed, nothing counted, nothing built, the run still listing")
    wait_for(client, run_id, lambda s: s["done"] >= 5, 120)
    run = chaos_db.runs.find_one({"_id": run_id})
    posts = [PostDiscovered(**post) for post in runs.media(chaos_db, run)]
    send(infra, *((post, 1) for post in posts[-5:]),
         (TrainRequested(message_id=f"train:{run_id}", run_id=run_id, user_id=user_id), 1),
         (BuildRequested(message_id=f"build:{run_id}", user_id=user_id, run_id=run_id), 1),
         *((post, 1) for post in posts[:5]))
    say("injected: mid-run, the run's last 5 posts, a second train.requested (every post sent again), "
        "a build request before the last post, then its first 5 posts")
    final = check_clean_end(client, run_id, slow_demo, chaos_db, infra, say, 180)
    time.sleep(3)  # a late copy must not finish the run a second time
    again = chaos_db.runs.find_one({"_id": run_id})
    assert again["state"] == "done" and again["finished_at"].isoformat() == final["finished_at"], again
    say("checked: the run finished once (its finish time unchanged after every copy was consumed)")


def test_a_run_whose_listing_was_lost_is_resumed_by_the_janitor(chaos_stack, infra, chaos_db, say, timing):
    stall = float(timing.env.get("LIKELY_RUN_STALL_TIMEOUT", 0))
    if not stall:
        pytest.skip("runs in `make test`, where the stall timeout is 30 s (900 s by default)")
    chaos_stack.kill("ingestor")
    try:
        client = demo_user(chaos_stack)
        run_id = client.train()["run_id"]
        time.sleep(1)
        infra.rabbit.ctl("purge_queue", "ingestor.train")
    finally:
        chaos_stack.spawn("ingestor", "services.ingestor")
    say(f"injected: the run's train.requested lost (ingestor stopped, its queue purged); stall timeout {stall:.0f} s")
    final = wait_for(client, run_id, lambda s: s["state"] in TERMINAL, 2 * stall + 120)
    run = chaos_db.runs.find_one({"_id": run_id})
    assert final["state"] == "done" and final["done"] == final["total"] and run.get("resumes") == 1, (
        final,
        run.get("resumes"),
    )
    say(f"checked: the janitor resumed the run once after {stall:.0f} s without progress; it ended done, "
        f"{final['done']} of {final['total']}")


def test_a_run_cancelled_while_its_build_is_queued_builds_nothing(chaos_stack, infra, chaos_db, say):
    chaos_stack.kill("builder")
    try:
        client = demo_user(chaos_stack)
        run_id = client.train()["run_id"]
        wait_for(client, run_id, lambda s: s["state"] == "building", 180)
        assert client.cancel(run_id)["state"] == "cancelled"
    finally:
        chaos_stack.spawn("builder", "services.builder")
    say("injected: the builder stopped until the run was building, the run cancelled, the builder started")
    user_id = chaos_db.runs.find_one({"_id": run_id})["user_id"]
    waiting = settled(infra)
    assert not waiting, waiting
    final = client.run(run_id)
    assert final["state"] == "cancelled" and chaos_db.models.count_documents({"user_id": user_id}) == 0
    say("checked: the queued build was consumed and skipped: run cancelled, no model, no queue holds a message")


def test_poison_messages_are_dead_lettered_and_accounted_for(chaos_stack, infra, chaos_db, say):
    before = chaos_db.dead_letters.count_documents({})
    ghost = PostDiscovered(run_id="no-such-run", user_id="nobody", media_id="m1", media_url="http://x/1.jpg",
                           timestamp="2025-01-01T00:00:00Z", likes=1)
    poison = [("post.discovered.v1", b"not json"), ("no.such.type", b"{}"),
              ("post.discovered.v1", json.dumps({"run_id": "r"}).encode()), (ghost.TYPE, ghost.body().encode())]
    with Connection(infra.rabbit.url) as conn:
        producer = Producer(conn.channel())
        for type_name, body in poison:
            producer.publish(body, exchange=topology.POSTS.name, routing_key="post", type=type_name,
                             content_type="application/json", delivery_mode=2)
    say("injected: 4 poison posts: not JSON, an unknown type, missing fields, a post of a run that does not exist")
    deadline = time.monotonic() + 60
    while chaos_db.dead_letters.count_documents({}) < before + len(poison) and time.monotonic() < deadline:
        time.sleep(0.3)
    records = list(chaos_db.dead_letters.find({}, sort=[("at", -1)]).limit(len(poison)))
    assert len(records) == len(poison) and {r["queue"] for r in records} == {"labeler.posts"}
    assert {r["outcome"] for r in records} == {"recorded", "post_inactive"}
    assert any("unknown run" in r["reason"] for r in records)
    waiting = settled(infra)  # the last poison post's ack may trail its dead-letter record
    assert not waiting, waiting
    metrics = requests.get(f"{chaos_stack.gateway_url}/metrics", timeout=10).text
    assert 'likely_dead_letters{outcome="recorded",queue="labeler.posts"}' in metrics
    say(f"checked: {len(records)} dead letters recorded with their reasons "
        f"({'; '.join(sorted({r['reason'][:40] for r in records}))}), no queue holds a message")
