"""Fixtures and steps of the account tests (tests/security/test_account_*.py, test_email_*.py): a
real gateway process whose mail goes to a real SMTP sink on loopback and whose "Log in with Mock
ID" goes to a real OIDC provider on loopback. Import the fixtures into a test module."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD
from tests.security.conftest import NO_SANDBOX
from tests.support.oidc_provider import NAME as PROVIDER
from tests.support.oidc_provider import gateway_with, running_provider
from tests.support.smtp_sink import SmtpSink, link_in
from tests.support.stack import Stack

__all__ = ["PROVIDER"]


@pytest.fixture(scope="module")
def sink():
    with SmtpSink() as s:
        yield s


@pytest.fixture(scope="module")
def issuer():
    with running_provider() as url:
        yield url


@pytest.fixture(scope="module")
def gateway(sink, issuer, stack_vhost, mongo_db, redis_client, tmp_root):
    with gateway_with(issuer, amqp_url=stack_vhost, sandbox_url=NO_SANDBOX,
                      log_dir=Path(tmp_root) / f"logs-accounts-{uuid.uuid4().hex[:6]}",
                      env={"LIKELY_GATEWAY_WORKERS": "1", **sink.env}) as gw:
        yield gw


def api(gw: Stack, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, gw.gateway_url + path, headers=headers, timeout=15, **kwargs)


def sign_up(gw: Stack, email: str | None = None) -> tuple[str, str]:
    """A new password account: (email, its session token)."""
    email = email or new_email()
    assert api(gw, "POST", "/api/v1/users", json={"email": email, "password": PASSWORD}).status_code == 201
    resp = api(gw, "POST", "/api/v1/sessions", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 201, resp.text
    return email, resp.json()["token"]


def me(gw: Stack, token: str) -> dict:
    resp = api(gw, "GET", "/api/v1/me", token)
    assert resp.status_code == 200, resp.text
    return resp.json()


def open_link(link: str) -> requests.Response:
    """What a person does with the mailed link: open it, press the button."""
    page = requests.get(link, timeout=15)
    assert page.status_code == 200 and "Verify my email address" in page.text
    token = link.split("token=", 1)[1]
    return requests.post(link.split("?", 1)[0], data={"token": token}, timeout=15)


def verify(gw: Stack, sink: SmtpSink, email: str) -> None:
    assert open_link(link_in(sink.wait_for(email))).status_code == 200
