"""A paid labeler (Rekognition) is called once per post, however often the post is delivered,
on the real MongoDB-wire server, Redis and RabbitMQ.

Rekognition cannot be reached from here: the AWS call itself goes through botocore's Stubber
(which checks the request against the service's model and fails on any call not expected);
through the broker a counting stand-in that behaves as the Rekognition labeler does (its id is
`rekognition` until its first call names the model version; `paid`) takes its place.
"""
from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from collections import Counter

import boto3
import pytest
from botocore.stub import ANY, Stubber

from services.labeler.handler import handle_post
from shared import broker
from shared.broker import Delivery, topology
from shared.labeling import ImageLimits, Label, LabelResult, RekognitionLabeler
from shared.settings import load
from tests.integration.pipeline.test_pipeline_handlers import fetch, media, world  # noqa: F401 - the fixture

REDELIVERED = Delivery(redeliveries=1, last_attempt=False)
DETECTED = {"Labels": [{"Name": "Cat", "Confidence": 97.5, "Parents": [{"Name": "Animal"}], "Aliases": [],
                        "Categories": [], "Instances": []}],
            "LabelModelVersion": "3.0"}


def stubbed_rekognition(*responses: dict) -> tuple[RekognitionLabeler, Stubber]:
    """The real Rekognition labeler on a boto3 client that answers `responses` in turn, and fails
    any call beyond them (Stubber: no network; requests checked against the service model)."""
    client = boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    for resp in responses:
        stubber.add_response("detect_labels", resp, {"Image": {"Bytes": ANY}, "MaxLabels": 100, "MinConfidence": 50.0})
    stubber.activate()
    return RekognitionLabeler(client, min_confidence=50.0, max_labels=100), stubber


def test_a_redelivered_post_is_not_labelled_again_by_a_fresh_rekognition_worker(world):  # noqa: F811
    world.start_run([media(1, "red", 100), media(2, "green", 80)])
    first, second = world.posts_sent()
    world.labeler, stubber = stubbed_rekognition(DETECTED)
    assert world.label(first) == "counted"
    stubber.assert_no_pending_responses()  # one DetectLabels call, as the service model expects it
    stored = world.db.posts.find_one({"user_id": world.user, "media_id": "m1"})
    assert stored["labeler"] == "rekognition@3.0" and [lab["name"] for lab in stored["labels"]] == ["Cat"]

    # The worker dies before its ack; the post is redelivered to a new worker, whose labeler has
    # made no call yet (its id is still "rekognition"). Its client expects no call at all.
    world.labeler, fresh = stubbed_rekognition()
    assert world.labeler.id == "rekognition"
    assert world.label(first, REDELIVERED) == "duplicate"
    fresh.assert_no_pending_responses()
    assert world.db.posts.find_one({"user_id": world.user, "media_id": "m1"})["labeled_at"] == stored["labeled_at"]
    # ...and it still labels the posts it has not seen (the run completes once).
    world.labeler, stubber = stubbed_rekognition(DETECTED)
    assert world.label(second) == "complete"
    stubber.assert_no_pending_responses()


def test_labels_of_another_backend_are_not_taken_for_rekognition_labels(world):  # noqa: F811 - the imported fixture
    """The key is the backend that made the labels: a post stored by the offline labeler (a
    switch of LIKELY_LABELER mid-run) is labelled by Rekognition."""
    world.start_run([media(1, "red", 100)])
    post = world.posts_sent()[0]
    world.label(post)  # by the test's colour labeler
    world.labeler, stubber = stubbed_rekognition(DETECTED)
    assert world.label(post, REDELIVERED) == "duplicate"  # counted once all the same
    stubber.assert_no_pending_responses()
    assert world.db.posts.find_one({"user_id": world.user, "media_id": "m1"})["labeler"] == "rekognition@3.0"


class CountingRekognition:
    """Stands in for the Rekognition labeler through the broker: `paid`, its id `rekognition`
    until its first call, each call taking a while (the network) and counted per image."""

    paid = True

    def __init__(self, seconds: float = 0.3):
        self.id, self.seconds = "rekognition", seconds
        self.calls: Counter = Counter()
        self._lock = threading.Lock()

    def label(self, data: bytes) -> LabelResult:
        with self._lock:
            self.calls[hashlib.sha256(data).hexdigest()[:12]] += 1
        time.sleep(self.seconds)
        self.id = "rekognition@3.0"
        return LabelResult(self.id, (Label("Cat", 97.5),))


