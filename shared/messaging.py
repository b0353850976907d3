"""Broker plumbing, kept thin: connections, a confirming publisher, and a worker loop.

Handlers hold the logic. A handler takes a decoded message and its collaborators and
returns normally when the work is durable (→ ack). It raises:
  * `Retry`    – a transient failure: requeue; the quorum queue's delivery limit ends it;
  * `Reject`   – a permanent failure: dead-letter now;
any other exception counts as transient. An undecodable delivery is dead-lettered at once.
Connections are opened per process (after fork) and never shared across threads.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from kombu import Connection, Consumer, Producer
from kombu.mixins import ConsumerMixin

from shared import contracts, topology
from shared.settings import Settings, load

log = logging.getLogger(__name__)


class Retry(Exception):
    """Transient failure: deliver the message again later."""


class Reject(Exception):
    """Permanent failure: dead-letter the message (no retry can fix it)."""


def connect(settings: Settings | None = None, *, heartbeat: bool = True, confirm: bool = True) -> Connection:
    """A new connection. Publishing-only connections go without heartbeats: nothing would
    drive them while idle, and the broker would close them; a dead one is reopened on publish.
    Without `confirm` publishes are not confirmed: only for replies nobody must keep."""
    s = settings or load()
    return Connection(
        s.amqp_url,
        heartbeat=s.amqp_heartbeat if heartbeat else 0,
        transport_options={"confirm_publish": confirm, "confirm_timeout": s.confirm_timeout},
        connect_timeout=5,
    )


class Publisher:
    """Publishes contract messages, persistent and confirmed, to their route in the topology."""

    def __init__(self, connection: Connection, settings: Settings | None = None):
        self.connection = connection
        self.settings = settings or load()
        self._producer: Producer | None = None

    def _get_producer(self) -> Producer:
        if self._producer is None or self._producer.channel is None or not self.connection.connected:
            self.connection.ensure_connection(max_retries=3)
            channel = self.connection.channel()
            topology.declare_all(channel)
            self._producer = Producer(channel)
        return self._producer

    def publish(self, message: contracts.Message, *, exchange=None, routing_key=None, **properties) -> None:
        default_exchange, default_key = topology.ROUTES.get(message.TYPE, (None, None))
        exchange = exchange if exchange is not None else default_exchange
        routing_key = routing_key if routing_key is not None else default_key
        for attempt in range(3):
            try:
                self._get_producer().publish(
                    message.body(), exchange=exchange, routing_key=routing_key,
                    type=message.TYPE, message_id=message.message_id,
                    content_type="application/json", content_encoding="utf-8",
                    timeout=self.settings.confirm_timeout, **{"delivery_mode": 2, **properties},
                )
                return
            except (ConnectionError, OSError) + self.connection.recoverable_connection_errors as exc:
                # The broker went away mid-publish: reconnect and publish again. A duplicate
                # is possible (confirm lost); every consumer is idempotent.
                log.warning("publish failed (%s), reconnecting (attempt %d)", exc, attempt + 1)
                self._producer = None
                try:
                    self.connection.close()
                except Exception:  # noqa: BLE001 - the connection is already broken
                    pass
                time.sleep(0.5 * (attempt + 1))
        raise ConnectionError(f"could not publish {message.TYPE} after 3 attempts")

    def close(self) -> None:
        self.connection.release()


def delivery_count(message) -> int:
    """How many times RabbitMQ delivered this message before (quorum queues count it)."""
    return int((message.headers or {}).get("x-delivery-count", 0) or 0)


@dataclass
class Delivery:
    """What a handler may need to know about the delivery besides the message."""
    redeliveries: int
    last_attempt: bool
    reply_to: str | None = None
    correlation_id: str | None = None


Handler = Callable[[contracts.Message, Delivery], None]


class Worker(ConsumerMixin):
    """Consumes one work queue and hands each decoded message to `handler`."""

    def __init__(self, connection: Connection, queue, handler: Handler, *, prefetch: int | None = None,
                 settings: Settings | None = None):
        self.connection = connection
        self.queue = queue
        self.handler = handler
        self.settings = settings or load()
        self.prefetch = prefetch or self.settings.prefetch

    def get_consumers(self, Consumer_, channel):  # noqa: N803 - kombu's signature
        topology.declare_all(channel)
        # on_message gets the raw delivery: decoding and validation are ours (contracts.decode),
        # so an undecodable body is dead-lettered rather than acked away by kombu.
        consumer = Consumer_(queues=[self.queue], on_message=self.on_message, no_ack=False)
        consumer.qos(prefetch_count=self.prefetch)
        return [consumer]

    def on_message(self, message) -> None:
        props = message.properties or {}
        try:
            msg = contracts.decode(props.get("type"), message.body)
        except contracts.UndecodableMessage as exc:
            log.error("dead-lettering undecodable message on %s: %s", self.queue.name, exc)
            message.reject(requeue=False)
            return
        redeliveries = delivery_count(message)
        delivery = Delivery(
            redeliveries=redeliveries,
            last_attempt=redeliveries >= self.settings.delivery_limit,  # the limit counts redeliveries
            reply_to=props.get("reply_to"),
            correlation_id=props.get("correlation_id"),
        )
        try:
            self.handler(msg, delivery)
        except Reject as exc:
            log.error("dead-lettering %s %s: %s", msg.TYPE, msg.message_id, exc)
            message.reject(requeue=False)
        except Exception as exc:  # noqa: BLE001 - anything else is worth another try
            log.warning("requeueing %s %s (delivery %d): %r", msg.TYPE, msg.message_id, redeliveries + 1, exc)
            time.sleep(min(0.2 * 2 ** redeliveries, 3.0))  # a little back-off, well under the heartbeat
            message.requeue()
        else:
            message.ack()


def run_worker(queue, handler: Handler, *, name: str, settings: Settings | None = None) -> None:
    """Run a worker until SIGTERM/SIGINT; reconnects on its own when the broker restarts."""
    import signal

    settings = settings or load()
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name}[%(process)d] %(levelname)s %(message)s")
    with connect(settings) as conn:
        worker = Worker(conn, queue, handler, settings=settings)

        def stop(*_):
            worker.should_stop = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("%s consuming %s", name, queue.name)
        worker.run()


__all__ = ["Retry", "Reject", "connect", "Publisher", "Worker", "Delivery", "run_worker"]
