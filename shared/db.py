"""MongoDB: one client per process, the collections Likely uses, and their indexes."""
from __future__ import annotations

import threading

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.database import Database

from shared.settings import Settings, load

_lock = threading.Lock()
_clients: dict[tuple[int, str], MongoClient] = {}


def client(settings: Settings | None = None) -> MongoClient:
    """The process's client (pymongo clients must not cross a fork, so key by pid)."""
    import os

    s = settings or load()
    key = (os.getpid(), s.mongo_url)
    with _lock:
        if key not in _clients:
            # timeoutMS bounds every operation (pymongo's client-side operation timeout), so a
            # server that stops answering is an error within seconds, never a hang.
            ms = int(s.mongo_timeout * 1000)
            _clients[key] = MongoClient(s.mongo_url, serverSelectionTimeoutMS=ms, timeoutMS=ms, tz_aware=True)
        return _clients[key]


def database(settings: Settings | None = None) -> Database:
    s = settings or load()
    return client(s)[s.mongo_db]


#: Collections whose documents carry `expires_at` and are deleted by the server after it.
EXPIRING = ("sessions", "oauth_states", "oidc_states", "login_handovers", "email_verifications", "claims")


def ensure_indexes(db: Database) -> None:
    """Idempotent; every service calls it at start."""
    db.users.create_index([("email", ASCENDING)], unique=True)
    db.sessions.create_index([("token_hash", ASCENDING)], unique=True)
    db.oauth_states.create_index([("state", ASCENDING)], unique=True)
    db.posts.create_index([("user_id", ASCENDING), ("media_id", ASCENDING)], unique=True)
    db.posts.create_index([("user_id", ASCENDING), ("run_id", ASCENDING)])
    db.runs.create_index([("user_id", ASCENDING), ("started_at", DESCENDING)])
    # A run's posts and its failed posts (shared.runs), read by run; deleting an account goes
    # by user_id. (Each query names every field of its index: the MongoDB-wire server scans
    # otherwise.)
    db.run_media.create_index([("user_id", ASCENDING), ("run_id", ASCENDING), ("listing", ASCENDING)])
    db.run_failures.create_index([("user_id", ASCENDING), ("run_id", ASCENDING)])
    # Each post's insights, read by the ingestor (services.ingestor.insights), one per user and media.
    db.post_insights.create_index([("user_id", ASCENDING), ("media_id", ASCENDING)], unique=True)
    db.models.create_index([("user_id", ASCENDING), ("version", DESCENDING)], unique=True)
    db.models.create_index([("source", ASCENDING)], unique=True)
    db.predictions.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
    db.oidc_states.create_index([("state", ASCENDING)], unique=True)
    db.login_handovers.create_index([("code_hash", ASCENDING)], unique=True)
    # An OpenID Connect identity belongs to one account (`services.gateway.accounts.identities`).
    db.identities.create_index([("provider", ASCENDING), ("sub", ASCENDING)], unique=True)
    db.identities.create_index([("user_id", ASCENDING)])
    db.email_verifications.create_index([("token_hash", ASCENDING)], unique=True)
    # Refused once expired by the code that reads them; the server then deletes them (MongoDB's
    # TTL sweep, every 60 s), so none of these grows without bound.
    for name in EXPIRING:
        db[name].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
