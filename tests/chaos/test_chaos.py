"""Chaos: an operator's bad day, injected into a live training run on the demo account (69
posts, 4 labelers, slowed downloads so the faults land mid-run). After each scenario: the run
ends `done`, done + failed = total with nothing failed (but the post that kills its labeler on
every delivery), every post stored once, one model, no message waiting or unacked, nothing left
in a `.dead` queue. Each prints what it injected and what it checked."""
from __future__ import annotations

import json
import queue
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer

import psutil
import pytest
import redis
import requests
from kombu import Connection, Producer

from sandbox.instagram.testing import tiny_jpeg
from services.cli.client import ApiError, LikelyClient
from shared import runs, topology
from shared.contracts import BuildRequested, PostDiscovered, TrainRequested
from shared.progress import Progress
from shared.settings import load
from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_training_flow import image_posts
from tests.support.http_images import QuietHandler

pytestmark = pytest.mark.chaos
TERMINAL = ("done", "failed", "cancelled")


@pytest.fixture
def say(capsys):
    def out(text: str) -> None:
        with capsys.disabled():
            print(f"    chaos: {text}", flush=True)
    return out


@pytest.fixture
def slow_demo(sandbox):
    """Each demo image takes 0.3 s to download: a run lasts long enough to be hit mid-way."""
    sandbox.fault("demo", [p["id"] for p in image_posts(sandbox, "demo")], mode="slow", seconds=0.3)
    yield len(image_posts(sandbox, "demo"))
    sandbox.clear_faults("demo")


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


def check_clean_end(client, run_id, total, db, infra, say, timeout: float, failed: int = 0) -> dict:
    final = wait_for(client, run_id, lambda s: s["state"] in TERMINAL, timeout)
    assert final["state"] == "done", final
    assert (final["total"], final["done"], final["failed"]) == (total, total - failed, failed), final
    user_id = db.runs.find_one({"_id": run_id})["user_id"]
    stored = db.posts.count_documents({"user_id": user_id})
    assert stored == total - failed
    models = db.models.count_documents({"user_id": user_id})
    assert models == 1
    waiting = None
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        waiting = drained(infra)
        if not waiting:
            break
        time.sleep(1)
    assert not waiting, f"messages left in queues: {waiting}"
    say(f"checked: run {final['state']}, {final['done']}+{final['failed']} of {final['total']} counted, "
        f"{stored} posts stored once, {models} model, no queue holds a message (.dead included)")
    return final


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
    assert final["state"] == "done" and final["done"] == final["total"] and run.get("resumes") == 1, (final, run.get("resumes"))
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
    deadline = time.monotonic() + 60
    while (waiting := drained(infra)) and time.monotonic() < deadline:
        time.sleep(1)
    assert not waiting, waiting
    final = client.run(run_id)
    assert final["state"] == "cancelled" and chaos_db.models.count_documents({"user_id": user_id}) == 0
    say("checked: the queued build was consumed and skipped: run cancelled, no model, no queue holds a message")


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
    waiting = drained(infra)
    assert not waiting, waiting
    metrics = requests.get(f"{chaos_stack.gateway_url}/metrics", timeout=10).text
    assert 'likely_dead_letters{outcome="recorded",queue="labeler.posts"}' in metrics
    say(f"checked: {len(records)} dead letters recorded with their reasons "
        f"({'; '.join(sorted({r['reason'][:40] for r in records}))}), no queue holds a message")


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
    say(f"checked: dead-lettered by the broker at its delivery limit, counted failed by the janitor ({record['reason']})")


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
