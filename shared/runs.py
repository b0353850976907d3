"""Training runs: the durable record in MongoDB, the live counts in Redis, kept consistent.

This module alone writes the `runs` collection (a unit test names any other writer). States
(RunState): listing → running → building → done; or cancelled, or failed (with a reason); every
move is checked against run_state.TRANSITIONS. A user has at most one active run:
`users.active_run` is claimed with one conditional update.

The run's posts live in `run_media` (never in the run document, which stays small however
large the account: MongoDB caps a document at 16 MB, reached near 10k posts), in chunks of
MEDIA_CHUNK posts: {user_id, run_id, listing, chunk, posts: [post.discovered fields]} (a
10k-post listing is 20 writes, not 10k: the MongoDB-wire server takes ~1,000 writes/s).
`listing` names the listing that stored them; the run records the one that moved it to
`running`, so what a concurrent or crashed listing left behind is never read. Posts counted
failed are in `run_failures`, one document each ({_id: run:media, reason}: the first reason).
"""
from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import datetime, timezone
from typing import Callable

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.contracts import BuildRequested
from shared.progress import Outcome, Progress, Verdict
from shared.run_state import LIVE_STATES, RunState, check

log = logging.getLogger(__name__)

MEDIA_CHUNK = 500  # posts a run_media document (~150 KB)


class ActiveRunExists(Exception):
    def __init__(self, run_id: str):
        super().__init__(run_id)
        self.run_id = run_id


def now() -> datetime:
    return datetime.now(timezone.utc)


def create(db: Database, progress: Progress, user_id: str) -> dict:
    run_id = uuid.uuid4().hex
    claimed = db.users.find_one_and_update(
        {"_id": user_id, "$or": [{"active_run": None}, {"active_run": {"$exists": False}}]},
        {"$set": {"active_run": run_id}},
    )
    if claimed is None:
        current = db.users.find_one({"_id": user_id}, {"active_run": 1}) or {}
        active = current.get("active_run")
        if active and _is_live(db, active):
            raise ActiveRunExists(active)
        # The marker points at a run that is over (a crash between two writes): take it over.
        claimed = db.users.find_one_and_update({"_id": user_id, "active_run": active}, {"$set": {"active_run": run_id}})
        if claimed is None:
            raise ActiveRunExists((db.users.find_one({"_id": user_id}) or {}).get("active_run") or "")
    run = {"_id": run_id, "user_id": user_id, "state": RunState.LISTING, "total": 0,
           "started_at": now(), "finished_at": None, "reason": None}
    db.runs.insert_one(run)
    try:
        progress.start(run_id, user_id, RunState.LISTING)
    except Exception:
        abandon(db, progress, run, "Training could not start (the progress store is unavailable); try again shortly.")
        raise
    return run


def abandon(db: Database, progress: Progress, run: dict, reason: str) -> None:
    """Fail a run whose start went wrong half-way, so it never holds the user's slot: MongoDB
    first (the durable record, which frees the slot), Redis at best (it may be what failed)."""
    transition(db, run["_id"], RunState.FAILED, finished_at=now(), reason=reason)
    db.users.update_one({"_id": run["user_id"], "active_run": run["_id"]}, {"$set": {"active_run": None}})
    try:
        progress.finish(run["_id"], RunState.FAILED)
    except Exception:  # noqa: BLE001 - Redis is down: its record expires, and status reads MongoDB
        pass


def _is_live(db: Database, run_id: str) -> bool:
    run = db.runs.find_one({"_id": run_id}, {"state": 1})
    return bool(run and run["state"] in LIVE_STATES)


def get_owned(db: Database, run_id: str, user_id: str, projection: dict | None = None) -> dict | None:
    """The run if it is the user's; None if there is no such run or it is another user's (which
    must look exactly like a missing one)."""
    return db.runs.find_one({"_id": run_id, "user_id": user_id}, projection)


def transition(db: Database, run_id: str, new_state: str, expected: tuple[str, ...] = (), **fields) -> dict | None:
    """Move the run to `new_state` if it is in one of `expected` (default: every state the table
    lets it come from); returns the new doc, or None when the run was in another state (a race
    lost, a repeat). IllegalTransition if `expected` names a move the table does not have."""
    return db.runs.find_one_and_update(
        {"_id": run_id, "state": {"$in": list(check(expected, new_state))}},
        {"$set": {"state": RunState(new_state), "updated_at": now(), **fields}},
        return_document=ReturnDocument.AFTER,
    )


def finish(db: Database, progress: Progress, run: dict, state: str, reason: str | None = None,
           expected: tuple[str, ...] = ()) -> dict | None:
    """Put the run in a terminal state (done, cancelled, failed) and free the user's slot.

    The live counts are copied from Redis into the record, which is all that remains after.
    """
    live = progress.get(run["_id"])
    counts = {"done": live.done, "failed": live.failed} if live else {}
    done = transition(db, run["_id"], state, expected, finished_at=now(), reason=reason, **counts)
    if done is None:
        return None
    db.users.update_one({"_id": run["user_id"], "active_run": run["_id"]}, {"$set": {"active_run": None}})
    progress.finish(run["_id"], state)
    return done


def cancel(db: Database, progress: Progress, run: dict, reason: str) -> dict | None:
    """Cancel a live run: Redis first, so labelers stop at once, then the durable record (which
    frees the user's slot). None when the run had already ended."""
    progress.set_state(run["_id"], RunState.CANCELLED)
    return finish(db, progress, run, RunState.CANCELLED, reason=reason)


def set_likes_hidden(db: Database, run_id: str, likes_hidden: int) -> None:
    """Record how many of the user's posts the listing left out (likes hidden)."""
    db.runs.update_one({"_id": run_id}, {"$set": {"likes_hidden": likes_hidden}})


