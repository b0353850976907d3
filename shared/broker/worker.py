"""The worker loop, kept thin: it consumes a work queue and hands each message to a handler.

Handlers hold the logic. A handler takes a decoded message and its collaborators and
returns normally when the work is durable (→ ack). It raises:
  * `Retry`    – a transient failure: try again after the next delay of LIKELY_RETRY_DELAYS,
                 through a retry queue of the broker (the worker does not wait);
  * `Reject`   – a permanent failure: dead-letter now;
any other exception counts as transient. `Delivery.last_attempt` tells the handler when no
retry is left (it then records the failure itself, or the message goes to `.dead` and the
janitor accounts for it). An undecodable delivery is dead-lettered at once.
Connections (`shared.broker.publisher`) are opened per process (after fork) and never used by
two threads at once.

Every worker is observed here, once for all services: counters and handling time by queue
(`shared.worker_metrics`, served with /healthz on LIKELY_METRICS_PORT), and each message's ids
bound to the log lines of its handling (`shared.logs`).
"""
from __future__ import annotations

import logging
import socket
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Protocol

from kombu import Connection
from kombu.mixins import ConsumerMixin

import shared.broker.topology as topology
from shared import contracts, logs, worker_metrics
from shared.broker.heartbeat import keep_alive
from shared.broker.publisher import Publisher, connect
from shared.settings import Settings, load

log = logging.getLogger(__name__)


class Retry(Exception):
    """Transient failure: deliver the message again later."""


class Reject(Exception):
    """Permanent failure: dead-letter the message (no retry can fix it)."""


ATTEMPT_HEADER = "x-likely-attempt"  # how many delayed retries this message has had
ERROR_HEADER = "x-likely-error"  # why it was retried or dead-lettered
QUEUE_HEADER = "x-likely-queue"  # the work queue it was dead-lettered from


def delivery_count(message) -> int:
    """How many times RabbitMQ delivered this message before (quorum queues count it)."""
    return int((message.headers or {}).get("x-delivery-count", 0) or 0)


def retry_attempt(message) -> int:
    """How many delayed retries this message has been through."""
    return int((message.headers or {}).get(ATTEMPT_HEADER, 0) or 0)


@dataclass
class Delivery:
    """What a handler may need to know about the delivery besides the message."""
    redeliveries: int
    last_attempt: bool
    reply_to: str | None = None
    correlation_id: str | None = None
    attempt: int = 0
    request_id: str | None = None  # of the HTTP request this message descends from


def log_fields(msg: contracts.Message, delivery: Delivery) -> dict:
    """What the log lines of this message's handling carry (`shared.logs`)."""
    return {"message_id": msg.message_id, "run_id": getattr(msg, "run_id", None),
            "user_id": getattr(msg, "user_id", None), "request_id": delivery.request_id}


Handler = Callable[[contracts.Message, Delivery], None]


class Observed:
    """A consumer's /healthz answer: is it connected to the broker right now?"""
    _live: Connection | None = None

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self._live = connection  # ConsumerMixin consumes on a clone of self.connection
        super().on_consume_ready(connection, channel, consumers, **kwargs)  # type: ignore[misc]  # ConsumerMixin's, next in the MRO

    def healthy(self) -> bool:
        live = self._live
        return live is not None and live.connected


