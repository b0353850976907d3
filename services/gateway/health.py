"""Liveness, readiness (broker, Redis, MongoDB), Prometheus metrics and the OpenAPI spec."""
from __future__ import annotations

import os
import time

from flask import Blueprint, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from services.gateway.deps import deps
from services.gateway.http import openapi as spec
from services.gateway.http.openapi import Content, api
from services.gateway.http.schemas import Health, Readiness
from shared.broker import EDGE_RETRY_POLICY, connect

bp = Blueprint("health", __name__)

REQUESTS = Counter("likely_gateway_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("likely_gateway_request_seconds", "HTTP request latency", ["route"])


@bp.before_app_request
def _start_timer():
    g.started = time.perf_counter()


@bp.after_app_request
def _observe(response):
    route = request.url_rule.rule if request.url_rule else "unmatched"
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    if "started" in g:
        LATENCY.labels(route).observe(time.perf_counter() - g.started)
    return response


@bp.get("/healthz")
@api(auth=False, outage=False, responses={200: ("the process answers", Health)})
def healthz():
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@api(auth=False, outage=False, responses={200: ("ready", Readiness), 503: ("not ready: a check says which", Readiness)})
def readyz():
    """Readiness: the broker, Redis and MongoDB all answer."""
    d = deps()
    checks = {}
    for name, probe in (("mongodb", lambda: d.db.command("ping")), ("redis", d.redis.ping),
                        ("rabbitmq", lambda: _broker_answers(d.settings))):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks[name] = f"down: {exc.__class__.__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), 200 if ready else 503


def _broker_answers(settings) -> None:
    """A fresh connection: one kept open may look connected long after the broker went away."""
    with connect(settings, heartbeat=False, connect_timeout=1) as conn:
        conn.ensure_connection(**EDGE_RETRY_POLICY)


@bp.get("/metrics")
@api(
    auth=False, outage=False, responses={200: ("Prometheus text format", Content(("text/plain",), {"type": "string"}))}
)
def metrics():
    """Prometheus metrics (all gunicorn workers, when PROMETHEUS_MULTIPROC_DIR is set)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return generate_latest(registry) + _dead_letter_counts(), 200, {"Content-Type": CONTENT_TYPE_LATEST}


def _dead_letter_counts() -> bytes:
    """likely_dead_letters{queue, outcome}: what the janitor accounted for (MongoDB dead_letters)."""
    from prometheus_client import Gauge

    registry = CollectorRegistry()
    gauge = Gauge("likely_dead_letters", "Dead letters accounted for by the janitor", ["queue", "outcome"],
                  registry=registry)
    try:
        rows = deps().db.dead_letters.aggregate(
            [{"$group": {"_id": {"q": "$queue", "o": "$outcome"}, "n": {"$sum": 1}}}]
        )
        for row in rows:
            gauge.labels(row["_id"].get("q") or "?", row["_id"].get("o") or "?").set(row["n"])
    except Exception:  # noqa: BLE001 - MongoDB down: the other metrics still answer
        return b""
    return generate_latest(registry)


@bp.get("/openapi.json")
@api(auth=False, outage=False, responses={200: ("this document (OpenAPI 3.1)", {"type": "object"})})
def openapi():
    """The HTTP API, generated from the routes' own request and answer models (openapi.py)."""
    cached = current_app.extensions.get("likely.openapi")
    if cached is None:
        cached = current_app.extensions["likely.openapi"] = spec.spec(current_app)
    return jsonify(cached)
