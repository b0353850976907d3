"""The status of a user's runs, read cheaply: every open page polls it twice a second.

A live run's counts come from Redis on every request (`run:{id}`, as they change with every
post). What MongoDB holds of a run (its state, total, times, reason) changes only at a few
transitions, so each gateway process keeps the few fields the answer needs — never a run's
media — for at most `max_age` seconds while the run is live, and for good once it is over (a
finished run does not change). A cached record whose state differs from what Redis says is read
again at once, so a transition shows on the next poll (every transition of a live run writes
both stores). Which run is the user's current one, i.e. their newest: Redis's
`status:newest-run:{user}`, written by the gateway when it starts a run (`started`), else read
from MongoDB (the active run, else the newest by start) and put there with SET NX, so a fill
that read MongoDB just before a run started cannot hide that run.
"""
from __future__ import annotations

import threading
import time
from typing import cast

from pymongo.database import Database

from shared import runs
from shared.progress import Progress, RunProgress, run_key
from shared.run_state import LIVE_STATES

# What the status answer reads of a run document (runs.status, and runs.restore_progress if Redis
# lost the run): nothing else (a run's media are in run_media, found by `listing`).
RUN_FIELDS = {f: 1 for f in ("user_id", "state", "total", "done", "failed", "started_at", "finished_at", "reason",
                             "likes_hidden", "listing")}
NEWEST_TTL = 24 * 3600


def newest_key(user_id: str) -> str:
    return f"status:newest-run:{user_id}"


class RunStatusReader:
    def __init__(self, db: Database, progress: Progress, *, max_age: float = 1.0, capacity: int = 10_000,
                 clock=time.monotonic):
        self.db, self.progress, self.max_age, self.capacity, self.clock = db, progress, max_age, capacity, clock
        self._runs: dict[str, tuple[float, dict]] = {}  # run id -> (read at, projected record)
        self._hints: dict[str, str] = {}  # user id -> the run their pointer named last
        self._lock = threading.Lock()

    # -- the two questions the API asks --
    def queue_current(self, pipe, user_id: str) -> str | None:
        """Queues what `current` reads from Redis on a pipeline (the session check's, so that an
        authenticated poll is one round trip): the user's newest-run pointer, and the counts of the
        run it named last time (a hint kept per process; checked against the pointer). Returns
        that hint, which `current` needs with the results."""
        hint = self._hints.get(user_id)
        pipe.get(newest_key(user_id))
        if hint:
            pipe.hgetall(run_key(hint))
        return hint

    def current(self, user_id: str, prefetched: tuple | None = None) -> dict | None:
        """The status of the user's newest run (the live one if any: a user has at most one, and
        it is the newest); None if they have none. `prefetched`: (hint, results) of
        `queue_current`, already read; else it reads them itself (one round trip)."""
        if prefetched is None:
            pipe = self.progress.r.pipeline(transaction=False)
            prefetched = (self.queue_current(pipe, user_id), pipe.execute())
        hint, got = prefetched
        pointer = _text(got[0]) if got[0] else None
        if pointer:
            run = self._record(pointer)
            if run is not None and run["user_id"] == user_id:
                self._hints[user_id] = pointer
                return self._status(run, progress_of(pointer, got[1]) if pointer == hint else _UNREAD)
        run_id = self._newest_in_db(user_id)
        run = self._record(run_id) if run_id else None
        return self._status(run, _UNREAD) if run is not None else None

    def started(self, user_id: str, run_id: str) -> None:
        """The user's newest run is now this one (the gateway calls it when it starts a run)."""
        self.progress.r.set(newest_key(user_id), run_id, ex=NEWEST_TTL)

    def of(self, run_id: str, user_id: str) -> dict | None:
        """The status of this run if it is the user's (another user's run looks like a missing one)."""
        run = self._record(run_id)
        if run is None or run["user_id"] != user_id:
            return None
        return self._status(run, _UNREAD)

    # -- reading and caching --
    def _status(self, run: dict, live=None) -> dict:
        if run["state"] not in LIVE_STATES:
            return runs.status(self.db, self.progress, run)
        live = self.progress.get(run["_id"]) if live is _UNREAD else live
        if live is None:  # Redis lost the run: runs.status rebuilds it from MongoDB
            return runs.status(self.db, self.progress, run)
        if live.state != run["state"]:  # a transition: what MongoDB says now
            run = self._record(run["_id"], fresh=True) or run
        return runs.status(self.db, cast(Progress, _Prefetched(self.progress, live)), run)  # duck-typed: get()

    def _record(self, run_id: str, fresh: bool = False) -> dict | None:
        now = self.clock()
        hit = self._runs.get(run_id)
        if hit and not fresh and (hit[1]["state"] not in LIVE_STATES or now - hit[0] < self.max_age):
            return hit[1]
        run = self.db.runs.find_one({"_id": run_id}, RUN_FIELDS)
        if run is not None:
            self._remember(self._runs, run_id, run, now)
        return run

    def _newest_in_db(self, user_id: str) -> str | None:
        user = self.db.users.find_one({"_id": user_id}, {"active_run": 1}) or {}
        run_id = user.get("active_run")
        if not run_id:
            newest = self.db.runs.find_one({"user_id": user_id}, {"_id": 1}, sort=[("started_at", -1)])
            run_id = newest["_id"] if newest else None
        if run_id:  # NX: a run started meanwhile (its pointer written) wins over what we read
            self.progress.r.set(newest_key(user_id), run_id, ex=NEWEST_TTL, nx=True)
        return run_id

    def _remember(self, cache: dict, key: str, value, now: float) -> None:
        with self._lock:
            if len(cache) >= self.capacity:
                cache.clear()  # crude, and rare: a process serving more runs than this reads again
            cache[key] = (now, value)

_UNREAD = object()  # the run's counts are still to be read


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def progress_of(run_id: str, h: dict) -> RunProgress | None:
    """A run's counts from its `run:{id}` hash, as Progress.get reads them (None: no such hash)."""
    if not h:
        return None
    h = {_text(k): _text(v) for k, v in h.items()}
    return RunProgress(run_id, h.get("user_id", ""), h.get("state", ""), int(h.get("total", 0)), int(h.get("done", 0)),
                       int(h.get("failed", 0)), float(h["touched"]) if h.get("touched") else None)


class _Prefetched:
    """The Progress, with the run's counts already read: runs.status would read them again."""

    def __init__(self, progress: Progress, live):
        self._progress, self._live = progress, live

    def get(self, run_id: str):
        return self._live

    def __getattr__(self, name):
        return getattr(self._progress, name)
