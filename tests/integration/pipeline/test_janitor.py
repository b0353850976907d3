"""The janitor on the real MongoDB-wire server and Redis: dead letters accounted for, stalled
runs resumed then failed; and a build request that comes early. (Over RabbitMQ, with every
service running: tests/chaos.)"""
from __future__ import annotations

import time
import uuid

from services.janitor.dead_letters import handle_dead
from services.janitor.reaper import sweep
from shared import runs
from shared.broker import ERROR_HEADER
from shared.contracts import BuildRequested, PostDiscovered, TrainRequested
from tests.integration.pipeline.test_pipeline_handlers import media, world  # noqa: F401 - the fixture

STALL = 60.0


def reap(world, now: float) -> str | None:  # noqa: F811 - the fixture's value, passed in
    """What a sweep did to this test's run (the test database holds other tests' runs too)."""
    return sweep(world.db, world.progress, world.sent.append, stall=STALL, now=now).get(world.run_id)


def dead(world, msg, reason="boom") -> str:  # noqa: F811 - the fixture's value, passed in
    return handle_dead("q", msg.TYPE, msg.body(), {ERROR_HEADER: reason}, db=world.db, progress=world.progress,
                       publish=world.sent.append)


def test_a_dead_post_is_counted_failed_with_its_reason_once_and_the_run_still_builds(world):  # noqa: F811
    run = world.start_run([media(1, "red", 100), media(2, "green", 80)])
    first, second = world.posts_sent()
    assert world.label(first) == "counted"
    assert dead(world, second, "ConnectionFailure('mongo down')") == "post_complete"
    assert dead(world, second) == "post_duplicate"  # the same dead letter seen again: counted once
    live = world.progress.get(run["_id"])
    assert (live.state, live.done, live.failed) == ("building", 1, 1)
    reason = "dead-lettered: ConnectionFailure('mongo down')"
    assert runs.failures(world.db, run) == [{"media_id": "m2", "reason": reason}]
    assert [b.run_id for b in world.builds_sent()] == [run["_id"], run["_id"]]  # the builder builds a run once
    record = world.db.dead_letters.find_one({"_id": f"q:{second.message_id}"})
    assert record["seen"] == 2 and record["run_id"] == run["_id"]


def test_a_dead_listing_or_build_fails_its_run_with_the_reason(world):  # noqa: F811 - the imported fixture
    run = world.start_run([media(1, "red", 100)])
    assert dead(world, BuildRequested(user_id=world.user, run_id=run["_id"]), "fit crashed") == "run_failed"
    stored = world.db.runs.find_one({"_id": run["_id"]})
    assert stored["state"] == "failed" and stored["reason"] == "The run could not be built: fit crashed"
    assert world.db.users.find_one({"_id": world.user})["active_run"] is None
    assert dead(world, TrainRequested(user_id=world.user, run_id=run["_id"])) == "run_over"


def test_an_undecodable_dead_letter_is_recorded(world):  # noqa: F811 - the imported fixture
    out = handle_dead("labeler.posts", "post.discovered.v1", b"{not json", {}, db=world.db, progress=world.progress,
                      publish=world.sent.append)
    assert out == "recorded" and world.sent == []
    assert world.db.dead_letters.count_documents({"queue": "labeler.posts", "body": "{not json"}) >= 1


def test_a_stalled_run_is_resumed_once_then_failed_and_a_moving_run_is_left_alone(world):  # noqa: F811
    run = world.start_run([media(1, "red", 100), media(2, "green", 80), media(3, "blue", 60)])
    world.label(world.posts_sent()[0])
    world.sent.clear()
    world.run_id = run["_id"]
    now = time.time()
    assert reap(world, now) is None
    # No progress for the stall time: the posts not counted yet are published again.
    assert reap(world, now + STALL + 1) == "resumed"
    assert sorted(m.media_id for m in world.posts_sent()) == ["m2", "m3"]
    assert reap(world, now + STALL + 2) is None
    # Still nothing after the resume: failed with a reason, the user's slot freed.
    later = time.time() + 2 * STALL + 5
    assert reap(world, later) == "failed"
    stored = world.db.runs.find_one({"_id": run["_id"]})
    assert stored["state"] == "failed" and "No progress for 60 s" in stored["reason"]
    assert (stored["done"], stored["failed"]) == (1, 0)
    assert world.db.users.find_one({"_id": world.user})["active_run"] is None


