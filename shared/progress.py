"""Live run progress in Redis, counted exactly once per media however often it is delivered.

Keys: `run:{id}` hash (user_id state total done failed touched) and `run:{id}:seen` set.
Redis may lose all of it; `restore()` rebuilds a run from MongoDB's record, atomically and only
if the run is missing. (The user's active run is MongoDB's `users.active_run` alone.)
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import redis

from shared.run_state import RunState

# KEYS: run hash, seen set. ARGV: media id, outcome field ("done" | "failed"), now (epoch s), the
# state that counts posts (running), the state the last count moves the run to (building).
# Returns {verdict, state}: verdict is "missing" (Redis lost the run), "inactive" (cancelled or
# over), "duplicate" (this media was counted before), "counted", or "complete" – returned to
# exactly one caller, the one whose outcome makes done + failed reach total.
_RECORD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= ARGV[4] and state ~= ARGV[5] then return {'inactive', state} end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return {'duplicate', state} end
if state ~= ARGV[4] then return {'inactive', state} end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('HSET', KEYS[1], 'touched', ARGV[3])
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
local n = tonumber(redis.call('HGET', KEYS[1], 'done')) + tonumber(redis.call('HGET', KEYS[1], 'failed'))
if n >= total then
  redis.call('HSET', KEYS[1], 'state', ARGV[5])
  return {'complete', ARGV[5]}
end
return {'counted', state}
"""

# KEYS: run hash, seen set. ARGV: user_id, state, total, done, failed, then seen media ids.
_RESTORE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'user_id', ARGV[1], 'state', ARGV[2], 'total', ARGV[3], 'done', ARGV[4], 'failed', ARGV[5])
redis.call('DEL', KEYS[2])
for i = 6, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 1
"""

#: What a post's count may be (the run hash's fields): labelled, or given up with a reason.
Outcome = Literal["done", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("done", "failed")


class Verdict(StrEnum):
    """What counting a post did (the record script's answer; a str, logged as its value)."""

    COUNTED = "counted"
    COMPLETE = "complete"  # counted, and the run's last: it moved to building (one caller gets this)
    DUPLICATE = "duplicate"  # counted before
    INACTIVE = "inactive"  # the run is cancelled or over
    MISSING = "missing"  # Redis lost the run


@dataclass(frozen=True)
class RunProgress:
    run_id: str
    user_id: str
    state: str
    total: int
    done: int
    failed: int
    touched: float | None = None  # when a post was last counted (epoch seconds)


def run_key(run_id: str) -> str:
    return f"run:{run_id}"


def seen_key(run_id: str) -> str:
    return f"run:{run_id}:seen"


class Progress:
    def __init__(self, client: redis.Redis, ttl_seconds: int = 7 * 24 * 3600):
        self.r = client
        self.ttl = ttl_seconds
        self._record = client.register_script(_RECORD)
        self._restore = client.register_script(_RESTORE)

    def start(self, run_id: str, user_id: str, state: str, total: int = 0) -> None:
        pipe = self.r.pipeline()
        pipe.delete(seen_key(run_id))
        pipe.hset(run_key(run_id), mapping={"user_id": user_id, "state": state, "total": total, "done": 0, "failed": 0})
        pipe.expire(run_key(run_id), self.ttl)
        pipe.execute()

    def set_running(self, run_id: str, user_id: str, total: int) -> None:
        self.start(run_id, user_id, RunState.RUNNING, total)

    def record(self, run_id: str, media_id: str, outcome: Outcome) -> tuple[Verdict, str]:
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        verdict, state = self._record(keys=[run_key(run_id), seen_key(run_id)],
                                      args=[media_id, outcome, time.time(), RunState.RUNNING, RunState.BUILDING])
        return Verdict(_s(verdict)), _s(state)

    def restore(self, run_id: str, user_id: str, state: str, total: int, seen_done: list[str],
                seen_failed: list[str]) -> bool:
        created = self._restore(
            keys=[run_key(run_id), seen_key(run_id)],
            args=[user_id, state, total, len(seen_done), len(seen_failed), *seen_done, *seen_failed],
        )
        if created:
            self.r.expire(run_key(run_id), self.ttl)
            self.r.expire(seen_key(run_id), self.ttl)
        return bool(created)

    def touch(self, run_id: str) -> None:
        """The run moved without counting a post (a long listing): the janitor's stall clock
        (services.janitor.reaper.last_progress) starts again."""
        if self.r.exists(run_key(run_id)):
            self.r.hset(run_key(run_id), "touched", time.time())

    def set_state(self, run_id: str, state: str) -> None:
        if self.r.exists(run_key(run_id)):
            self.r.hset(run_key(run_id), "state", state)

    def get(self, run_id: str) -> RunProgress | None:
        h = self.r.hgetall(run_key(run_id))
        if not h:
            return None
        f = {_s(k): _s(v) for k, v in h.items()}
        return RunProgress(run_id, f.get("user_id", ""), f.get("state", ""), int(f.get("total", 0)),
                           int(f.get("done", 0)), int(f.get("failed", 0)),
                           float(f["touched"]) if f.get("touched") else None)

    def seen(self, run_id: str) -> set[str]:
        """The media ids counted in the run so far."""
        return {_s(m) for m in self.r.smembers(seen_key(run_id))}

    def state(self, run_id: str) -> str | None:
        v = self.r.hget(run_key(run_id), "state")
        return _s(v) if v is not None else None

    def finish(self, run_id: str, state: str) -> None:
        """A terminal state: keep the counts for a while, drop the seen set."""
        pipe = self.r.pipeline()
        pipe.hset(run_key(run_id), "state", state)
        pipe.expire(run_key(run_id), 3600)
        pipe.delete(seen_key(run_id))
        pipe.execute()


def _s(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def connect(url: str, timeout: float | None = None) -> redis.Redis:
    """A client that gives up fast (LIKELY_REDIS_TIMEOUT, one quick retry): callers see a Redis
    outage as an error within seconds (the gateway answers 503, a worker retries later)."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    if timeout is None:
        from shared.settings import load

        timeout = load().redis_timeout
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30,
                                retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1))
