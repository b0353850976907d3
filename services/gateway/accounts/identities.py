"""Which Likely account an OpenID Connect log-in reaches (account pre-hijack).

An identity is (provider, sub): the provider's own stable id of the person, never the email,
which people change and providers recycle. `identities` holds one document per identity (unique
on provider and sub) pointing at its account. A returning person is found by (provider, sub)
alone. A new identity reaches an existing account only

- when the account's owner, logged in, links it (`linking_user_id`), or
- when the account's email address was verified (the sign-up link, or a provider vouched for
  it) and the provider says it verified the same address.

So someone who signs up with another person's address first (never able to verify it) never
shares that person's account when they later log in with their provider: that log-in is
refused with `unverified_account` until the address is verified or the owner links it."""
from __future__ import annotations

import uuid

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.runs import now


class Refused(Exception):
    """The log-in reaches no account; `code` is what the log-in page explains."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


def account_for(db: Database, provider: str, sub: str, email: str | None, *, email_verified: bool,
                linking_user_id: str | None = None) -> str:
    """The id of the account this identity logs into (linking or creating one as the rules
    allow), or Refused. `email_verified`: the provider vouches for `email`; `email` None: the
    provider gave no usable address (enough for a known identity or the owner's own link)."""
    identity = db.identities.find_one({"provider": provider, "sub": sub})
    if linking_user_id:
        if identity is not None and identity["user_id"] != linking_user_id:
            raise Refused("identity_taken", f"{provider} identity already belongs to another account")
        return identity["user_id"] if identity else _link(db, provider, sub, email, linking_user_id)
    if identity is not None:
        return identity["user_id"]
    legacy = db.users.find_one({f"oidc.{provider}": sub}, {"_id": 1})  # accounts from before `identities`
    if legacy is not None:
        return _link(db, provider, sub, email, legacy["_id"])
    if email is None:
        raise Refused("no_email", f"{provider} gave no verified address for a new identity")
    user = db.users.find_one({"email": email})
    if user is None:
        user_id = uuid.uuid4().hex
        try:
            db.users.insert_one(
                {
                    "_id": user_id,
                    "email": email,
                    "password_hash": None,
                    "email_verified": email_verified,
                    "created_at": now(),
                    "active_run": None,
                }
            )
        except DuplicateKeyError:  # someone signed up with this address meanwhile: decide on that account
            return account_for(db, provider, sub, email, email_verified=email_verified)
        return _link(db, provider, sub, email, user_id)
    if not user.get("email_verified"):
        raise Refused("unverified_account", f"the account with {email} never verified its address")
    if not email_verified:
        raise Refused("no_email", f"{provider} does not vouch for {email}")
    return _link(db, provider, sub, email, user["_id"])


def _link(db: Database, provider: str, sub: str, email: str | None, user_id: str) -> str:
    try:
        db.identities.insert_one({"_id": uuid.uuid4().hex, "provider": provider, "sub": sub, "user_id": user_id,
                                  "email": email, "linked_at": now()})
    except DuplicateKeyError:  # linked at the same moment by another request: whoever won owns it
        owner = db.identities.find_one({"provider": provider, "sub": sub})
        if owner is None or owner["user_id"] != user_id:  # (None: unlinked since: still not this one's)
            raise Refused("identity_taken", f"{provider} identity already belongs to another account") from None
    return user_id


def linked(db: Database, user_id: str) -> list[dict]:
    return [{"provider": i["provider"], "email": i.get("email"), "linked_at": i["linked_at"].isoformat()}
            for i in db.identities.find({"user_id": user_id}).sort("linked_at", 1)]
