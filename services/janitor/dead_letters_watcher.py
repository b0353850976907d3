"""The janitor's consumer of every `<queue>.dead`: each dead letter handed raw to the janitor's
handler (`dead_letters.handle_dead`), acked once accounted for, never dropped.

Beside its one user: a consumer of the broker like `shared.broker.Worker`, but only the janitor
consumes dead letters."""
from __future__ import annotations

import json
import logging
import time
from typing import Callable

from kombu import Connection
from kombu.mixins import ConsumerMixin

from shared import logs, worker_metrics
from shared.broker import topology
from shared.broker.publisher import connect
from shared.broker.worker import QUEUE_HEADER, Observed, serve
from shared.settings import Settings, load

log = logging.getLogger(__name__)

DeadHandler = Callable[[str, "str | None", bytes, dict], None]


class DeadLetterWatcher(Observed, ConsumerMixin):
    """Consumes dead-letter queues and hands each raw message to `handler(queue, type, body,
    headers)`. A message is acked once accounted for; if that fails (MongoDB or Redis down) it
    goes back to its queue after a short pause and is tried again, for as long as it takes."""

    def __init__(self, connection: Connection, queues, handler: DeadHandler, *, pause: float = 2.0):
        self.connection, self.queues, self.handler, self.pause = connection, list(queues), handler, pause
        for queue in self.queues:
            worker_metrics.CONNECTED.labels(queue.name).set_function(lambda: float(self.healthy()))

    def get_consumers(self, Consumer_, channel):  # noqa: N803 - kombu's signature
        topology.declare_all(channel)
        consumer = Consumer_(queues=self.queues, on_message=self.on_message, no_ack=False)
        consumer.qos(prefetch_count=1)
        return [consumer]

    def on_message(self, message) -> None:
        headers = message.headers or {}
        queue = headers.get(QUEUE_HEADER) or (message.delivery_info or {}).get("routing_key", "?")
        with logs.bound(**dead_letter_fields(message)):
            try:
                self.handler(queue, (message.properties or {}).get("type"), message.body, headers)
            except Exception as exc:  # noqa: BLE001 - try again shortly; a dead letter is never dropped
                log.warning("could not account for a dead letter of %s yet: %r", queue, exc)
                worker_metrics.DEAD_ACCOUNT_ERRORS.labels(queue).inc()
                time.sleep(self.pause)  # well under the heartbeat
                message.requeue()
            else:
                message.ack()
                worker_metrics.DEAD_ACCOUNTED.labels(queue).inc()


def dead_letter_fields(message) -> dict:
    """The log fields of a dead letter, read from its body as far as it can be read."""
    try:
        body = json.loads(message.body)
    except (ValueError, TypeError):
        body = None
    body = body if isinstance(body, dict) else {}
    return {"message_id": (message.properties or {}).get("message_id"), "run_id": body.get("run_id"),
            "user_id": body.get("user_id"), "request_id": (message.headers or {}).get(logs.REQUEST_ID_HEADER)}


def run_watcher(queues, handler: DeadHandler, *, name: str, settings: Settings | None = None) -> None:
    settings = settings or load()
    with connect(settings) as conn:
        serve(DeadLetterWatcher(conn, queues, handler), name, ", ".join(q.name for q in queues), settings)
