"""Account enumeration by timing, on the running gateway: a log-in for an unknown email, or for
an account without a password (made by an OpenID Connect log-in), takes as long as a wrong
password for a real account (each pays one argon2 verification; `accounts.routes`' dummy hash).

Made to hold on a loaded machine: many interleaved rounds, the order rotated every round so
that a burst of load falls on all three alike, and the medians compared with a wide margin.
Without the dummy hash the unknown email answers ~18x faster (0.009 s against 0.166 s measured
here), far outside it."""
from __future__ import annotations

import statistics
import time
import uuid

import requests

from shared.runs import now
from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD

ROUNDS = 25
ACCOUNTS = 5  # each known email tried ROUNDS / ACCOUNTS times: under the per-account log-in limit


def test_unknown_and_passwordless_emails_take_as_long_as_a_wrong_password(dev_gateway, mongo_db):
    url = dev_gateway.gateway_url
    known = [new_email() for _ in range(ACCOUNTS)]
    for email in known:
        assert (
            requests.post(f"{url}/api/v1/users", json={"email": email, "password": PASSWORD}, timeout=15).status_code
            == 201
        )
    passwordless = [new_email() for _ in range(ACCOUNTS)]
    mongo_db.users.insert_many([{"_id": uuid.uuid4().hex, "email": e, "password_hash": None, "email_verified": True,
                                 "created_at": now(), "active_run": None} for e in passwordless])

    def timed(email: str) -> float:
        t = time.perf_counter()
        resp = requests.post(f"{url}/api/v1/sessions", json={"email": email, "password": "wrong password"}, timeout=15)
        elapsed = time.perf_counter() - t
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "wrong_credentials", resp.text
        return elapsed

    kinds = {"known": lambda i: known[i % ACCOUNTS], "unknown": lambda i: new_email(),
             "passwordless": lambda i: passwordless[i % ACCOUNTS]}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    order = list(kinds)
    for i in range(ROUNDS):
        for kind in order[i % 3:] + order[:i % 3]:
            times[kind].append(timed(kinds[kind](i)))
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"log-in medians over {ROUNDS} rounds (s): " + ", ".join(f"{k} {v:.3f}" for k, v in medians.items()))
    assert medians["known"] > 0.01, medians  # argon2 is paid at all (tens of ms with its defaults)
    slowest, fastest = max(medians.values()), min(medians.values())
    assert fastest > 0.5 * slowest, medians
