"""Prometheus metrics of the workers, and the small HTTP server each worker process serves.

Every worker process (ingestor, labeler, builder, inferer, janitor) serves `/metrics` and
`/healthz` on LIKELY_METRICS_PORT (0: no server) at LIKELY_METRICS_HOST. One port per process:
in a pod or container every replica has its own network namespace and the same port;
on one host `scripts/stack.sh` hands each process its own. The gateway is not here: it serves
its own `/metrics` (all gunicorn workers, multiprocess mode, services.gateway.health).

The message counters are kept by `shared.broker.worker` for every worker alike; the few
service-specific figures (time per image by labeler backend, the builder's fit, the
inferer's answer) are timed by wrappers the services' `__main__` put around their
collaborators.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
import time
from typing import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger(__name__)

# Seconds: a cached prediction takes milliseconds, a build up to a minute.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

HANDLED = Counter("likely_messages_handled_total", "Messages whose handler succeeded (acked)", ["queue"])
FAILED = Counter("likely_messages_failed_total", "Handler failures (an exception, Retry or Reject)", ["queue"])
RETRIED = Counter("likely_messages_retried_total", "Messages sent to a retry queue to be tried again later",
                  ["queue"])
DEAD_LETTERED = Counter("likely_messages_dead_lettered_total",
                        "Messages sent to <queue>.dead, by reason (rejected, exhausted: no retry left, undecodable)",
                        ["queue", "reason"])
HANDLING = Histogram("likely_message_handling_seconds", "Time in the handler, per message", ["queue"],
                     buckets=BUCKETS)
IN_FLIGHT = Gauge("likely_messages_in_flight", "Messages being handled now", ["queue"])
CONNECTED = Gauge("likely_consumer_connected", "1 while the worker's consumer holds its broker connection",
                  ["queue"])
DEAD_ACCOUNTED = Counter("likely_dead_letters_accounted_total",
                         "Dead letters the janitor accounted for (recorded, their run counted) and acked", ["queue"])
DEAD_ACCOUNT_ERRORS = Counter("likely_dead_letters_account_errors_total",
                              "Tries to account for a dead letter that failed (put back, tried again)", ["queue"])
LABEL_SECONDS = Histogram("likely_labeler_image_seconds", "Time to label one image, by labeler backend",
                          ["backend"], buckets=BUCKETS)
FIT_SECONDS = Histogram("likely_builder_fit_seconds", "Time to fit one user's model", buckets=BUCKETS)
INFER_SECONDS = Histogram("likely_inferer_request_seconds",
                          "Time for the inferer to answer one prediction request (label + model + reply)",
                          buckets=BUCKETS)


def timed(histogram, fn: Callable) -> Callable:
    """`fn`, observing each call's duration in `histogram` (failed calls too)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            histogram.observe(time.perf_counter() - started)
    return wrapper


class TimedLabeler:
    """A labeler whose `label` calls are timed under its backend's name; all else passes through."""

    def __init__(self, labeler, backend: str):
        self._labeler = labeler
        self.label = timed(LABEL_SECONDS.labels(backend), labeler.label)

    def __getattr__(self, name):
        return getattr(self._labeler, name)


def backend_name(labeler_setting: str) -> str:
    """LIKELY_LABELER as a label value: `delay:150ms` → `delay` (one series per backend)."""
    return labeler_setting.split(":", 1)[0] or "offline"


def app(healthy: Callable[[], bool]):
    """WSGI: /metrics (this process's registry), /healthz (200 while `healthy()`, else 503)."""
    metrics = make_wsgi_app()

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)
        if path == "/healthz":
            ok = healthy()
            body = json.dumps({"status": "ok" if ok else "down", "consumer": "connected" if ok else "disconnected"})
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [body.encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: /metrics or /healthz\n"]

    return application


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # a scrape every few seconds is not news
        pass


def serve(port: int, host: str, healthy: Callable[[], bool]) -> ThreadingWSGIServer | None:
    """Serve /metrics and /healthz from a daemon thread; port 0: nothing (returns None)."""
    if not port:
        return None
    server = make_server(host, port, app(healthy), ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics on http://%s:%d/metrics, health on /healthz", host, port)
    return server
