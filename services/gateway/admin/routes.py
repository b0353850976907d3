"""The operators' API, for admin accounts only (`likely top`, `likely dead-letters`).

An account is an admin when its email is listed in LIKELY_ADMIN_EMAILS (comma-separated) and
the address is not unverified: an account signed up with a listed address grants nothing
until its verification link has been followed, so nobody becomes admin by signing up first
with an operator's address. Anyone else gets 403 (and 401 without a valid session).

    GET  /api/v1/admin/overview       runs in progress (posts/s, done/total, ETA), queue and
                                      dead-letter depths, labelers (consumers of labeler.posts)
    GET  /api/v1/admin/dead-letters   the dead letters the janitor recorded, newest first
    POST /api/v1/admin/dead-letters/replay   {"ids": [...]} or {"all": true}
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import wraps

from flask import Blueprint, g, jsonify, request

from services.gateway.accounts.authentication import authenticate
from services.gateway.admin import dead_letters, queues
from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from services.gateway.http.openapi import api
from services.gateway.http.schemas import AdminDeadLettersQuery, AdminReplay, Error
from services.gateway.runs.run_status import progress_of
from shared.broker import topology
from shared.progress import run_key
from shared.run_state import LIVE_STATES, RunState

bp = Blueprint("admin", __name__)
log = logging.getLogger(__name__)


def admin_emails(settings) -> set[str]:
    return {e.strip().lower() for e in settings.admin_emails.split(",") if e.strip()}


def is_admin(db, settings, user_id: str) -> bool:
    admins = admin_emails(settings)
    if not admins:
        return False
    user = db.users.find_one({"_id": user_id}, {"email": 1, "email_verified": 1}) or {}
    return (user.get("email") or "").lower() in admins and user.get("email_verified") is not False


def admin_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        if not is_admin(deps().db, deps().settings, g.user_id):
            raise ApiError(403, "forbidden", "This is for Likely's operators (an admin account) only.")
        return view(*args, **kwargs)
    return wrapper


# For the spec (`http.openapi`): admin_only authenticates first (401), then 403 for non-admins.
ADMIN_ANSWERS = {200: ("the operators' view", {"type": "object"}),
                 403: ("not an admin account (forbidden)", Error)}


def live_runs(db, redis, at: datetime) -> list[dict]:
    """Every run in progress, with its counts from Redis and its labeling rate since it started
    running (posts counted ÷ time from the move to `running` to the last count) and ETA."""
    docs = list(db.runs.find({"state": {"$in": list(LIVE_STATES)}},
                             {"user_id": 1, "state": 1, "total": 1, "started_at": 1, "updated_at": 1}))
    emails = {
        u["_id"]: u.get("email") for u in db.users.find({"_id": {"$in": [d["user_id"] for d in docs]}}, {"email": 1})
    }
    pipe = redis.pipeline(transaction=False)
    for d in docs:
        pipe.hgetall(run_key(d["_id"]))
    rows = []
    for d, h in zip(docs, pipe.execute() if docs else [], strict=True):
        live = progress_of(d["_id"], h)
        state, total = (live.state, live.total) if live else (d["state"], d.get("total", 0))
        n = (live.done + live.failed) if live else 0
        rate = eta = None
        since = d.get("updated_at") if d["state"] == RunState.RUNNING else None
        if live and live.touched and since and n:
            window = live.touched - since.timestamp()
            if window > 0:
                rate = n / window
                eta = max(total - n, 0) / rate
        rows.append(
            {
                "run_id": d["_id"],
                "user_id": d["user_id"],
                "email": emails.get(d["user_id"]),
                "state": state,
                "total": total,
                "done": live.done if live else 0,
                "failed": live.failed if live else 0,
                "posts_per_s": round(rate, 2) if rate else None,
                "eta_s": round(eta, 1) if eta is not None else None,
                "started_at": d["started_at"].isoformat() if d.get("started_at") else None,
                "running_s": round(at.timestamp() - d["started_at"].timestamp(), 1) if d.get("started_at") else None,
            }
        )
    return sorted(rows, key=lambda r: r["started_at"] or "")


@bp.get("/api/v1/admin/overview")
@admin_only
@api(responses=ADMIN_ANSWERS)
def overview():
    """What `likely top` shows: runs in progress, queues, labelers, dead letters."""
    d = deps()
    at = datetime.now(timezone.utc)
    out = {"at": at.isoformat(), "runs": live_runs(d.db, d.redis, at), "queues": None, "labelers": None,
           "queues_error": None, "dead_letters": dead_letters.counts(d.db)}
    try:
        work = queues.work_queues(queues.queue_stats(d.settings))
        out["queues"] = work
        out["labelers"] = next(q["consumers"] for q in work if q["queue"] == topology.LABELER_POSTS.name)
    except Exception as exc:  # noqa: BLE001 - the management API is down: show the rest
        log.warning("RabbitMQ management API unavailable: %r", exc)
        out["queues_error"] = f"RabbitMQ's management API did not answer ({exc.__class__.__name__})"
    return jsonify(out)


@bp.get("/api/v1/admin/dead-letters")
@admin_only
@api(query=AdminDeadLettersQuery, responses=ADMIN_ANSWERS)
def list_dead_letters():
    """The dead letters the janitor recorded, newest first (`limit`, at most 500)."""
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 500)
    except ValueError:
        raise ApiError(400, "invalid_field", "limit: an integer", field="limit") from None
    return jsonify(dead_letters.listing(deps().db, limit))


@bp.post("/api/v1/admin/dead-letters/replay")
@admin_only
@api(body=AdminReplay, responses={**ADMIN_ANSWERS, 404: ("one id asked for, and no such dead letter", Error),
                                  409: ("one id asked for, and it cannot be replayed", Error),
                                  503: ("the broker is unavailable (broker_unavailable)", Error)})
def replay_dead_letters():
    """Publish dead letters to their work queues again: {"ids": [...]} or {"all": true}."""
    body = request.get_json(silent=True) or {}
    ids, everything = body.get("ids"), body.get("all") is True
    if not everything and not (isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids)):
        raise ApiError(400, "invalid_body", 'Say which: {"ids": ["..."]} or {"all": true}.')
    ids = [] if everything else list(ids or [])
    d = deps()
    publish_raw = d.publisher.publish_raw
    try:
        if everything:
            return jsonify(dead_letters.replay_waiting(d.db, publish_raw))
        done, skipped = [], []
        for dl_id in ids:
            try:
                done.append(dead_letters.replay(d.db, publish_raw, dl_id)["id"])
            except dead_letters.NotReplayable as exc:
                skipped.append({"id": dl_id, "code": exc.code, "message": exc.message})
    except ConnectionError:
        raise ApiError(503, "broker_unavailable", "The job queue is unavailable: nothing more was replayed.") from None
    if not done and len(ids) == 1:  # one asked for, and it could not be: say why as an error
        status = 404 if skipped[0]["code"] == "dead_letter_not_found" else 409
        raise ApiError(status, skipped[0]["code"], skipped[0]["message"], id=ids[0])
    return jsonify({"replayed": done, "skipped": skipped})
