"""Queue depths and consumers, from RabbitMQ's management API (LIKELY_AMQP_MANAGEMENT_URL, the
credentials and virtual host of LIKELY_AMQP_URL). Its figures are the broker's statistics,
refreshed every ~5 s; enough for an operator's view, not for decisions of the code."""
from __future__ import annotations

from urllib.parse import quote

import requests
from kombu import Connection

from shared.broker import topology
from shared.settings import Settings

TIMEOUT = 2.0


def queue_stats(settings: Settings, session: requests.Session | None = None) -> dict[str, dict]:
    """Every queue of our virtual host: name -> {messages, ready, unacked, consumers}."""
    conn = Connection(settings.amqp_url)
    vhost = quote(conn.virtual_host or "/", safe="")
    url = f"{settings.amqp_management_url.rstrip('/')}/api/queues/{vhost}"
    resp = (session or requests).get(
        url,
        auth=(str(conn.userid), str(conn.password)),  # as requests would have made them
        timeout=TIMEOUT,
        params={"columns": "name,messages,messages_ready,messages_unacknowledged,consumers"},
    )
    resp.raise_for_status()
    return {q["name"]: {"messages": q.get("messages") or 0, "ready": q.get("messages_ready") or 0,
                        "unacked": q.get("messages_unacknowledged") or 0, "consumers": q.get("consumers") or 0}
            for q in resp.json()}


def work_queues(stats: dict[str, dict]) -> list[dict]:
    """One row per work queue: waiting (ready), being handled (unacked), consumers, waiting in its
    retry queues (retrying), and in its dead-letter queue (dead; the janitor empties it)."""
    rows = []
    for queue in topology.WORK_QUEUES:
        own = stats.get(queue.name, {})
        retrying = sum(stats.get(r.name, {}).get("messages", 0) for r in topology.retry_queues(queue))
        rows.append({"queue": queue.name, "ready": own.get("ready", 0), "unacked": own.get("unacked", 0),
                     "consumers": own.get("consumers", 0), "retrying": retrying,
                     "dead": stats.get(f"{queue.name}.dead", {}).get("messages", 0)})
    return rows
