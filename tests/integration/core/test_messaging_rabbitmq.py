"""Broker plumbing on the real RabbitMQ: confirms, acks, retries, dead-lettering."""
import dataclasses
import threading
import time

import pytest
from kombu import Connection, Producer

from shared import broker
from shared.broker import topology
from shared.contracts import BuildRequested, TrainRequested
from shared.settings import load


@pytest.fixture
def settings(vhost):
    return dataclasses.replace(load(), amqp_url=vhost)


def run_worker_until(settings, queue, handler, condition, timeout=15.0):
    conn = broker.connect(settings)
    worker = broker.Worker(conn, queue, handler, settings=settings)
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
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    msg = TrainRequested(run_id="r1", user_id="u1")
    pub.publish(msg)
    seen = []
    run_worker_until(settings, topology.INGESTOR_TRAIN, lambda m, d: seen.append(m), lambda: seen)
    assert seen == [msg]
    assert queue_depth(settings, topology.INGESTOR_TRAIN) == 0


def dead_letters(settings, queue) -> list:
    """Drain `queue`'s dead-letter queue: [(headers, body)]."""
    out = []
    with Connection(settings.amqp_url) as conn:
        dead = topology.dead_queue_of(queue)(conn.channel())
        while (m := dead.get(no_ack=True)) is not None:
            out.append((m.headers, m.body))
    return out


def test_transient_failures_wait_in_the_broker_then_dead_letter_with_the_reason(settings):
    settings = dataclasses.replace(settings, retry_delays="0.3,0.6,1.2")
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    pub.publish(BuildRequested(user_id="u1", run_id="r1"))
    attempts, times = [], []

    def always_fails(msg, delivery):
        attempts.append(delivery)
        times.append(time.monotonic())
        raise RuntimeError("transient")

    dead = topology.dead_queue_of(topology.BUILDER_BUILD)
    run_worker_until(settings, topology.BUILDER_BUILD, always_fails,
                     lambda: queue_depth(settings, dead) == 1, timeout=30)
    # One try per delay plus the first; the handler knows the last one; no redelivery was needed.
    assert [a.attempt for a in attempts] == [0, 1, 2, 3]
    assert [a.redeliveries for a in attempts] == [0, 0, 0, 0]
    assert attempts[-1].last_attempt and not any(a.last_attempt for a in attempts[:-1])
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]  # consecutive pairs
    assert all(gap >= delay * 0.9 for gap, delay in zip(gaps, (0.3, 0.6, 1.2), strict=True)), gaps
    [(headers, _)] = dead_letters(settings, topology.BUILDER_BUILD)
    assert "RuntimeError('transient')" in headers[broker.ERROR_HEADER]
    assert headers[broker.QUEUE_HEADER] == "builder.build"


def test_a_waiting_retry_does_not_hold_the_worker(settings):
    settings = dataclasses.replace(settings, retry_delays="3")
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    first, second = BuildRequested(user_id="u1", run_id="slow"), BuildRequested(user_id="u1", run_id="fine")
    pub.publish(first)
    pub.publish(second)
    handled = []

    def fails_once(msg, delivery):
        if msg.run_id == "slow" and delivery.attempt == 0:
            raise broker.Retry("not yet")
        handled.append((msg.run_id, time.monotonic()))

    started = time.monotonic()
    run_worker_until(settings, topology.BUILDER_BUILD, fails_once, lambda: len(handled) == 2, timeout=15)
    assert [run for run, _ in handled] == ["fine", "slow"]
    assert handled[0][1] - started < 2 and handled[1][1] - started >= 2.7


def test_a_handler_longer_than_two_heartbeats_keeps_its_connection(settings):
    settings = dataclasses.replace(settings, amqp_heartbeat=2)
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    pub.publish(BuildRequested(user_id="u1", run_id="long"))
    calls, finished = [], []

    def long_handler(msg, delivery):
        calls.append(delivery.redeliveries)
        time.sleep(7)  # > 2 heartbeats of 2 s: without heartbeats the broker closes the connection
        finished.append(time.monotonic())

    run_worker_until(settings, topology.BUILDER_BUILD, long_handler,
                     lambda: finished and time.monotonic() > finished[0] + 2, timeout=20)
    assert calls == [0]  # handled once: the connection held, the ack went through
    assert queue_depth(settings, topology.BUILDER_BUILD) == 0


def test_reject_dead_letters_at_once(settings):
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    pub.publish(BuildRequested(user_id="u1"))
    calls = []

    def rejects(msg, delivery):
        calls.append(msg)
        raise broker.Reject("no")

    dead = topology.dead_queue_of(topology.BUILDER_BUILD)
    run_worker_until(settings, topology.BUILDER_BUILD, rejects, lambda: queue_depth(settings, dead) == 1)
    assert len(calls) == 1
    [(headers, _)] = dead_letters(settings, topology.BUILDER_BUILD)
    assert headers[broker.ERROR_HEADER] == "no"


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
