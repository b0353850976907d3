"""Connecting Instagram: OAuth state, code → short-lived → long-lived token, check, disconnect."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, Field

from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from services.gateway.http.openapi import api
from services.gateway.http.schemas import Authorize, Error, InstagramStatus
from shared.instagram import InstagramError, Throttled, TokenRejected
from shared.instagram import account as instagram_account
from shared.runs import now

bp = Blueprint("instagram", __name__)
STATE_TTL = timedelta(minutes=15)


def redirect_uri() -> str:
    return f"{deps().settings.public_url}/instagram/callback"


class ConnectBody(BaseModel):
    code: str = Field(min_length=1, max_length=2048)
    state: str = Field(min_length=1, max_length=256)


@bp.get("/api/v1/instagram/authorize")
@api(responses={200: Authorize})
def authorize():
    """Instagram's authorization page for this user, with a single-use state."""
    state = secrets.token_urlsafe(24)
    deps().db.oauth_states.insert_one({"state": state, "user_id": g.user_id, "expires_at": now() + STATE_TTL})
    return jsonify({"url": deps().instagram.authorize_url(redirect_uri(), state), "state": state})


@bp.post("/api/v1/instagram")
@api(body=ConnectBody, responses={
    201: ("connected", InstagramStatus),
    400: ("a bad field, or Instagram refused the code (instagram_rejected)", Error),
    409: ("the state is unknown, used or expired (invalid_state): start again", Error),
    502: ("Instagram could not be reached or is throttling (instagram_unavailable)", Error)})
def connect():
    """Connect Instagram: the code from its redirect, exchanged for a long-lived token."""
    body = g.body
    # The state is single-use and bound to the user who asked for it (CSRF protection).
    saved = deps().db.oauth_states.find_one_and_delete({"state": body.state, "user_id": g.user_id})
    if saved is None or saved["expires_at"] <= now():
        raise ApiError(409, "invalid_state", "This Instagram authorization is unknown or has expired; start again.")
    client = deps().instagram
    try:
        short = client.exchange_code(body.code, redirect_uri())
        long = client.long_lived(short.access_token)
        me = client.me(long.access_token)
    except InstagramError as exc:
        if isinstance(exc, Throttled) or exc.status is None or exc.status >= 500:  # not the code's fault
            raise ApiError(502, "instagram_unavailable", f"Instagram could not be asked: {exc.message}") from None
        raise ApiError(
            400, "instagram_rejected", f"Instagram did not accept the authorization: {exc.message}"
        ) from None
    instagram_account.save(
        deps().db, deps().cipher, g.user_id, long, me.get("username", ""), str(me.get("user_id") or short.user_id or "")
    )
    return jsonify(_status(check=False)), 201


@bp.get("/api/v1/instagram")
@api(responses={200: InstagramStatus, 502: ("Instagram could not be reached (instagram_unavailable)", Error)})
def check():
    """The connection, its token checked with Instagram."""
    return jsonify(_status(check=True))


@bp.delete("/api/v1/instagram")
@api(responses={204: ("disconnected: the token is deleted", None)})
def disconnect():
    """Disconnect Instagram: its token is deleted."""
    instagram_account.disconnect(deps().db, g.user_id)
    return "", 204


def _status(check: bool) -> dict:
    user = deps().db.users.find_one({"_id": g.user_id})
    conn = (user or {}).get("instagram")
    if not conn:
        return {"connected": False, "username": None, "valid": False, "expires_at": None}
    valid = True
    if check:
        token = instagram_account.access_token(deps().db, deps().cipher, deps().instagram, user)
        try:
            if token is None:
                raise TokenRejected("no token stored")
            deps().instagram.me(token)
        except TokenRejected:
            valid = False
        except InstagramError as exc:
            raise ApiError(502, "instagram_unavailable", f"Instagram could not be checked: {exc.message}") from None
        user = deps().db.users.find_one({"_id": g.user_id})
        conn = user["instagram"]
    expires_at = conn.get("expires_at")
    if expires_at and expires_at <= now():
        valid = False
    return {"connected": True, "username": conn.get("username"), "valid": valid,
            "expires_at": expires_at.isoformat() if expires_at else None}
