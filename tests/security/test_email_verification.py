"""Email verification on a real gateway: the link travels by real SMTP (smtplib) to a real SMTP
server on loopback (aiosmtpd) that the test reads; single use, expiring, stored only as a hash.
And the development default: no SMTP host, mail appended to an mbox file."""
from __future__ import annotations

import hashlib
import mailbox
from datetime import timedelta

import requests

from services.gateway.accounts.verification import SUBJECT
from shared.runs import now
from shared.settings import load
from tests.security.accounts import api, gateway, issuer, me, open_link, sign_up, sink  # noqa: F401
from tests.support.smtp_sink import link_in


def test_the_link_verifies_the_address_once(gateway, sink, mongo_db):  # noqa: F811
    email, token = sign_up(gateway)
    msg = sink.wait_for(email)
    assert msg["Subject"] == SUBJECT and msg["From"] == load().mail_from
    link = link_in(msg)
    assert link.startswith(gateway.gateway_url + "/verify-email?token=")
    secret = link.split("token=", 1)[1]
    # at rest only its hash, with an expiry (a TTL index deletes it after)
    saved = mongo_db.email_verifications.find_one({"email": email})
    assert saved["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(saved) and saved["expires_at"] > now()
    assert "expires_at_1" in mongo_db.email_verifications.index_information()
    # opening the link changes nothing (mail scanners open links); the button does
    assert requests.get(link, timeout=10).status_code == 200
    assert me(gateway, token)["email_verified"] is False
    done = open_link(link)
    assert done.status_code == 200 and f"{email}</strong> is verified" in done.text
    assert me(gateway, token)["email_verified"] is True
    again = open_link(link)  # single use
    assert again.status_code == 400 and "expired or was already used" in again.text
    assert api(gateway, "POST", "/api/v1/users/me/verification-email", token).status_code == 409


def test_an_expired_or_replaced_link_verifies_nothing(gateway, sink, mongo_db):  # noqa: F811
    email, token = sign_up(gateway)
    first = link_in(sink.wait_for(email))
    resent = api(gateway, "POST", "/api/v1/users/me/verification-email", token)
    assert resent.status_code == 202 and resent.json() == {"sent_to": email}
    second = link_in(sink.wait_for(email, count=2))
    assert open_link(first).status_code == 400  # a new link replaces the old one
    mongo_db.email_verifications.update_one({"email": email}, {"$set": {"expires_at": now() - timedelta(seconds=1)}})
    assert open_link(second).status_code == 400  # expired (before the TTL sweep deletes it)
    assert me(gateway, token)["email_verified"] is False
    assert requests.post(f"{gateway.gateway_url}/verify-email", data={"token": "forged"}, timeout=10).status_code == 400


def test_an_unverified_account_logs_in_and_uses_the_app(gateway, sink):  # noqa: F811
    """The documented choice: nothing but OIDC auto-linking waits for verification."""
    email, token = sign_up(gateway)
    assert me(gateway, token) | {"email_verified": False} == me(gateway, token)
    assert api(gateway, "GET", "/api/v1/instagram", token).status_code == 200
    assert api(gateway, "GET", "/api/v1/predictions", token).status_code == 200


def test_without_an_smtp_host_mail_goes_to_the_outbox_file(dev_gateway):
    """The development default (`make demo`): an mbox file under the data dir."""
    email, _ = sign_up(dev_gateway)
    box = mailbox.mbox(load().mail_outbox)
    mine = [m for m in box if m["To"] == email]
    assert len(mine) == 1
    secret = mine[0].get_payload(decode=True).decode().split("/verify-email?token=", 1)[1].split()[0]
    assert len(secret) > 30 and secret not in dev_gateway.log("gateway")  # the mailbox has it, no log
