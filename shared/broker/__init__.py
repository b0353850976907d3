"""The broker layer (RabbitMQ through kombu): what every service's messaging goes through.

- `topology`: every exchange, queue and routing key, declared there only;
- `publisher`: connections, and the confirming `Publisher` of contract messages;
- `confirms`: a batch published with one wait for its publisher confirms;
- `worker`: the `Worker` loop and the handler contract (`Retry`, `Reject`, `Delivery`);
- `heartbeat`: heartbeats on a consumer's connection while a long handler runs;
- `rpc`: request/reply with direct reply-to (the gateway's `RpcClient`; the inferer answers
  through a `Worker`).

The names a service uses are here too: `from shared import broker`, then `broker.Publisher`,
`broker.run_worker`, …
"""
from __future__ import annotations

from shared.broker.publisher import (
    CONFIRM_CHUNK,
    EDGE_RETRY_POLICY,
    WORKER_RETRY_POLICY,
    Publisher,
    connect,
)
from shared.broker.worker import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    QUEUE_HEADER,
    Delivery,
    Handler,
    Observed,
    Reject,
    Retry,
    Worker,
    run_worker,
    serve,
)

__all__ = [
    "ATTEMPT_HEADER", "CONFIRM_CHUNK", "EDGE_RETRY_POLICY", "ERROR_HEADER", "QUEUE_HEADER", "WORKER_RETRY_POLICY",
    "Delivery", "Handler", "Observed", "Publisher", "Reject", "Retry", "Worker", "connect", "run_worker", "serve",
]
