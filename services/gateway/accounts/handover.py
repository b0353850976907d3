"""Handing a session to the browser after a redirect log-in (OpenID Connect), with nothing in
any URL that another site could plant (log-in CSRF).

The callback stores a one-time code (its hash only, 60 s) and sets it in an HttpOnly,
SameSite=Strict cookie scoped to the exchange route, then redirects to `/login?handover=1`. The
page POSTs to `/api/v1/sessions/handover`; the gateway takes the code from the cookie, deletes
it (single use), and answers the session token, which the page keeps as after a password log-in.
A planted `/login#token=…` or `/login?handover=1` finds no cookie in the victim's browser: nothing
happens. (That the callback itself came from the browser that started the flow is checked by
the OIDC module's own cookie.)"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, jsonify, request

from services.gateway.accounts.authentication import issue_session
from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from services.gateway.http.openapi import api
from services.gateway.http.schemas import Error, Session
from shared.runs import now

bp = Blueprint("handover", __name__)

COOKIE = "likely_handover"
PATH = "/api/v1/sessions/handover"
TTL = timedelta(seconds=60)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def secure_cookies() -> bool:
    """Cookies carry `Secure` when people reach the gateway over https."""
    return deps().settings.public_url.startswith("https://")


def hand_over(resp, user_id: str):
    """Attach a one-time handover of a new session for `user_id` to the redirect `resp`."""
    code = secrets.token_urlsafe(32)
    deps().db.login_handovers.insert_one({"code_hash": _hash(code), "user_id": user_id,
                                          "expires_at": now() + TTL})
    resp.set_cookie(COOKIE, code, max_age=int(TTL.total_seconds()), path=PATH, httponly=True,
                    samesite="Strict", secure=secure_cookies())
    return resp


@bp.post(PATH)
@api(auth=False, responses={201: ("the session handed over", Session),
                            401: ("nothing to hand over in this browser (no_handover)", Error)})
def exchange():
    """Exchange this browser's one-time log-in handover (an HttpOnly cookie) for a session."""
    code = request.cookies.get(COOKIE, "")
    saved = deps().db.login_handovers.find_one_and_delete({"code_hash": _hash(code)}) if code else None
    if saved is None or saved["expires_at"] <= now():
        raise ApiError(401, "no_handover", "There is no log-in to hand over in this browser (expired, used, or "
                                           "started elsewhere). Log in again.")
    resp = jsonify({**issue_session(saved["user_id"]), "user_id": saved["user_id"]})
    resp.status_code = 201
    resp.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="Strict", secure=secure_cookies())
    return resp
