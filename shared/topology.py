"""The RabbitMQ topology: every exchange, queue and routing key Likely uses, declared here only.

Work queues are durable quorum queues with a delivery limit and a dead-letter exchange; a
message that fails too often (or cannot be decoded) lands in `<queue>.dead` for inspection.
"""
from __future__ import annotations

from kombu import Exchange, Queue

from shared import contracts
from shared.settings import load

COMMANDS = Exchange("likely.commands", type="direct", durable=True)
POSTS = Exchange("likely.posts", type="direct", durable=True)
RPC = Exchange("likely.rpc", type="direct", durable=True)
DLX = Exchange("likely.dlx", type="direct", durable=True)


def _work_queue(name: str, exchange: Exchange, routing_key: str) -> Queue:
    return Queue(
        name, exchange, routing_key=routing_key, durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": load().delivery_limit,
            "x-dead-letter-exchange": DLX.name,
            "x-dead-letter-routing-key": name,
        },
    )


INGESTOR_TRAIN = _work_queue("ingestor.train", COMMANDS, "train")
BUILDER_BUILD = _work_queue("builder.build", COMMANDS, "build")
LABELER_POSTS = _work_queue("labeler.posts", POSTS, "post")
INFERER_REQUESTS = _work_queue("inferer.requests", RPC, "infer")

WORK_QUEUES = (INGESTOR_TRAIN, BUILDER_BUILD, LABELER_POSTS, INFERER_REQUESTS)
DEAD_QUEUES = tuple(
    Queue(f"{q.name}.dead", DLX, routing_key=q.name, durable=True, queue_arguments={"x-queue-type": "quorum"})
    for q in WORK_QUEUES
)

# Where each message type is published: (exchange, routing key).
ROUTES: dict[str, tuple[Exchange, str]] = {
    contracts.TrainRequested.TYPE: (COMMANDS, "train"),
    contracts.BuildRequested.TYPE: (COMMANDS, "build"),
    contracts.PostDiscovered.TYPE: (POSTS, "post"),
    contracts.InferRequest.TYPE: (RPC, "infer"),
}


def declare_all(channel) -> None:
    """Idempotently declare every exchange and queue (each service does this at start)."""
    for exchange in (COMMANDS, POSTS, RPC, DLX):
        exchange(channel).declare()
    for queue in WORK_QUEUES + DEAD_QUEUES:
        queue(channel).declare()


def dead_queue_of(queue: Queue) -> Queue:
    return next(d for d in DEAD_QUEUES if d.name == f"{queue.name}.dead")
