"""Every message that reaches a `<queue>.dead` queue is accounted for.

A dead post is counted `failed` in its run with the reason (the run still finishes); a dead
listing or build fails its run with the reason; every dead letter is recorded in MongoDB
(`dead_letters`, one document per message however often it is seen) for inspection.
"""
from __future__ import annotations

import logging
import uuid
from typing import Callable

from pymongo.database import Database

from shared import contracts, runs
from shared.progress import Progress
from shared.run_state import LIVE_STATES, RunState

log = logging.getLogger(__name__)


def reason_of(headers: dict | None) -> str:
    """Why the message died: the reason our worker gave, else what the broker says (x-death)."""
    from shared.broker import ERROR_HEADER

    headers = headers or {}
    if headers.get(ERROR_HEADER):
        return str(headers[ERROR_HEADER])
    deaths = headers.get("x-death") or []
    if deaths:
        why = deaths[0].get("reason")
        if why == "delivery_limit":
            return "its worker stopped while holding it on every delivery (the broker's delivery limit)"
        return f"dead-lettered by the broker ({why})"
    return "dead-lettered (no reason given)"


def handle_dead(queue: str, type_name: str | None, body: bytes | str, headers: dict | None, *, db: Database,
                progress: Progress, publish: Callable) -> str:
    """Account for one dead letter; returns what was done. Idempotent: seen twice, counted once."""
    reason = reason_of(headers)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        msg = contracts.decode(type_name, body)
    except contracts.UndecodableMessage:
        msg = None
    outcome = "recorded"
    if isinstance(msg, contracts.PostDiscovered):
        outcome = "post_" + runs.count_post(db, progress, msg, "failed", f"dead-lettered: {reason}", publish)
    elif isinstance(msg, (contracts.TrainRequested, contracts.BuildRequested)) and msg.run_id:
        run = runs.get_owned(db, msg.run_id, msg.user_id)
        if run is not None and run["state"] in LIVE_STATES:
            step = "listed" if isinstance(msg, contracts.TrainRequested) else "built"
            finished = runs.finish(db, progress, run, RunState.FAILED, reason=f"The run could not be {step}: {reason}")
            outcome = "run_failed" if finished else "run_over"
        else:
            outcome = "run_over"
    key = f"{queue}:{msg.message_id}" if msg is not None else f"{queue}:undecodable:{uuid.uuid4().hex}"
    db.dead_letters.update_one(
        {"_id": key},
        {"$set": {"queue": queue, "type": type_name, "reason": reason, "body": text[:10_000], "outcome": outcome,
                  "run_id": getattr(msg, "run_id", None), "at": runs.now()},
         "$inc": {"seen": 1}},
        upsert=True,
    )
    log.warning("dead letter from %s (%s): %s -> %s", queue, type_name, reason, outcome)
    return outcome