def mark_resumed(db: Database, run_id: str, at: datetime) -> None:
    """Record that the reaper published the run's remaining work again."""
    db.runs.update_one({"_id": run_id}, {"$set": {"resumed_at": at}, "$inc": {"resumes": 1}})


def delete_user_runs(db: Database, user_id: str) -> None:
    """Forget every run of a user (the account is deleted), their listed and failed posts too."""
    for collection in ("runs", "run_media", "run_failures"):
        db[collection].delete_many({"user_id": user_id})


def request_build(db: Database, run_id: str, user_id: str, publish: Callable) -> None:
    """Move a run whose every post is counted to building (if it is not yet) and ask for its
    build: the one place a run's build is asked for. Asking twice is harmless: the builder
    builds a run once."""
    transition(db, run_id, RunState.BUILDING, (RunState.RUNNING,))
    publish(BuildRequested.for_run(run_id, user_id))


def count_post(db: Database, progress: Progress, msg, outcome: Outcome, reason: str | None, publish) -> Verdict:
    """Count one post of a run (`msg`: its post.discovered) as done or failed, exactly once however
    often it is counted; the caller whose count completes the run publishes its build.
    Returns the verdict: counted, complete, duplicate or inactive (never missing)."""
    if outcome == "failed":
        log.warning("run %s media %s failed: %s", msg.run_id, msg.media_id, reason)
        with contextlib.suppress(DuplicateKeyError):  # counted failed before: the first reason stays
            db.run_failures.insert_one({"_id": f"{msg.run_id}:{msg.media_id}", "user_id": msg.user_id,
                                        "run_id": msg.run_id, "media_id": msg.media_id, "reason": reason, "at": now()})
    verdict, state = progress.record(msg.run_id, msg.media_id, outcome)
    if verdict == Verdict.MISSING:  # Redis lost the run (flushed, restarted): rebuild it from MongoDB
        run = db.runs.find_one({"_id": msg.run_id})
        if run is None or run["state"] not in LIVE_STATES:
            return Verdict.INACTIVE
        restore_progress(db, progress, run)
        verdict, state = progress.record(msg.run_id, msg.media_id, outcome)
    if verdict == Verdict.COMPLETE or (verdict == Verdict.DUPLICATE and state == RunState.BUILDING):
        # Exactly one first count completes the run; a repeat of that message (its sender may have
        # died before publishing) asks again.
        request_build(db, msg.run_id, msg.user_id, publish)
    return verdict


def restore_progress(db: Database, progress: Progress, run: dict) -> None:
    """Rebuild a live run's Redis record from MongoDB (Redis lost it): the posts stored by the
    run are done, those in `run_failures` (and not stored) failed. Linear in the run's size."""
    stored = db.posts.find({"user_id": run["user_id"], "run_id": run["_id"]}, {"media_id": 1})
    done_ids = {p["media_id"] for p in stored}
    failed_ids = {f["media_id"] for f in failures(db, run)} - done_ids
    progress.restore(run["_id"], run["user_id"], run["state"], run.get("total", 0), list(done_ids), list(failed_ids))


def store_media(db: Database, run: dict, posts: list[dict]) -> str:
    """Store a listing's posts (post.discovered fields) in `run_media`; returns the listing's id,
    which the run must record (`transition(..., listing=...)`) for them to be its media."""
    listing = uuid.uuid4().hex
    chunks = [{"user_id": run["user_id"], "run_id": run["_id"], "listing": listing, "chunk": n,
               "posts": posts[start:start + MEDIA_CHUNK]} for n, start in enumerate(range(0, len(posts), MEDIA_CHUNK))]
    if chunks:
        db.run_media.insert_many(chunks)
    return listing


def media(db: Database, run: dict) -> list[dict]:
    """The run's posts in listing order, each the fields of its post.discovered."""
    if not run.get("listing"):
        return []  # not listed yet
    chunks = db.run_media.find({"user_id": run["user_id"], "run_id": run["_id"], "listing": run["listing"]},
                               {"chunk": 1, "posts": 1})
    return [post for chunk in sorted(chunks, key=lambda c: c["chunk"]) for post in chunk["posts"]]


def failures(db: Database, run: dict) -> list[dict]:
    """The run's media counted failed, with the reason: [{media_id, reason}], first failed first."""
    docs = db.run_failures.find({"user_id": run["user_id"], "run_id": run["_id"]}, {"_id": 0, "at": 1, "media_id": 1,
                                                                                   "reason": 1})
    return [{"media_id": d["media_id"], "reason": d["reason"]} for d in sorted(docs, key=lambda d: d["at"])]


def status(db: Database, progress: Progress, run: dict) -> dict:
    """The run as the API shows it (docs/design.md): from Redis while live, from MongoDB after."""
    live = progress.get(run["_id"]) if run["state"] in LIVE_STATES else None
    if run["state"] in LIVE_STATES and live is None:
        restore_progress(db, progress, run)
        live = progress.get(run["_id"])
    if live is not None and run["state"] in LIVE_STATES:
        state, total, done_n, failed_n = live.state, live.total, live.done, live.failed
        if state not in LIVE_STATES:  # Redis is ahead of Mongo only for cancel, which writes Mongo first
            state = run["state"]
    else:
        state, total = run["state"], run.get("total", 0)
        done_n = run.get("done", 0)
        failed_n = run["failed"] if "failed" in run else len(failures(db, run))
    return {
        "run_id": run["_id"], "state": state, "total": total, "done": done_n, "failed": failed_n,
        "started_at": _iso(run.get("started_at")), "finished_at": _iso(run.get("finished_at")),
        "reason": run.get("reason"), "likes_hidden": run.get("likes_hidden"),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None
