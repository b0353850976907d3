"""Accounts and sessions: sign up, log in (expiring bearer tokens), log out (revokes)."""
from __future__ import annotations

import secrets
import uuid
from typing import ClassVar

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from flask import Blueprint, g, jsonify, request
from pydantic import BaseModel, Field, field_validator
from pymongo.errors import DuplicateKeyError

from services.gateway.accounts import identities, verification
from services.gateway.accounts.authentication import hash_token, issue_session
from services.gateway.accounts.mail import normal_address
from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from services.gateway.http.limits import limiter, login_by_account, login_by_address, signup_by_address
from services.gateway.http.openapi import api
from services.gateway.http.schemas import EMAIL_PATTERN, Error, Me, Session, User
from shared.runs import now

bp = Blueprint("auth", __name__)
_hasher = PasswordHasher()
# Verified instead when the email is unknown (or has no password): every log-in costs one argon2
# verification, so its time does not tell whether an account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Credentials(BaseModel):
    email: str = Field(max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN})
    password: str = Field(max_length=1024)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return normal_address(v)


class SignUp(Credentials):
    password: str = Field(min_length=8, max_length=1024)

    error_codes: ClassVar[dict] = {("password", "string_too_short"): "password_too_short"}


@bp.post("/api/v1/users")
@signup_by_address()
@api(auth=False, body=SignUp, limited=True, responses={201: ("signed up", User), 409: ("email_taken", Error)})
def sign_up():
    """Sign up with an email and a password (8 characters at least)."""
    creds = g.body
    user = {"_id": uuid.uuid4().hex, "email": creds.email, "password_hash": _hasher.hash(creds.password),
            "email_verified": False, "created_at": now(), "active_run": None}
    try:
        deps().db.users.insert_one(user)
    except DuplicateKeyError:
        raise ApiError(409, "email_taken", "An account with this email already exists.", field="email") from None
    # The account works at once; the link proves the address (verification.py says what that changes).
    sent = verification.send_link(deps().db, deps().settings, user["_id"], user["email"])
    return jsonify({"user_id": user["_id"], "email": user["email"], "email_verified": False,
                    "verification_sent": sent}), 201


@bp.post("/api/v1/users/me/verification-email")
@api(limited=True, responses={  # authenticated first: a request without a session never counts (nor gets 429)
    202: ("sent", {"type": "object", "required": ["sent_to"], "properties": {"sent_to": {"type": "string"}}}),
    409: ("already_verified", Error), 503: ("mail_unavailable, or a backing service is down", Error)})
@limiter.limit("5 per hour", key_func=lambda: "resend:" + hash_token(request.headers.get("Authorization", "")),
               scope="verification-resend")
def resend_verification():
    """Mail a new verification link to the account's address (earlier links stop working)."""
    user = deps().db.users.find_one({"_id": g.user_id}, {"email": 1, "email_verified": 1}) or {}
    if user.get("email_verified"):
        raise ApiError(409, "already_verified", "Your email address is already verified.")
    if not verification.send_link(deps().db, deps().settings, g.user_id, user["email"]):
        raise ApiError(503, "mail_unavailable", "The verification mail could not be sent just now. Try again later.")
    return jsonify({"sent_to": user["email"]}), 202


@bp.post("/api/v1/sessions")
@login_by_address()
@login_by_account()
@api(auth=False, body=Credentials, limited=True, responses={201: ("logged in", Session),
                                                           401: ("wrong_credentials", Error)})
def log_in():
    """Log in: a bearer token that expires."""
    creds = g.body
    user = deps().db.users.find_one({"email": creds.email})
    try:
        if user is None or not user.get("password_hash"):
            _hasher.verify(_DUMMY_HASH, creds.password)  # fails (a random secret), after the same work
            raise VerifyMismatchError
        _hasher.verify(user["password_hash"], creds.password)
    except (VerifyMismatchError, VerificationError):
        raise ApiError(401, "wrong_credentials", "Wrong email or password.", field="password") from None
    return jsonify({**issue_session(user["_id"]), "user_id": user["_id"]}), 201


@bp.delete("/api/v1/sessions")
@api(responses={204: ("logged out: the token no longer works", None)})
def log_out():
    """Log out: the token stops working."""
    deps().sessions.revoke(g.token_hash)
    return "", 204


@bp.delete("/api/v1/users/me")
@api(responses={204: ("deleted", None)})
def delete_account():
    """Delete the account and everything stored for it: posts, images, models, predictions."""
    from shared import runs, storage

    d = deps()
    user = d.db.users.find_one({"_id": g.user_id})
    if user and user.get("active_run"):
        run = d.db.runs.find_one({"_id": user["active_run"]})
        if run:
            runs.cancel(d.db, d.progress, run, "The account was deleted.")
    runs.delete_user_runs(d.db, g.user_id)
    for collection in ("posts", "post_insights", "models", "predictions", "oauth_states", "oidc_states", "identities",
                       "email_verifications"):
        d.db[collection].delete_many({"user_id": g.user_id})
    d.store.delete_prefix(storage.user_prefix(g.user_id))
    d.sessions.revoke_user(g.user_id)  # last: until here, a retry can finish the job
    d.db.users.delete_one({"_id": g.user_id})
    return "", 204


@bp.get("/api/v1/me")
@api(responses={200: Me})
def me():
    """The logged-in user."""
    user = deps().db.users.find_one({"_id": g.user_id}, {"email": 1, "email_verified": 1}) or {}
    return jsonify(
        {
            "user_id": g.user_id,
            "email": user.get("email"),
            "email_verified": bool(user.get("email_verified")),
            "identities": identities.linked(deps().db, g.user_id),
        }
    )
