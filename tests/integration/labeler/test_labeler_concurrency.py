"""A labeler keeps several posts in flight (LIKELY_LABELER_CONCURRENCY) on the real RabbitMQ,
Redis and MongoDB-wire server: as fast as the concurrency allows, each post counted once, every
message settled (acked, retried or dead-lettered) by the consuming thread."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from kombu import Connection

from sandbox.instagram.testing import tiny_jpeg
from services.ingestor.handler import handle_train
from shared import broker, runs
from shared.broker import Delivery, Reject, topology
from shared.contracts import BuildRequested, TrainRequested
from shared.instagram import Media
from shared.progress import seen_key
from shared.settings import load
from tests.support.http_images import QuietHandler

ROOT = Path(__file__).resolve().parents[3]
DELAY = 0.15


@pytest.fixture
def settings(vhost):
    return dataclasses.replace(load(), amqp_url=vhost)


def queue_counts(settings, queue) -> tuple[int, int]:
    """(ready messages, consumers) of a queue."""
    with Connection(settings.amqp_url) as conn:
        ok = queue(conn.channel()).queue_declare(passive=True)
        return ok.message_count, ok.consumer_count


def test_a_worker_runs_handlers_side_by_side_and_settles_each_on_its_own_thread(settings):
    """40 messages, 8 at a time, 0.15 s each: ~0.75 s, never more than 8 running; a Reject is
    dead-lettered and a failure goes to the retry queue, from the consuming thread."""
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    for i in range(40):
        pub.publish(BuildRequested(message_id=f"b{i}", user_id="u", run_id=f"r{i}"))
    pub.close()
    lock, running, peak, seen = threading.Lock(), [0], [0], []

    def handler(msg, delivery):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(DELAY)
        with lock:
            running[0] -= 1
            seen.append(msg.run_id)
        if msg.run_id == "r7":
            raise Reject("no such run")
        if msg.run_id == "r9" and delivery.attempt == 0:
            raise RuntimeError("transient")

    conn = broker.connect(settings)
    worker = broker.Worker(conn, topology.BUILDER_BUILD, handler, settings=settings, concurrency=8)
    assert worker.prefetch == 8
    consumer_thread = threading.Thread(target=worker.run, daemon=True)
    settled_on = set()
    settle = worker._settle

    def recording_settle(*args):
        settled_on.add(threading.current_thread())
        settle(*args)

    worker._settle = recording_settle
    consumer_thread.start()
    deadline = time.monotonic() + 15
    while len(seen) < 41 and time.monotonic() < deadline:  # 40, and r9 once more after its retry (1 s)
        time.sleep(0.01)
    worker.should_stop = True
    consumer_thread.join(10)
    conn.release()
    assert not consumer_thread.is_alive()
    assert sorted(seen) == sorted([f"r{i}" for i in range(40)] + ["r9"])
    assert peak[0] == 8, peak
    assert settled_on == {consumer_thread}
    assert queue_counts(settings, topology.BUILDER_BUILD)[0] == 0  # nothing left unacked or waiting
    assert queue_counts(settings, topology.dead_queue_of(topology.BUILDER_BUILD))[0] == 1


class _Images(QuietHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_jpeg(tiny_jpeg(int(self.path.rsplit("/", 1)[1])))


@pytest.fixture
def image_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_labeler_process_keeps_eight_remote_calls_in_flight_and_counts_each_post_once(
        settings, image_server, mongo_db, progress, redis_client, tmp_path):
    n = 96  # 12 rounds of 8 at 0.15 s: 1.8 s at best
    env = {**os.environ, "LIKELY_AMQP_URL": settings.amqp_url, "LIKELY_LABELER": f"delay:{int(DELAY * 1000)}ms",
           "LIKELY_IMAGE_DIR": str(tmp_path / "images"), "PYTHONUNBUFFERED": "1",
           "LIKELY_INSTAGRAM_GRAPH_URL": image_server}  # the Graph API's origin: images may come from it
    env.pop("LIKELY_LABELER_CONCURRENCY", None)  # the default for a remote backend: 8
    log = open(tmp_path / "labeler.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "services.labeler"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    with Connection(settings.amqp_url) as conn:
        topology.declare_all(conn.channel())
    try:
        deadline = time.monotonic() + 30
        while queue_counts(settings, topology.LABELER_POSTS)[1] == 0:
            assert proc.poll() is None, (tmp_path / "labeler.log").read_text()
            assert time.monotonic() < deadline, "the labeler never started consuming"
            time.sleep(0.1)

        user_id = uuid.uuid4().hex
        mongo_db.users.insert_one({"_id": user_id, "email": f"{user_id}@example.com", "active_run": None,
                                   "instagram": {"token": "enc"}})
        run = runs.create(mongo_db, progress, user_id)
        t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
        items = [Media(id=f"m{i}", media_type="IMAGE", media_url=f"{image_server}/img/{i}",
                       timestamp=t0 + timedelta(hours=i), caption="", permalink=None, like_count=i,
                       comments_count=0, thumbnail_url=None, product_type="FEED") for i in range(n)]
        pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
        started = time.monotonic()
        handle_train(TrainRequested(run_id=run["_id"], user_id=user_id), Delivery(redeliveries=0, last_attempt=False),
                     db=mongo_db, progress=progress, list_media=lambda token: items,
                     access_token=lambda user: "token", publish=pub.publish)
        while (live := progress.get(run["_id"])).done + live.failed < n:
            assert time.monotonic() < started + 30, (live, (tmp_path / "labeler.log").read_text()[-2000:])
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        pub.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    ideal = n / 8 * DELAY
    # Eight in flight: 1.8 s ideal; four would take 3.6 s at best, one 14.4 s. The bound leaves
    # room for a machine shared with other work (3.45 s seen under load) and still rules out 1 or 2.
    assert ideal <= elapsed <= 2.5 * ideal + 1.0, f"{n} posts in {elapsed:.2f} s; ideal {ideal:.2f} s"
    assert (live.done, live.failed, live.state) == (n, 0, "building")
    assert redis_client.scard(seen_key(run["_id"])) == n
    stored = list(mongo_db.posts.find({"run_id": run["_id"]}, {"media_id": 1, "labeler": 1, "labels": 1}))
    assert sorted(p["media_id"] for p in stored) == sorted(f"m{i}" for i in range(n))
    assert {p["labeler"] for p in stored} == {"delay-150ms@1"} and all(len(p["labels"]) == 8 for p in stored)
    assert queue_counts(settings, topology.LABELER_POSTS) == (0, 0)  # stopped with nothing unacked
    assert queue_counts(settings, topology.BUILDER_BUILD)[0] == 1  # one build asked for
    assert "dead" not in (tmp_path / "labeler.log").read_text()
