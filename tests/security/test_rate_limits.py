"""Rate limits on a real gateway (2 gunicorn workers, counters in Redis), with
limits set low by settings (tests/security/conftest.py STRICT_ENV). Loopback only. Log-in timing:
test_login_timing.py."""

from __future__ import annotations

import requests

from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD


def _post(gw, path, **body):
    return requests.post(gw.gateway_url + path, json=body, timeout=10)


def _too_many(resp) -> None:
    assert resp.status_code == 429, resp.text
    assert resp.json()["error"]["code"] == "too_many_requests"
    assert int(resp.headers["Retry-After"]) > 0


def test_wrong_passwords_for_one_account_reach_429(strict_gateway):
    email = new_email()
    assert _post(strict_gateway, "/api/v1/users", email=email, password=PASSWORD).status_code == 201
    answers = [_post(strict_gateway, "/api/v1/sessions", email=email, password="wrong password").status_code
               for _ in range(3)]
    assert answers == [401, 401, 401]  # LIKELY_LOGIN_LIMIT_ACCOUNT = 3 per minute
    _too_many(_post(strict_gateway, "/api/v1/sessions", email=email, password="wrong password"))
    # even the right password waits: the account is limited, whoever knocks
    _too_many(_post(strict_gateway, "/api/v1/sessions", email=email.upper(), password=PASSWORD))


def test_many_accounts_from_one_address_reach_429(strict_gateway):
    # LIKELY_LOGIN_LIMIT_ADDRESS = 6 per minute, shared by every account tried from this address;
    # the other tests of this module may have used some of it already.
    answers = [_post(strict_gateway, "/api/v1/sessions", email=new_email(), password="guess").status_code
               for _ in range(7)]
    assert answers[-1] == 429 and set(answers) <= {401, 429}
    _too_many(_post(strict_gateway, "/api/v1/sessions", email=new_email(), password="guess"))


def test_sign_ups_from_one_address_reach_429(strict_gateway):
    answers = [_post(strict_gateway, "/api/v1/users", email=new_email(), password=PASSWORD).status_code
               for _ in range(5)]  # LIKELY_SIGNUP_LIMIT = 4 per minute (one used above)
    assert answers[-1] == 429 and set(answers) <= {201, 429}
    _too_many(_post(strict_gateway, "/api/v1/users", email=new_email(), password=PASSWORD))


def test_the_oidc_start_reaches_429(strict_gateway):
    url = strict_gateway.gateway_url + "/auth/oidc/nowhere/login"
    answers = [requests.get(url, allow_redirects=False, timeout=10) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [302, 302, 302]  # to /login?oidc_error=provider
    _too_many(answers[3])