def test_copies_of_a_post_in_flight_at_once_are_labelled_and_paid_for_once(world, vhost):  # noqa: F811
    """Each of 3 posts published 6 times, 8 handled at once by the real worker and handler: the
    copies that find another worker labelling their post wait in the broker's retry queue and
    then find its labels stored. Then a fresh labeler (a new worker process) is handed every
    copy again: no call at all. Every post counted once, nothing left in any queue."""
    settings = dataclasses.replace(load(), amqp_url=vhost)
    run = world.start_run([media(1, "red", 100), media(2, "green", 80), media(3, "blue", 60)])
    posts = world.posts_sent()
    labeler, verdicts = CountingRekognition(), []

    def handler(msg, delivery):
        verdicts.append(handle_post(msg, delivery, db=world.db, progress=world.progress, store=world.store,
                                    labeler=labeler, fetch=fetch, publish=world.sent.append,
                                    limits=ImageLimits.from_settings(settings)))

    def deliver_every_copy(expected: int) -> None:
        publisher = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
        for _ in range(6):
            for post in posts:
                publisher.publish(post)
        publisher.close()
        conn = broker.connect(settings)
        worker = broker.Worker(conn, topology.LABELER_POSTS, handler, settings=settings, concurrency=8)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while len(verdicts) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.should_stop = True
        thread.join(15)
        conn.release()

    deliver_every_copy(18)
    assert sorted(labeler.calls.values()) == [1, 1, 1], labeler.calls
    assert sorted(verdicts) == sorted(["counted", "counted", "complete"] + ["duplicate"] * 15)
    live = world.progress.get(run["_id"])
    assert (live.done, live.failed, live.state) == (3, 0, "building")

    labeler, verdicts = CountingRekognition(), []  # a new worker process: id "rekognition" again
    deliver_every_copy(18)
    assert labeler.calls == Counter() and verdicts == ["duplicate"] * 18
    assert world.db.posts.count_documents({"user_id": world.user}) == 3
    with broker.connect(settings) as conn:
        for queue in (topology.LABELER_POSTS, topology.dead_queue_of(topology.LABELER_POSTS)):
            assert queue(conn.channel()).queue_declare(passive=True).message_count == 0



def test_a_claim_is_held_by_one_worker_until_released_or_expired(mongo_db):
    """services.labeler.claims on the MongoDB-wire server: one holder at a time; a holder that died
    loses it when it expires; a release by someone else's token (after expiry) changes nothing."""
    import uuid
    from datetime import datetime, timedelta, timezone

    from services.labeler.claims import Claim

    t0, key = datetime(2026, 1, 1, tzinfo=timezone.utc), f"label:test:{uuid.uuid4().hex}"
    now = [t0]
    first, second = (Claim(mongo_db, key, 60, clock=lambda: now[0]) for _ in range(2))
    assert first.acquire() and not second.acquire()
    now[0] = t0 + timedelta(seconds=59)
    assert not second.acquire()
    now[0] = t0 + timedelta(seconds=61)  # the first holder died: its claim has expired
    assert second.acquire()
    first.release()  # too late: the claim is the second's now
    assert not Claim(mongo_db, key, 60, clock=lambda: now[0]).acquire()
    second.release()
    assert Claim(mongo_db, key, 60, clock=lambda: now[0]).acquire()


def test_a_paid_post_claimed_in_mongodb_by_another_worker_waits_whatever_redis_holds(world):  # noqa: F811
    """The claim is in MongoDB: another worker's claim on the post sends this copy to the retry
    queue without a call, and once it is given up the post is labelled once."""
    from services.labeler.claims import Claim
    from shared.broker import Retry

    world.start_run([media(1, "red", 100)])
    post = world.posts_sent()[0]
    other = Claim(world.db, f"label:{world.user}:{post.media_id}", 60)
    assert other.acquire()
    world.labeler, stubber = stubbed_rekognition()  # no call expected
    with pytest.raises(Retry, match="being labelled by another worker"):
        world.label(post)
    stubber.assert_no_pending_responses()
    other.release()
    world.labeler, stubber = stubbed_rekognition(DETECTED)
    assert world.label(post, REDELIVERED) == "complete"
    stubber.assert_no_pending_responses()
