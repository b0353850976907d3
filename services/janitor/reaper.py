"""No run is left live: a run without progress for LIKELY_RUN_STALL_TIMEOUT seconds is resumed
(its remaining work published again: every handler is idempotent), and failed with a reason
if it stalls again after that."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Callable, Literal

from pydantic import ValidationError
from pymongo.database import Database

from shared import runs
from shared.broker.confirms import publish_all
from shared.contracts import PostDiscovered, TrainRequested
from shared.progress import Progress
from shared.run_state import LIVE_STATES, RunState

log = logging.getLogger(__name__)

# What a sweep did to a stalled run.
SweepVerdict = Literal["resumed", "failed"]


def _ts(value) -> float:
    return value.timestamp() if value is not None else 0.0


def last_progress(run: dict, touched: float | None) -> float:
    """When the run last moved: started, changed state, or counted a post (epoch seconds)."""
    return max(_ts(run.get("started_at")), _ts(run.get("updated_at")), touched or 0.0)


def sweep(db: Database, progress: Progress, publish: Callable, *, stall: float, now: float | None = None,
          publish_many: Callable | None = None) -> dict[str, SweepVerdict]:
    """One pass over the live runs; returns {run_id: 'resumed' | 'failed'} for those acted on.
    A resumed run's posts go in one confirmed batch through `publish_many` when given. A run that
    cannot be swept now (a store or the broker down) is left for the next sweep, without keeping
    the others waiting; one whose stored posts cannot make messages again is failed."""
    now = time.time() if now is None else now
    acted: dict[str, SweepVerdict] = {}
    for head in db.runs.find({"state": {"$in": list(LIVE_STATES)}}, {"_id": 1}):
        try:
            verdict = _sweep_run(db, progress, publish, head["_id"], stall=stall, now=now, publish_many=publish_many)
        except Exception as exc:  # noqa: BLE001 - one run's failure must not keep the others stuck
            log.warning("run %s: not swept, tried again at the next sweep: %r", head["_id"], exc)
            continue
        if verdict:
            acted[head["_id"]] = verdict
    return acted


def _sweep_run(db: Database, progress: Progress, publish: Callable, run_id: str, *, stall: float, now: float,
               publish_many: Callable | None) -> SweepVerdict | None:
    run = db.runs.find_one({"_id": run_id})
    if run is None or run["state"] not in LIVE_STATES:
        return None
    live = progress.get(run["_id"])
    moved = last_progress(run, live.touched if live else None)
    resumed = _ts(run.get("resumed_at"))
    if resumed >= moved:  # resumed before, and nothing moved since
        if now - resumed >= stall:
            reason = (f"No progress for {stall:.0f} s, even after its work was sent again; "
                      "train again to pick up where it stopped.")
            if runs.finish(db, progress, run, RunState.FAILED, reason=reason):
                log.error("run %s failed: stalled in %s", run["_id"], run["state"])
                return "failed"
        return None
    if now - moved < stall:
        return None
    try:
        resume(db, progress, publish, run, publish_many)
    except ValidationError as exc:  # its stored posts cannot make messages: no resume can help
        log.error("run %s failed: its stored posts cannot be sent again: %s", run["_id"], exc)
        reason = "Its posts could not be sent for labelling again after it stalled; train again."
        return "failed" if runs.finish(db, progress, run, RunState.FAILED, reason=reason) else None
    runs.mark_resumed(db, run["_id"], datetime.fromtimestamp(now, timezone.utc))
    log.warning("run %s resumed: no progress in %s for %.0f s", run["_id"], run["state"], now - moved)
    return "resumed"


def resume(
    db: Database, progress: Progress, publish: Callable, run: dict, publish_many: Callable | None = None
) -> None:
    """Publish the run's remaining work again (duplicates are harmless: handlers are idempotent)."""
    run_id, user_id = run["_id"], run["user_id"]
    if run["state"] == RunState.LISTING:
        publish(TrainRequested.for_run(run_id, user_id))
    elif run["state"] == RunState.BUILDING:
        runs.request_build(db, run_id, user_id, publish)
    else:
        if progress.get(run_id) is None:
            runs.restore_progress(db, progress, run)
        seen = progress.seen(run_id)
        publish_all((PostDiscovered.of_post(post) for post in runs.media(db, run) if post["media_id"] not in seen),
                    publish, publish_many)
