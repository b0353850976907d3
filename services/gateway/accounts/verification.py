"""Email verification: a single-use link, mailed at sign-up and on request, proves that the
person who signed up holds the address.

The token is random (256 bits), mailed in a link to `/verify-email`, and stored only as its
SHA-256 hash with an expiry (LIKELY_EMAIL_VERIFY_TTL; a TTL index deletes it after). Opening
the link shows a page with a button; the POST behind it spends the token (deleted as it is
read, so it works once) and marks the account's address verified, if the account still has the
address it was sent to. A GET alone changes nothing: mail scanners that open links verify nothing.

What an unverified account may do: everything a verified one does (log in, connect Instagram,
train, predict; the home page shows a banner to verify, with a resend button), except that an
OpenID Connect log-in is never attached to it by its email (`services.gateway.accounts.identities`)."""
from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from pymongo.database import Database

from services.gateway.accounts import mail
from shared.runs import now
from shared.settings import Settings

log = logging.getLogger(__name__)

PATH = "/verify-email"
SUBJECT = "Verify your email address for Likely"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_link(db: Database, settings: Settings, user_id: str, email: str) -> bool:
    """Mail a new verification link (earlier ones stop working). False when the mail could not
    be handed to the server: the account stays, and the person can ask again."""
    token = secrets.token_urlsafe(32)
    db.email_verifications.delete_many({"user_id": user_id})
    db.email_verifications.insert_one({"token_hash": _hash(token), "user_id": user_id, "email": email,
                                       "created_at": now(),
                                       "expires_at": now() + timedelta(seconds=settings.email_verify_ttl)})
    hours = max(1, round(settings.email_verify_ttl / 3600))
    body = (f"Welcome to Likely.\n\nOpen this link to verify that {email} is yours:\n\n"
            f"{settings.public_url}{PATH}?token={token}\n\n"
            f"The link works once, within {hours} hour{'s' if hours != 1 else ''}. If you did not sign up for "
            f"Likely, ignore this mail: the account stays unverified, and no one can use it to reach an "
            f"account you make later.\n")
    try:
        mail.send(settings, email, SUBJECT, body)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("verification mail to %s not sent: %s", email, type(exc).__name__)
        return False
    return True


def confirm(db: Database, token: str) -> str | None:
    """Spend `token`: the verified address, or None (unknown, used, expired, or the account's
    address changed since)."""
    saved = db.email_verifications.find_one_and_delete({"token_hash": _hash(token)}) if token else None
    if saved is None or saved["expires_at"] <= now():
        return None
    done = db.users.update_one({"_id": saved["user_id"], "email": saved["email"]},
                               {"$set": {"email_verified": True, "email_verified_at": now()}})
    return saved["email"] if done.matched_count else None
