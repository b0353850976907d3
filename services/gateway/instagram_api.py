"""Connecting Instagram: OAuth state, code → short-lived → long-lived token, check, disconnect."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, Field

from services.gateway.auth import deps, require_auth
from services.gateway.errors import ApiError, parse_json
from shared import instagram_account
from shared.instagram import InstagramError, TokenRejected
from shared.runs import now

bp = Blueprint("instagram", __name__)
STATE_TTL = timedelta(minutes=15)


def redirect_uri() -> str:
    return f"{deps().settings.public_url}/instagram/callback"


class ConnectBody(BaseModel):
    code: str = Field(min_length=1, max_length=2048)
    state: str = Field(min_length=1, max_length=256)


@bp.get("/api/v1/instagram/authorize")
@require_auth
def authorize():
    state = secrets.token_urlsafe(24)
    deps().db.oauth_states.insert_one({"state": state, "user_id": g.user_id, "expires_at": now() + STATE_TTL})
    return jsonify({"url": deps().instagram.authorize_url(redirect_uri(), state), "state": state})


@bp.post("/api/v1/instagram")
@require_auth
def connect():
    body = parse_json(ConnectBody)
    # The state is single-use and bound to the user who asked for it (CSRF protection).
    saved = deps().db.oauth_states.find_one_and_delete({"state": body.state, "user_id": g.user_id})
    if saved is None or saved["expires_at"] <= now():
        raise ApiError(400, "invalid_state", "This Instagram authorization is unknown or has expired; start again.")
    client = deps().instagram
    try:
        short = client.exchange_code(body.code, redirect_uri())
        long = client.long_lived(short.access_token)
        me = client.me(long.access_token)
    except InstagramError as exc:
        raise ApiError(400, "instagram_rejected", f"Instagram did not accept the authorization: {exc.message}") from None
    instagram_account.save(deps().db, deps().cipher, g.user_id, long, me.get("username", ""), str(me.get("user_id") or short.user_id or ""))
    return jsonify(_status(check=False)), 201


@bp.get("/api/v1/instagram")
@require_auth
def check():
    return jsonify(_status(check=True))


@bp.delete("/api/v1/instagram")
@require_auth
def disconnect():
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