class Worker(Observed, ConsumerMixin):
    """Consumes one work queue and hands each decoded message to `handler`.

    return → ack. `Reject`, an undecodable body, or a failure on the last try → the message is
    published to `<queue>.dead` with the reason (then acked). Any other exception → the message
    is published to the retry queue of the next delay (then acked): it comes back later while
    this worker goes on with other work. The quorum queue's delivery limit still ends a message
    that kills its worker on every delivery (the broker dead-letters it; the janitor counts it).
    While the handler runs, a thread keeps the connection's heartbeats going.

    With `concurrency` > 1 the worker keeps that many handlers running at once, in a thread pool
    (for handlers that wait on the network), and holds as many unacked messages (its prefetch).
    Channels are not thread-safe: handlers only run in the pool; acks, retries and dead letters
    stay on this thread, which finishes each completed handler between deliveries (it polls every
    POLL seconds while handlers run). The handler must then be thread-safe.
    """

    POLL = 0.005  # seconds between looks at finished handlers while some run (concurrency > 1)

    def __init__(self, connection: Connection, queue, handler: Handler, *, prefetch: int | None = None,
                 settings: Settings | None = None, republisher: Publisher | None = None, concurrency: int = 1):
        self.connection = connection
        self.queue = queue
        self.handler = handler
        self.settings = settings or load()
        if concurrency < 1:
            raise ValueError(f"a worker's concurrency must be at least 1, not {concurrency}")
        self.concurrency = concurrency
        self.prefetch = prefetch or (concurrency if concurrency > 1 else self.settings.prefetch)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="handler") if concurrency > 1 else None
        self._running: dict[Future, tuple] = {}  # future → (message, msg, delivery), this thread only
        self.retries = topology.retry_queues(queue, self.settings.retry_schedule)
        self.republisher = republisher or Publisher.for_settings(self.settings)
        name = queue.name
        m = worker_metrics
        self._handled, self._failed = m.HANDLED.labels(name), m.FAILED.labels(name)
        self._retried = m.RETRIED.labels(name)
        self._handling, self._in_flight = m.HANDLING.labels(name), m.IN_FLIGHT.labels(name)
        worker_metrics.CONNECTED.labels(name).set_function(lambda: float(self.healthy()))

    def get_consumers(self, Consumer_, channel):  # noqa: N803 - kombu's signature
        topology.declare_all(channel)
        for retry in self.retries:
            retry(channel).declare()
        # on_message gets the raw delivery: decoding and validation are ours (contracts.decode),
        # so an undecodable body is dead-lettered rather than acked away by kombu.
        consumer = Consumer_(queues=[self.queue], on_message=self.on_message, no_ack=False)
        consumer.qos(prefetch_count=self.prefetch)
        return [consumer]

    def on_message(self, message) -> None:
        prepared = self._prepare(message)
        if prepared is None:
            return
        msg, delivery = prepared
        if self._pool is not None:
            self._running[self._pool.submit(self._handle, msg, delivery)] = (message, msg, delivery)
            return
        with keep_alive(getattr(self, "_live", None), self.settings.amqp_heartbeat):
            verdict, reason = self._handle(msg, delivery)
        self._settle(message, msg, delivery, verdict, reason)

    def _prepare(self, message):
        """(msg, delivery), or None when the message could not be decoded (it is dead-lettered)."""
        props = message.properties or {}
        try:
            msg = contracts.decode(props.get("type"), message.body)
        except contracts.UndecodableMessage as exc:
            with logs.bound(message_id=props.get("message_id"),
                            request_id=(message.headers or {}).get(logs.REQUEST_ID_HEADER)):
                log.error("dead-lettering undecodable message on %s: %s", self.queue.name, exc)
                self._dead_letter(message, f"undecodable: {exc}", "undecodable")
            return None
        attempt, redeliveries = retry_attempt(message), delivery_count(message)
        delivery = Delivery(
            redeliveries=redeliveries,
            # the delivery limit counts redeliveries (a worker died holding it); attempts count retries
            last_attempt=attempt >= len(self.retries) or redeliveries >= self.settings.delivery_limit,
            reply_to=props.get("reply_to"),
            correlation_id=props.get("correlation_id"),
            attempt=attempt,
            request_id=(message.headers or {}).get(logs.REQUEST_ID_HEADER),
        )
        return msg, delivery

    def _handle(self, msg, delivery: Delivery) -> tuple[str, str | None]:
        """Run the handler: ('ack' | 'retry' | 'rejected' | 'exhausted', reason). Touches no channel.
        The last two dead-letter: a Reject, or a failure with no retry left."""
        self._in_flight.inc()
        started = time.perf_counter()
        try:
            with logs.bound(**log_fields(msg, delivery)):
                self.handler(msg, delivery)
                # one line per message: with its ids, what an operator follows a request or run by
                log.info("handled %s in %.1f ms", msg.TYPE, (time.perf_counter() - started) * 1000)
            return "ack", None
        except Reject as exc:
            self._failed.inc()
            return "rejected", str(exc)
        except Exception as exc:  # noqa: BLE001 - anything else is worth another try
            self._failed.inc()
            return ("exhausted" if delivery.last_attempt else "retry"), repr(exc)
        finally:
            self._handling.observe(time.perf_counter() - started)
            self._in_flight.dec()

    def _settle(self, message, msg, delivery: Delivery, verdict: str, reason: str | None) -> None:
        """Ack, retry or dead-letter a handled message (on the consuming thread)."""
        with logs.bound(**log_fields(msg, delivery)):
            if verdict == "ack":
                message.ack()
                self._handled.inc()
            elif verdict == "retry":
                assert reason is not None  # a retry says why
                attempt = delivery.attempt
                target = self.retries[attempt]
                log.warning("retrying %s %s in %s (try %d): %s", msg.TYPE, msg.message_id, target.name, attempt + 1,
                            reason[:200])
                self._republish(message, exchange="", routing_key=target.name,
                                headers={ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: reason[:1000]})
                self._retried.inc()
            else:
                assert reason is not None  # so does a dead letter
                log.error("dead-lettering %s %s: %s", msg.TYPE, msg.message_id, reason)
                self._dead_letter(message, reason, verdict)

    def _settle_finished(self, timeout: float = 0) -> None:
        """Settle the handlers that have finished (waiting up to `timeout` for one)."""
        if not self._running:
            return
        done, _ = wait(list(self._running), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            message, msg, delivery = self._running.pop(future)
            self._settle(message, msg, delivery, *future.result())

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):
        """kombu's loop, but while handlers run in the pool it returns to this thread every POLL
        seconds to settle those that finished. On stop it lets the running ones finish and settles
        them; if the connection is lost they are dropped unsettled (the broker delivers them again)."""
        if self._pool is None:
            yield from super().consume(limit=limit, timeout=timeout, safety_interval=safety_interval, **kwargs)
            return
        try:
            with self.consumer_context(**kwargs) as (conn, _channel, _consumers):
                while not self.should_stop:
                    self._settle_finished()
                    try:
                        conn.drain_events(timeout=self.POLL if self._running else safety_interval)
                    except socket.timeout:
                        conn.heartbeat_check()
                    except OSError:
                        if not self.should_stop:
                            raise
                    else:
                        yield
                while self._running:  # stopping: finish what is running, while the channel is open
                    self._settle_finished(timeout=self.settings.amqp_heartbeat)
        finally:
            if self._running:
                log.warning("connection lost with %d handlers running: the broker will deliver them again",
                            len(self._running))
                wait(list(self._running))
                self._running.clear()

    def _dead_letter(self, message, reason: str, why: str) -> None:
        self._republish(message, exchange=topology.DLX.name, routing_key=self.queue.name,
                        headers={ERROR_HEADER: reason[:1000], QUEUE_HEADER: self.queue.name})
        worker_metrics.DEAD_LETTERED.labels(self.queue.name, why).inc()

    def _republish(self, message, *, exchange: str, routing_key: str, headers: dict) -> None:
        """Publish a copy (confirmed), then ack the original: the message is never lost, at
        worst doubled if we die between the two (handlers are idempotent)."""
        props = message.properties or {}
        keep = {k: props[k] for k in ("type", "message_id", "reply_to", "correlation_id", "content_type",
                                      "content_encoding") if props.get(k) is not None}
        old = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
        self.republisher.publish_raw(message.body, exchange=exchange, routing_key=routing_key,
                                     headers={**old, **headers}, **keep)
        message.ack()


