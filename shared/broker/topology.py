"""The RabbitMQ topology: every exchange, queue and routing key Likely uses, declared here only.

Work queues are durable quorum queues with a delivery limit and a dead-letter exchange; a
message that fails too often (or cannot be decoded) lands in `<queue>.dead`, where the
janitor accounts for it.

Delayed retries go through the broker, not through sleeps in a worker: a failed message is
published to `<queue>.retry.<delay>s`, a queue nobody consumes whose message TTL is that delay
and whose dead-letter route is the work queue's own, so the message comes back after the
delay while the worker moves on. One retry queue per delay (a per-message TTL would wait
behind the head of the queue).
"""
from __future__ import annotations

import functools
from typing import cast

from kombu import Exchange, Queue

from shared import contracts
from shared.settings import load

COMMANDS = Exchange("likely.commands", type="direct", durable=True)
POSTS = Exchange("likely.posts", type="direct", durable=True)
RPC = Exchange("likely.rpc", type="direct", durable=True)
DLX = Exchange("likely.dlx", type="direct", durable=True)


def _work_queue(name: str, exchange: Exchange, routing_key: str, delivery_limit: int) -> Queue:
    return Queue(
        name, exchange, routing_key=routing_key, durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": DLX.name,
            "x-dead-letter-routing-key": name,
        },
    )


# The work queues: (attribute, queue name, exchange, routing key).
_WORK = (
    ("INGESTOR_TRAIN", "ingestor.train", COMMANDS, "train"),
    ("BUILDER_BUILD", "builder.build", COMMANDS, "build"),
    ("LABELER_POSTS", "labeler.posts", POSTS, "post"),
    ("INFERER_REQUESTS", "inferer.requests", RPC, "infer"),
)
# Replies to a caller who waits seconds are never retried later; the other work queues are.
_RETRIED = ("ingestor.train", "builder.build", "labeler.posts")


@functools.lru_cache(maxsize=None)
def queues(delivery_limit: int) -> dict[str, Queue | tuple[Queue, ...]]:
    """Every queue by attribute name (INGESTOR_TRAIN, …, WORK_QUEUES, DEAD_QUEUES, RETRIED_QUEUES),
    the work queues with this delivery limit (the same objects for the same limit)."""
    work = {attr: _work_queue(name, exchange, key, delivery_limit) for attr, name, exchange, key in _WORK}
    work_queues = tuple(work.values())
    dead = tuple(
        Queue(f"{q.name}.dead", DLX, routing_key=q.name, durable=True, queue_arguments={"x-queue-type": "quorum"})
        for q in work_queues
    )
    return {**work, "WORK_QUEUES": work_queues, "DEAD_QUEUES": dead,
            "RETRIED_QUEUES": tuple(q for q in work_queues if q.name in _RETRIED)}


def __getattr__(name: str):
    """INGESTOR_TRAIN, BUILDER_BUILD, LABELER_POSTS, INFERER_REQUESTS, WORK_QUEUES, DEAD_QUEUES,
    RETRIED_QUEUES: read when first named, with LIKELY_DELIVERY_LIMIT as the settings have it then
    (settings are never read at import)."""
    if name in _QUEUE_NAMES:
        return current()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_QUEUE_NAMES = frozenset(attr for attr, *_ in _WORK) | {"WORK_QUEUES", "DEAD_QUEUES", "RETRIED_QUEUES"}


def current() -> dict[str, Queue | tuple[Queue, ...]]:
    """`queues` with the delivery limit the settings have now."""
    return queues(load().delivery_limit)


def retry_queue(queue: Queue, delay: float) -> Queue:
    """The queue a message of `queue` waits `delay` seconds in before it is routed back to `queue`.
    Published to through the default exchange (routing key = its name)."""
    return Queue(
        f"{queue.name}.retry.{delay:g}s", durable=True,
        queue_arguments={
            "x-message-ttl": int(delay * 1000),
            "x-dead-letter-exchange": queue.exchange.name,
            "x-dead-letter-routing-key": queue.routing_key,
        },
    )


def retry_queues(queue: Queue, delays: tuple[float, ...] | None = None) -> tuple[Queue, ...]:
    """The retry queues of `queue`, one per delay (LIKELY_RETRY_DELAYS unless given)."""
    if queue.name not in _RETRIED:
        return ()
    return tuple(retry_queue(queue, delay) for delay in (delays if delays is not None else load().retry_schedule))


# Where each message type is published: (exchange, routing key).
ROUTES: dict[str, tuple[Exchange, str]] = {
    contracts.TrainRequested.TYPE: (COMMANDS, "train"),
    contracts.BuildRequested.TYPE: (COMMANDS, "build"),
    contracts.PostDiscovered.TYPE: (POSTS, "post"),
    contracts.InferRequest.TYPE: (RPC, "infer"),
    contracts.InferRequestV2.TYPE: (RPC, "infer"),
}


def declare_all(channel) -> None:
    """Idempotently declare every exchange and queue (each service does this at start)."""
    for exchange in (COMMANDS, POSTS, RPC, DLX):
        exchange(channel).declare()
    settings = load()  # once per declaration, not once per retried queue
    named = queues(settings.delivery_limit)
    work = cast("tuple[Queue, ...]", named["WORK_QUEUES"])
    dead = cast("tuple[Queue, ...]", named["DEAD_QUEUES"])
    for queue in work + dead + tuple(r for q in work for r in retry_queues(q, settings.retry_schedule)):
        queue(channel).declare()


def dead_queue_of(queue: Queue) -> Queue:
    dead = cast("tuple[Queue, ...]", current()["DEAD_QUEUES"])
    return next(d for d in dead if d.name == f"{queue.name}.dead")