def test_a_stalled_listing_is_listed_again_and_progress_after_a_resume_counts(world):  # noqa: F811
    run = runs.create(world.db, world.progress, world.user)
    world.run_id = run["_id"]
    now = time.time()
    assert reap(world, now + STALL + 1) == "resumed"
    assert [type(m) for m in world.sent] == [TrainRequested]
    # the ingestor then moves the run on: that is progress, the run is not failed
    runs.transition(world.db, run["_id"], "running", ("listing",), total=1)
    assert reap(world, time.time() + 1) is None
    assert isinstance(world.sent[0], TrainRequested) and not any(isinstance(m, PostDiscovered) for m in world.sent)


def test_a_build_request_that_comes_early_builds_nothing(world):  # noqa: F811 - the imported fixture
    from services.builder.handler import handle_build
    from tests.integration.pipeline.test_pipeline_handlers import FIRST

    run = world.start_run([media(1, "red", 100), media(2, "green", 80)])
    world.label(world.posts_sent()[0])
    early = BuildRequested(message_id=f"build:{run['_id']}", user_id=world.user, run_id=run["_id"])
    assert handle_build(early, FIRST, db=world.db, progress=world.progress) == "skipped"
    assert world.db.runs.find_one({"_id": run["_id"]})["state"] == "running"
    assert world.db.models.count_documents({"source": run["_id"]}) == 0
    world.label(world.posts_sent()[1])  # the last post completes the run and asks for the build
    assert handle_build(world.builds_sent()[-1], FIRST, db=world.db, progress=world.progress) == "built"


def test_a_post_whose_worker_dies_on_every_delivery_is_dead_lettered_by_the_broker_and_counted_failed(
        world, vhost):  # noqa: F811 - the imported fixture
    """The broker's delivery limit, for real: a consumer that goes away holding the message
    (as a worker killed by it would) on every delivery; then the janitor counts it."""
    from kombu import Connection, Producer

    from shared.broker import topology
    from shared.settings import load

    run = world.start_run([media(1, "red", 100), media(2, "green", 80)])
    first, second = world.posts_sent()
    world.label(first)
    with Connection(vhost) as conn:
        topology.declare_all(conn.channel())
        Producer(conn.channel()).publish(second.body(), exchange=topology.POSTS.name, routing_key="post",
                                         type=second.TYPE, content_type="application/json", delivery_mode=2)
    for _ in range(load().delivery_limit + 1):  # the first delivery, then every redelivery the limit allows
        with Connection(vhost) as dying:
            held = None
            while held is None:
                held = topology.LABELER_POSTS(dying.channel()).get(no_ack=False)
        # the connection closes without an ack: the broker takes the message back and counts it
    with Connection(vhost) as conn:
        dead = None
        deadline = time.monotonic() + 10
        while dead is None and time.monotonic() < deadline:
            dead = topology.dead_queue_of(topology.LABELER_POSTS)(conn.channel()).get(no_ack=True)
    assert dead is not None and dead.headers["x-death"][0]["reason"] == "delivery_limit"
    out = handle_dead("labeler.posts", dead.properties.get("type"), dead.body, dead.headers, db=world.db,
                      progress=world.progress, publish=world.sent.append)
    assert out == "post_complete"
    assert "delivery limit" in runs.failures(world.db, run)[0]["reason"]
    live = world.progress.get(run["_id"])
    assert (live.done, live.failed, live.state) == (1, 1, "building")


def test_a_run_whose_posts_cannot_be_sent_again_is_failed_and_the_others_are_still_resumed(world):  # noqa: F811
    """One stalled run's stored posts do not make valid messages (no timestamp): the sweep fails
    that run with a reason instead of stopping, and resumes another stalled run in the same pass."""
    other = uuid.uuid4().hex
    world.db.users.insert_one({"_id": other, "email": f"{other}@example.com", "active_run": None})
    broken = runs.create(world.db, world.progress, other)
    listing = runs.store_media(
        world.db,
        broken,
        [
            {
                "run_id": broken["_id"],
                "user_id": other,
                "media_id": "x1",
                "media_url": "http://127.0.0.1:9/x1.jpg",
                "likes": 1,
                "comments": 0,
            }
        ],
    )
    runs.transition(world.db, broken["_id"], "running", ("listing",), total=1, listing=listing, likes_hidden=0)
    world.progress.set_running(broken["_id"], other, 1)
    run = world.start_run([media(1, "red", 100), media(2, "green", 80)])
    world.sent.clear()
    acted = sweep(world.db, world.progress, world.sent.append, stall=STALL, now=time.time() + STALL + 1)
    assert acted[broken["_id"]] == "failed" and acted[run["_id"]] == "resumed"
    stored = world.db.runs.find_one({"_id": broken["_id"]})
    assert stored["state"] == "failed" and "could not be sent for labelling again" in stored["reason"]
    assert world.db.users.find_one({"_id": other})["active_run"] is None
    assert sorted(m.media_id for m in world.posts_sent()) == ["m1", "m2"]
