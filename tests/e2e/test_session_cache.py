"""The gateway's session cache (`services.gateway.accounts.sessions`) on the real stack: a 2-worker
gunicorn gateway, Redis and the MongoDB-wire server. Tokens are checked from Redis once cached,
and a revoked token is refused on the very next request, whichever worker answers it."""
from __future__ import annotations

import hashlib

import requests

from services.gateway.accounts.sessions import REVOKED, cache_key
from tests.e2e.conftest import PASSWORD

TRIES = 24  # fresh connections: gunicorn's workers take turns accepting them


def statuses(stack, token: str, path: str = "/api/v1/me") -> list[int]:
    """The answers to TRIES requests, each on a connection of its own (so both workers answer)."""
    out = []
    for _ in range(TRIES):
        with requests.Session() as s:
            out.append(
                s.get(stack.gateway_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code
            )
    return out


def workers_since(stack, offset: int) -> set[int]:
    """Which worker processes answered /api/v1/me since this offset of the gateway's log."""
    import json

    pids = set()
    for line in stack.log("gateway")[offset:].splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row.get("logger") == "gunicorn.access" and "/api/v1/me" in row.get("message", ""):
            pids.add(row.get("process"))
    return pids


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_a_checked_token_is_cached_in_redis_and_logging_out_refuses_it_on_every_worker(client, stack, redis_client):
    offset = len(stack.log("gateway"))
    assert statuses(stack, client.token) == [200] * TRIES
    assert len(workers_since(stack, offset)) >= 2, "one worker answered every request: the test proves nothing"
    cached = redis_client.get(cache_key(token_hash(client.token)))
    assert cached is not None and cached != REVOKED  # the workers read the token from here now
    token = client.token
    client.log_out()
    assert redis_client.get(cache_key(token_hash(token))) == REVOKED
    assert statuses(stack, token) == [401] * TRIES  # the very next request, and every one after


def test_deleting_the_account_refuses_all_its_tokens_at_once(make_client, stack, redis_client):
    first = make_client()
    second = make_client()
    second.log_in(first.email, PASSWORD)  # a second session of the same account
    for c in (first, second):
        assert statuses(stack, c.token) == [200] * TRIES
    first.request("DELETE", "/api/v1/users/me")
    for c in (first, second):
        assert statuses(stack, c.token) == [401] * TRIES
        assert redis_client.get(cache_key(token_hash(c.token))) == REVOKED


def test_without_its_cache_entry_a_token_is_read_from_mongodb_again(client, stack, redis_client, mongo_db):
    key = cache_key(token_hash(client.token))
    assert statuses(stack, client.token)[:1] == [200]
    redis_client.delete(key)  # Redis lost it (flushed, restarted, evicted)
    assert statuses(stack, client.token) == [200] * TRIES
    assert redis_client.get(key) not in (None, REVOKED)  # filled again from MongoDB
    # A session gone from MongoDB without a tombstone (the TTL sweep, or Redis lost the tombstone
    # after a log-out) is refused once its cached copy is gone.
    mongo_db.sessions.delete_one({"token_hash": token_hash(client.token)})
    redis_client.delete(key)
    assert statuses(stack, client.token) == [401] * TRIES


def test_a_fill_that_read_mongodb_before_a_log_out_cannot_bring_the_token_back(client, stack, redis_client, mongo_db):
    from services.gateway.accounts.sessions import SessionStore

    h = token_hash(client.token)
    redis_client.delete(cache_key(h))
    read_before = mongo_db.sessions.find_one({"token_hash": h})  # a request read MongoDB ...
    client.log_out()  # ... then the token was revoked (tombstone, then MongoDB) ...
    assert read_before is not None
    assert not redis_client.set(cache_key(h), b"late fill", nx=True)  # ... and its fill (SET NX) loses
    assert SessionStore(mongo_db, redis_client).lookup(h) is None
    assert statuses(stack, client.token) == [401] * TRIES
