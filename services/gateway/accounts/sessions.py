"""Session tokens: MongoDB holds them (`sessions`, by token hash); Redis caches each one checked,
so an authenticated request costs one Redis GET instead of a MongoDB read.

The cache is invalidated, not only timed out: revoking writes a tombstone into the token's
cache key *before* deleting the session from MongoDB, so the very next request, on any gunicorn
worker or gateway replica, finds the tombstone (or, once it has expired or Redis lost it, no
session in MongoDB). A request that read MongoDB just before the revocation cannot put the
token back: the cache is filled with SET NX, which a tombstone wins, and a tombstone written
after a fill overwrites it. Revoking needs Redis: if Redis is down it fails (503) before
anything is deleted, and the client tries again. Checking does not: without Redis it reads MongoDB.

Every place that ends sessions goes through `SessionStore.revoke` / `revoke_user`: log-out,
account deletion (and a password change or reset, when there is one). Expiry needs nothing:
the cached entry carries `expires_at`. `test_only_the_session_store_revokes_sessions` fails
if code elsewhere deletes from `sessions` directly.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import cast

from pymongo.database import Database
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

REVOKED = b"-"
# A cached entry lives at most this long (it is re-read from MongoDB after): it bounds what a
# Redis restored from an old snapshot (one without a later tombstone) could bring back.
ENTRY_TTL = 300
# Token hash -> user id kept per process for `lookup_along` (a hint only: never trusted as a session).
USER_HINTS = 100_000


@dataclass(frozen=True)
class Session:
    user_id: str
    expires_at: datetime


def cache_key(token_hash: str) -> str:
    return f"session:{token_hash}"


def _seconds_left(expires_at: datetime) -> int:
    return max(1, math.ceil((expires_at - datetime.now(timezone.utc)).total_seconds()))


def _encode(s: Session) -> bytes:
    return f"{s.expires_at.timestamp():.6f} {s.user_id}".encode()


def _decode(raw: bytes) -> Session:
    ts, user_id = raw.decode().split(" ", 1)
    return Session(user_id, datetime.fromtimestamp(float(ts), timezone.utc))


class SessionStore:
    def __init__(self, db: Database, redis: Redis):
        self.db, self.redis = db, redis
        self._users: dict[str, str] = {}

    def lookup(self, token_hash: str) -> Session | None:
        """The session of this token hash (expired or not: the caller tells which), or None if
        it was never issued or has been revoked."""
        try:
            raw = cast("bytes | None", self.redis.get(cache_key(token_hash)))  # a client with bytes replies
        except RedisError as exc:  # the cache is down: MongoDB still knows every session
            log.warning("session cache unavailable, reading MongoDB: %r", exc)
            return self._from_db(token_hash)
        return self._resolve(token_hash, raw)

    def lookup_along(self, token_hash: str, reads) -> tuple[Session | None, tuple | None]:
        """`lookup`, with the route's own Redis reads in the same round trip: `reads(pipe, user_id)`
        queues them for the user this token belonged to when this process last saw it (a token's
        user never changes) and returns what the caller needs to read the results. Returns
        (session, (that return, the results)), the second None unless the session is that user's
        (the caller then reads for itself). The session GET is still made on every request, so
        revocation stays as immediate as `lookup`'s."""
        user_id = self._users.get(token_hash)
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(cache_key(token_hash))
        context = reads(pipe, user_id) if user_id is not None else None
        try:
            raw, *results = pipe.execute()
        except RedisError as exc:  # the cache is down: MongoDB still knows every session
            log.warning("session cache unavailable, reading MongoDB: %r", exc)
            return self._from_db(token_hash), None
        session = self._resolve(token_hash, raw)
        if session is None:
            return None, None
        if user_id is None:
            if len(self._users) >= USER_HINTS:
                self._users.clear()  # crude, and rare: the next request of each token reads twice
            self._users[token_hash] = session.user_id
        return session, ((context, results) if user_id == session.user_id else None)

    def _resolve(self, token_hash: str, raw: bytes | None) -> Session | None:
        """The session, from what its cache key held (a tombstone, an entry, or nothing: MongoDB)."""
        if raw == REVOKED:
            return None
        if raw is not None:
            return _decode(raw)
        session = self._from_db(token_hash)
        if session is None:
            return None
        key = cache_key(token_hash)
        try:
            filled = self.redis.set(
                key, _encode(session), nx=True, ex=min(ENTRY_TTL, _seconds_left(session.expires_at))
            )
            if not filled and self.redis.get(key) == REVOKED:  # revoked while we were reading MongoDB
                return None
        except RedisError:
            pass
        return session

    def _from_db(self, token_hash: str) -> Session | None:
        doc = self.db.sessions.find_one({"token_hash": token_hash}, {"user_id": 1, "expires_at": 1})
        if doc is None:
            return None
        expires_at = doc["expires_at"]
        if expires_at.tzinfo is None:  # stored as UTC
            expires_at = expires_at.replace(tzinfo=timezone.utc)
        return Session(doc["user_id"], expires_at)

    def _tombstone(self, pairs: list[tuple[str, datetime]]) -> None:
        """Tombstones for these (token hash, expires_at): kept until the token would expire anyway."""
        if not pairs:
            return
        pipe = self.redis.pipeline(transaction=False)
        for token_hash, expires_at in pairs:
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=timezone.utc)
            pipe.set(cache_key(token_hash), REVOKED, ex=_seconds_left(expires_at))
        pipe.execute()

    def revoke(self, token_hash: str) -> None:
        """Log-out: this token stops working on every worker at once."""
        doc = self.db.sessions.find_one({"token_hash": token_hash}, {"expires_at": 1})
        if doc is None:
            return
        self._tombstone([(token_hash, doc["expires_at"])])
        self.db.sessions.delete_one({"token_hash": token_hash})

    def revoke_user(self, user_id: str) -> int:
        """Every session of the user (account deletion, a password change): returns how many."""
        docs = list(self.db.sessions.find({"user_id": user_id}, {"token_hash": 1, "expires_at": 1}))
        self._tombstone([(d["token_hash"], d["expires_at"]) for d in docs])
        self.db.sessions.delete_many({"user_id": user_id})
        return len(docs)
