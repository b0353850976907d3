"""A user's Instagram connection as stored in `users.instagram`, the token encrypted at rest.

Long-lived tokens last 60 days; `access_token()` refreshes one that expires within
REFRESH_WINDOW before handing it out, so an active user's connection never lapses.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from pymongo.database import Database

from shared.instagram.client import InstagramClient, InstagramError, Token
from shared.runs import now
from shared.secrets import TokenCipher

log = logging.getLogger(__name__)
REFRESH_WINDOW = timedelta(days=7)


def save(db: Database, cipher: TokenCipher, user_id: str, token: Token, username: str, ig_user_id: str | None) -> None:
    db.users.update_one({"_id": user_id}, {"$set": {"instagram": {
        "token": cipher.encrypt(token.access_token), "expires_at": token.expires_at, "username": username,
        "ig_user_id": ig_user_id, "connected_at": now(), "refreshed_at": now(),
    }}})


def disconnect(db: Database, user_id: str) -> None:
    db.users.update_one({"_id": user_id}, {"$unset": {"instagram": ""}})


def access_token(db: Database, cipher: TokenCipher, client: InstagramClient, user: dict) -> str | None:
    conn = user.get("instagram")
    if not conn:
        return None
    token = cipher.decrypt(conn["token"])
    expires_at = conn.get("expires_at")
    if expires_at and expires_at - now() < REFRESH_WINDOW and expires_at > now():
        try:
            fresh = client.refresh(token)
        except InstagramError as exc:
            log.warning("could not refresh the Instagram token of user %s: %s", user["_id"], exc)
            return token
        db.users.update_one({"_id": user["_id"]}, {"$set": {
            "instagram.token": cipher.encrypt(fresh.access_token), "instagram.expires_at": fresh.expires_at,
            "instagram.refreshed_at": now()}})
        return fresh.access_token
    return token
