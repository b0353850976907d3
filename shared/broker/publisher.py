"""Publishing to the broker: connections, and a publisher of contract messages, persistent and
confirmed, to their route in the topology (`shared.broker.topology`); a batch waits once per
chunk for its confirms (`shared.broker.confirms`). A publish carries the request id bound to
the log lines (`shared.logs`) on.
"""
from __future__ import annotations

import threading
from typing import Iterable

from kombu import Connection, Producer

import shared.broker.topology as topology
from shared import contracts, logs
from shared.broker.confirms import ConfirmedBatches, persistent
from shared.settings import Settings, load

# kombu's retry policies (Connection.ensure): how hard a publisher tries before it raises.
# Workers may wait a little for the broker; the gateway answers 503 within 2 s instead.
WORKER_RETRY_POLICY = {"max_retries": 3, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 2.0}
EDGE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.0, "interval_step": 0.2, "interval_max": 0.2}

#: Messages of a batch published before one wait for their confirms: a reconnect publishes
#: this many again at most (a 10,000-post listing is ten of them; what the waits cost: docs/performance.md).
CONFIRM_CHUNK = 1000


def connect(settings: Settings | None = None, *, heartbeat: bool = True, confirm: bool = True,
            retry_policy: dict | None = None, connect_timeout: float = 5) -> Connection:
    """A new connection. Publishing-only connections go without heartbeats: nothing would
    drive them while idle, and the broker would close them; a dead one is reopened on publish.
    Without `confirm` publishes are not confirmed: only for replies nobody must keep.
    `retry_policy` bounds how long (re)connecting may take (kombu's failover options)."""
    s = settings or load()
    return Connection(
        s.amqp_url,
        heartbeat=s.amqp_heartbeat if heartbeat else 0,
        transport_options={"confirm_publish": confirm, "confirm_timeout": s.confirm_timeout, **(retry_policy or {})},
        connect_timeout=connect_timeout,
    )


class Publisher:
    """Publishes contract messages, persistent and confirmed, to their route in the topology.

    A broker that went away is reconnected to by kombu (`retry_policy`); a publish whose confirm
    was lost may be sent twice, which every consumer tolerates (handlers are idempotent).
    Thread-safe: publishes from several threads go out one at a time on its one channel."""

    def __init__(self, connection: Connection, settings: Settings | None = None, *, retry_policy: dict | None = None):
        self.connection = connection
        self.settings = settings or load()
        self.retry_policy = retry_policy if retry_policy is not None else WORKER_RETRY_POLICY
        # kombu reconnects with the connection's failover options: bound them by the same policy
        connection.transport_options = {**(connection.transport_options or {}), **self.retry_policy}
        self._producer: Producer | None = None
        self._lock = threading.Lock()
        self._batches: ConfirmedBatches | None = None  # opened on the first publish_many

    @classmethod
    def for_settings(cls, settings: Settings, *, confirm: bool = True) -> "Publisher":
        """A publisher on a connection of its own (no heartbeats: see `connect`)."""
        return cls(connect(settings, heartbeat=False, confirm=confirm), settings)

    def _get_producer(self) -> Producer:
        if self._producer is None:
            self.connection.ensure_connection(**self.retry_policy)
            channel = self.connection.default_channel
            topology.declare_all(channel)
            self._producer = Producer(channel)
        return self._producer

    def _routed(self, message: contracts.Message, exchange=None, routing_key=None, **properties) -> dict:
        """`Producer.publish` arguments of a contract message: its route, type, id, request id."""
        default_exchange, default_key = topology.ROUTES.get(message.TYPE, (None, None))
        headers = {**logs.message_headers(), **(properties.pop("headers", None) or {})}
        return dict(body=message.body(), exchange=exchange if exchange is not None else default_exchange,
                    routing_key=routing_key if routing_key is not None else default_key, type=message.TYPE,
                    message_id=message.message_id, headers=headers, **properties)

    def publish(self, message: contracts.Message, *, exchange=None, routing_key=None, **properties) -> None:
        self.publish_raw(**self._routed(message, exchange, routing_key, **properties))

    def publish_raw(self, body, *, exchange, routing_key, headers: dict | None = None, **properties) -> None:
        """Publish a body as it is (a message being retried or dead-lettered keeps its bytes)."""
        try:
            with self._lock:
                self._get_producer().publish(
                    body, exchange=exchange, routing_key=routing_key, headers=headers or {},
                    timeout=self.settings.confirm_timeout, retry=True, retry_policy=self.retry_policy,
                    **persistent(properties),
                )
        except Exception as exc:
            self._producer = None  # the next publish starts from a fresh channel
            if isinstance(exc, ConnectionError):
                raise
            raise ConnectionError(f"could not publish to {exchange or routing_key!r}: {exc!r}") from exc

    def publish_many(self, messages: Iterable[contracts.Message], chunk: int = CONFIRM_CHUNK) -> None:
        """Publish a batch like `publish`, waiting once per `chunk` messages for their confirms
        (`shared.broker.confirms`). Raises ConnectionError on a nack, a failed channel or connection, or
        no confirm within LIKELY_CONFIRM_TIMEOUT (the chunks before it were published); after a
        reconnect the chunk that was going out is published again whole."""
        batch = [{**persistent(m), "timeout": self.settings.confirm_timeout} for m in map(self._routed, messages)]
        for start in range(0, len(batch), chunk):
            part = batch[start:start + chunk]
            try:
                with self._lock:
                    if self._batches is None:
                        self._batches = ConfirmedBatches(self.connection)
                    b = self._batches
                    b.connection.ensure(b, b.send, **self.retry_policy)(part, self.settings.confirm_timeout)
            except Exception as exc:
                if self._batches is not None:
                    self._batches.reset()  # the next batch starts from a fresh channel
                raise ConnectionError(f"could not publish messages {start + 1}-{start + len(part)} "
                                      f"of a batch of {len(batch)}: {exc!r}") from exc

    def close(self) -> None:
        if self._batches is not None:
            self._batches.close()
        self.connection.release()
