"""Who makes a request: the bearer token checked against the sessions (`authenticate`, used by
`@api` and the routes that authenticate themselves), and a new session token issued (`issue_session`).
Imports no route module, so the HTTP plumbing and every route can use it."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import g, request

from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from shared.runs import now


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_session(user_id: str) -> dict:
    """A new bearer token for the user; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = now() + timedelta(seconds=deps().settings.token_ttl)
    deps().db.sessions.insert_one({"token_hash": hash_token(token), "user_id": user_id,
                                   "created_at": now(), "expires_at": expires_at})
    return {"token": token, "expires_at": expires_at.isoformat()}


def authenticate(along=None) -> str:
    """The user of the request's bearer token (sets g.user_id), or a 401 saying why not. `along`:
    the route's Redis reads, made in the session check's round trip (`g.prefetched`, `SessionStore.lookup_along`)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Log in first: this route needs an `Authorization: Bearer <token>` header.")
    token_hash = hash_token(token.strip())
    if along is None:
        session = deps().sessions.lookup(token_hash)  # Redis-cached, revocation immediate (`SessionStore`)
    else:
        session, g.prefetched = deps().sessions.lookup_along(token_hash, along)
    if session is None:
        raise ApiError(
            401, "invalid_token", "This session token is not valid (logged out, or never issued). Log in again."
        )
    if session.expires_at <= now():
        raise ApiError(401, "token_expired", "Your session has expired. Log in again.")
    g.user_id = session.user_id
    g.token_hash = token_hash
    return g.user_id


def require_auth(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)
    return wrapper
