"""Request/reply over RabbitMQ with direct reply-to (`amq.rabbitmq.reply-to`).

One `RpcClient` per process and thread (gunicorn threads each get their own): it consumes
its pseudo-queue on the channel it publishes on, matches replies by `correlation_id`, and
drops any reply it is not waiting for – a late answer to a request that already timed out
never reaches the next request.
"""
from __future__ import annotations

import logging
import socket
import time
import uuid

from kombu import Connection, Consumer, Producer, Queue

from shared import contracts, logs
from shared.broker import topology

log = logging.getLogger(__name__)
REPLY_TO = "amq.rabbitmq.reply-to"


class RpcTimeout(Exception):
    pass


class RpcClient:
    def __init__(self, connection: Connection):
        self.connection = connection
        self._channel = None
        self._producer: Producer | None = None
        self._waiting: set[str] = set()
        self._replies: dict[str, contracts.InferReply] = {}

    @classmethod
    def from_settings(cls, settings) -> "RpcClient":
        """Requests go unconfirmed: a lost one just times out (503, try again), and a confirm
        would cost a broker round trip on every call."""
        from shared.broker.publisher import connect

        return cls(connect(settings, heartbeat=False, confirm=False, connect_timeout=1))

    def _ensure(self) -> None:
        if self._channel is not None and self.connection.connected:
            return
        from shared.broker.publisher import EDGE_RETRY_POLICY

        self.connection.ensure_connection(**EDGE_RETRY_POLICY)  # a caller waits: fail fast (EDGE_RETRY_POLICY)
        self._channel = self.connection.channel()
        topology.declare_all(self._channel)
        Consumer(self._channel, queues=[Queue(REPLY_TO, no_declare=True)], on_message=self._on_reply,
                 no_ack=True).consume()
        self._producer = Producer(self._channel)

    def _on_reply(self, message) -> None:
        cid = (message.properties or {}).get("correlation_id")
        if cid not in self._waiting:
            log.info("dropping a reply nobody waits for (correlation id %s)", cid)
            return
        try:
            reply = contracts.decode(message.properties.get("type"), message.body)
        except contracts.UndecodableMessage as exc:
            log.error("undecodable reply: %s", exc)
            return
        if not isinstance(reply, contracts.InferReply):
            log.error("a %s where an infer reply was due (correlation id %s)", reply.TYPE, cid)
            return
        self._replies[cid] = reply

    def _reset(self) -> None:
        self._channel = None
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - it is already broken
            pass

    def _send(self, requests: list[contracts.InferRequest], ids: list[str], timeout: float) -> None:
        # A connection that died while idle (a broker restart) only shows it on use: reconnect
        # and send again once. Nothing was delivered, so nothing is sent twice.
        for attempt in (1, 2):
            try:
                self._ensure()
                assert self._producer is not None  # made by _ensure
                for cid, req in zip(ids, requests, strict=True):
                    self._producer.publish(
                        req.body(), exchange=topology.RPC, routing_key="infer", type=req.TYPE,
                        message_id=req.message_id, reply_to=REPLY_TO, correlation_id=cid,
                        content_type="application/json", content_encoding="utf-8", expiration=timeout,
                        delivery_mode=1, headers=logs.message_headers(),
                    )
                return
            except Exception:
                self._reset()
                if attempt == 2:
                    raise

    def call_many(self, requests: list[contracts.InferRequest], timeout: float) -> list[contracts.InferReply]:
        """Send every request at once, wait for all replies (in order) or raise RpcTimeout."""
        ids = [uuid.uuid4().hex for _ in requests]
        self._waiting = set(ids)
        self._replies = {}
        try:
            self._send(requests, ids, timeout)
            deadline = time.monotonic() + timeout
            while len(self._replies) < len(ids):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RpcTimeout(f"no answer within {timeout:.1f}s")
                try:
                    self.connection.drain_events(timeout=remaining)
                except socket.timeout:
                    continue
            return [self._replies[cid] for cid in ids]
        except RpcTimeout:
            raise
        except Exception as exc:  # the broker went away: the next call reconnects
            self._reset()
            raise RpcTimeout(f"the inference service is unreachable: {exc.__class__.__name__}") from exc
        finally:
            self._waiting = set()
