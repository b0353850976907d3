"""Publishing a batch with one wait for its publisher confirms (RabbitMQ's confirm mode).

A connection opened with kombu's `confirm_publish` waits for each message's confirm in turn
(one round trip per message). Here the channel is put in confirm mode by hand
(`confirm_select`) on a connection without `confirm_publish`: every message of the batch is
written, then the broker's basic.ack / basic.nack events (py-amqp's `channel.events`, with
`multiple` covering every tag up to the one acked) are counted until none is pending.
"""
from __future__ import annotations

from itertools import takewhile
from typing import Callable, Iterable

from amqp.exceptions import MessageNacked
from kombu import Connection, Producer

import shared.broker.topology as topology


def persistent(properties: dict) -> dict:
    """A message's properties with our defaults: JSON, persistent (every publish of ours)."""
    return {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2, **properties}


def publish_all(messages: Iterable, publish: Callable, publish_many: Callable | None = None) -> None:
    """A handler's way to publish many messages: as one confirmed batch when it was given a
    `publish_many` (Publisher.publish_many), else one by one through `publish`."""
    if publish_many is not None:
        publish_many(list(messages))
    else:
        for message in messages:
            publish(message)


class ConfirmedBatches:
    """Publishes batches on a channel of its own connection (a clone of `connection` whose
    channels are not confirmed one message at a time). Not thread-safe (the Publisher locks).

    `send` is meant to run under `Connection.ensure`: after a lost connection kombu reconnects,
    calls `revive`, and calls `send` again with the same batch, which is then published whole
    on the new channel (the messages of the lost channel may arrive twice: at-least-once)."""

    def __init__(self, connection: Connection):
        opts = {**(connection.transport_options or {}), "confirm_publish": False}
        self.connection = connection.clone(transport_options=opts)
        self._channel = None  # the channel in confirm mode, once set up
        self._pending: dict[int, None] = {}  # delivery tags not yet confirmed, in order
        self._next_tag = 1
        self._nacked = 0

    def revive(self, channel) -> None:
        """kombu's hook after a reconnect: the next send sets up the new channel."""
        self._channel = None

    def reset(self) -> None:
        """Drop the channel (after a failure): the next send starts on a fresh one."""
        channel, self._channel = self._channel, None
        if channel is not None:
            try:
                channel.close()
            except Exception:  # noqa: BLE001 - already closed, or the connection is gone
                pass

    def _setup(self):
        channel = self._channel
        if channel is None or not channel.is_open:
            channel = self.connection.channel()
            topology.declare_all(channel)
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._channel, self._next_tag, self._pending = channel, 1, {}
        return channel

    def _confirm(self, tag: int, multiple: bool) -> None:
        if multiple:
            for done in list(takewhile(lambda t: t <= tag, self._pending)):
                del self._pending[done]
        else:
            self._pending.pop(tag, None)

    def _on_ack(self, tag, multiple):
        self._confirm(tag, multiple)

    def _on_nack(self, tag, multiple):
        before = len(self._pending)
        self._confirm(tag, multiple)
        self._nacked += before - len(self._pending)

    def send(self, batch: list[dict], confirm_timeout: float) -> None:
        """Publish every message of `batch` (kombu `Producer.publish` keyword arguments), then
        wait until the broker confirmed them all. Raises `MessageNacked` if it refused any, the
        channel's error if it closed the channel, `socket.timeout` when no confirm came for
        `confirm_timeout` seconds, a connection error when the connection was lost."""
        channel = self._setup()
        producer = Producer(channel, auto_declare=False)
        self._pending, self._nacked = {}, 0  # late confirms of an earlier batch no longer count
        for message in batch:
            producer.publish(retry=False, **message)
            self._pending[self._next_tag] = None
            self._next_tag += 1
        while self._pending:
            self.connection.drain_events(timeout=confirm_timeout)
        if self._nacked:
            raise MessageNacked(f"the broker refused {self._nacked} of {len(batch)} messages")

    def close(self) -> None:
        self.reset()
        self.connection.release()
