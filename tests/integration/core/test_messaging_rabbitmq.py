"""Broker plumbing on the real RabbitMQ: confirms, acks, retries, dead-lettering."""
import dataclasses
import threading
import time

import pytest
from kombu import Connection, Producer

from shared import messaging, topology
from shared.contracts import BuildRequested, TrainRequested
from shared.settings import load


@pytest.fixture
def settings(vhost):
    return dataclasses.replace(load(), amqp_url=vhost)


def run_worker_until(settings, queue, handler, condition, timeout=15.0):
    conn = messaging.connect(settings)
    worker = messaging.Worker(conn, queue, handler, settings=settings)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.should_stop = True
    thread.join(10)
    conn.release()
    assert condition(), "condition not reached in time"


def queue_depth(settings, queue) -> int:
    with Connection(settings.amqp_url) as conn:
        return queue(conn.channel()).queue_declare(passive=True).message_count


def test_publish_is_confirmed_and_consumed_once(settings):
    pub = messaging.Publisher(messaging.connect(settings, heartbeat=False), settings)
    msg = TrainRequested(run_id="r1", user_id="u1")
    pub.publish(msg)
    seen = []
    run_worker_until(settings, topology.INGESTOR_TRAIN, lambda m, d: seen.append(m), lambda: seen)
    assert seen == [msg]
    assert queue_depth(settings, topology.INGESTOR_TRAIN) == 0


def test_transient_failures_retry_then_dead_letter_at_the_delivery_limit(settings):
    pub = messaging.Publisher(messaging.connect(settings, heartbeat=False), settings)
    pub.publish(BuildRequested(user_id="u1", run_id="r1"))
    attempts = []

    def always_fails(msg, delivery):
        attempts.append(delivery)
        raise RuntimeError("transient")

    dead = topology.dead_queue_of(topology.BUILDER_BUILD)
    run_worker_until(settings, topology.BUILDER_BUILD, always_fails,
                     lambda: queue_depth(settings, dead) == 1, timeout=30)
    # The first delivery plus `delivery_limit` redeliveries; the handler knows the last one.
    assert [a.redeliveries for a in attempts] == list(range(settings.delivery_limit + 1))
    assert attempts[-1].last_attempt and not any(a.last_attempt for a in attempts[:-1])


def test_reject_dead_letters_at_once(settings):
    pub = messaging.Publisher(messaging.connect(settings, heartbeat=False), settings)
    pub.publish(BuildRequested(user_id="u1"))
    calls = []

    def rejects(msg, delivery):
        calls.append(msg)
        raise messaging.Reject("no")

    dead = topology.dead_queue_of(topology.BUILDER_BUILD)
    run_worker_until(settings, topology.BUILDER_BUILD, rejects, lambda: queue_depth(settings, dead) == 1)
    assert len(calls) == 1


@pytest.mark.parametrize("type_name,body", [
    ("train.requested.v1", b"{not json"),
    ("train.requested.v1", b'{"run_id": 5}'),
    ("no.such.type", b"{}"),
    (None, b'{"run_id": "r", "user_id": "u"}'),
])
def test_undecodable_messages_are_dead_lettered_never_handled(settings, type_name, body):
    with Connection(settings.amqp_url) as conn:
        channel = conn.channel()
        topology.declare_all(channel)
        props = {"type": type_name} if type_name else {}
        Producer(channel).publish(body, exchange=topology.COMMANDS, routing_key="train",
                                  content_type="application/json", delivery_mode=2, **props)
    handled = []
    dead = topology.dead_queue_of(topology.INGESTOR_TRAIN)
    run_worker_until(settings, topology.INGESTOR_TRAIN, lambda m, d: handled.append(m),
                     lambda: queue_depth(settings, dead) == 1)
    assert handled == []