class Serveable(Protocol):
    """What serve runs: a ConsumerMixin that is also Observed."""

    should_stop: bool

    def run(self) -> None: ...

    def healthy(self) -> bool: ...


def serve(consumer: Serveable, name: str, what: str, settings: Settings) -> None:
    """Run a consumer until SIGTERM/SIGINT; it reconnects on its own when the broker restarts.
    Meanwhile /metrics and /healthz answer on LIKELY_METRICS_PORT (when set)."""
    import signal

    def stop(*_):
        consumer.should_stop = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server = worker_metrics.serve(settings.metrics_port, settings.metrics_host, consumer.healthy)
    log.info("%s consuming %s", name, what)
    try:
        consumer.run()
    finally:
        if server is not None:
            server.shutdown()


def run_worker(queue, handler: Handler, *, name: str, settings: Settings | None = None, concurrency: int = 1) -> None:
    """Consume `queue` until stopped (the service's __main__ has set up logging: `shared.logs`)."""
    settings = settings or load()
    with connect(settings) as conn:
        serve(Worker(conn, queue, handler, settings=settings, concurrency=concurrency), name,
               f"{queue.name} ({concurrency} at a time)" if concurrency > 1 else queue.name, settings)


__all__ = ["Retry", "Reject", "Worker", "Delivery", "run_worker", "serve"]
