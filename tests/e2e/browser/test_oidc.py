"""Log in with OpenID Connect, against a real local provider (oidc-provider-mock): the whole
redirect round trip in the browser, through a gateway configured with it by settings alone."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from services.cli.client import LikelyClient
from tests.conftest import new_email
from tests.e2e.browser.conftest import shoot
from tests.support.oidc_provider import gateway_with, running_provider


@pytest.fixture(scope="module")
def provider():
    """The OIDC provider on 127.0.0.1 (its issuer is the URL it is reached at)."""
    person = {"sub": "oidc-person", "email": new_email(), "email_verified": True}
    with running_provider({person["sub"]: {"email": person["email"], "email_verified": True}}) as issuer:
        yield {"issuer": issuer, "person": person}


@pytest.fixture(scope="module")
def oidc_gateway(provider, stack, stack_vhost, sandbox, tmp_root):
    """A second gateway process on the same databases, with the provider in its settings."""
    with gateway_with(provider["issuer"], amqp_url=stack_vhost, sandbox_url=sandbox.url,
                      log_dir=Path(tmp_root) / "logs-oidc") as gw:
        yield gw


def test_log_in_with_an_oidc_provider(page, oidc_gateway, provider):
    base = oidc_gateway.gateway_url
    page.goto(f"{base}/login")
    shoot(page, "14-login-with-oidc")
    page.get_by_role("button", name="Log in with Mock ID").click()
    page.wait_for_url(re.compile(re.escape(provider["issuer"]) + r"/oauth2/authorize\?.*"))
    url = page.url
    for param in ("state=", "nonce=", "code_challenge=", "code_challenge_method=S256", "scope=openid+email"):
        assert param in url, param
    page.get_by_role("button", name="oidc-person").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("button", name="Log out").wait_for()
    page.get_by_text(provider["person"]["email"]).wait_for()
    assert "token=" not in page.url
    # the session works against the API, and the same person gets the same account next time
    me = LikelyClient(base, token=json.loads(page.evaluate("sessionStorage.getItem('likely.session')"))["token"])
    first = me.request("GET", "/api/v1/me")
    assert first["email"] == provider["person"]["email"]
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login\?logged_out"))
    page.get_by_role("button", name="Log in with Mock ID").click()
    page.get_by_role("button", name="oidc-person").click()
    page.wait_for_url(f"{base}/")
    again = LikelyClient(base, token=json.loads(page.evaluate("sessionStorage.getItem('likely.session')"))["token"])
    assert again.request("GET", "/api/v1/me")["user_id"] == first["user_id"]


def test_an_unverified_email_is_refused(page, oidc_gateway, provider):
    base = oidc_gateway.gateway_url
    page.goto(f"{base}/login")
    page.get_by_role("button", name="Log in with Mock ID").click()
    page.get_by_placeholder("sub").fill(new_email())  # the mock then claims this email, unverified
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(r".*/login\?oidc_error=no_email"))
    assert page.get_by_role("alert").filter(has_text="did not share a verified email").is_visible()
    assert page.evaluate("sessionStorage.getItem('likely.session')") is None


def test_a_denied_or_replayed_callback_logs_nobody_in(page, oidc_gateway):
    base = oidc_gateway.gateway_url
    page.goto(f"{base}/login")
    page.get_by_role("button", name="Log in with Mock ID").click()
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(re.compile(r".*/login\?oidc_error=denied"))
    assert page.get_by_role("alert").filter(has_text="cancelled").is_visible()
    page.goto(f"{base}/auth/oidc/mockid/callback?code=forged&state=unknown")
    page.wait_for_url(re.compile(r".*/login\?oidc_error=expired"))
    assert page.evaluate("sessionStorage.getItem('likely.session')") is None


def test_an_unverified_account_sees_the_banner_and_its_owner_links_a_provider(page, oidc_gateway, provider):
    """The home page's account notices (account.js): verify-your-email with a resend button, and
    "Link Mock ID", after which that provider logs into this password account though its email
    was never verified (the owner linked it, logged in)."""
    from tests.e2e.browser.conftest import sign_up

    base = oidc_gateway.gateway_url
    email = sign_up(page, base)
    banner = page.locator("#verify-banner")
    banner.get_by_text("open the link Likely sent you").wait_for()
    assert page.locator("#user-email").text_content() == email
    banner.get_by_role("button", name="Send the link again").click()
    banner.get_by_text("A new link is on its way").wait_for()
    shoot(page, "15-verify-email-banner")
    mine = LikelyClient(base, token=json.loads(page.evaluate("sessionStorage.getItem('likely.session')"))["token"])
    me = mine.request("GET", "/api/v1/me")
    page.get_by_role("button", name="Link Mock ID").click()
    page.get_by_placeholder("sub").fill(sub := f"linked-{me['user_id'][:8]}")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/")
    page.get_by_text("now linked to your account").wait_for()
    assert page.locator("#link-providers").count() == 0  # nothing left to link
    assert [i["provider"] for i in mine.request("GET", "/api/v1/me")["identities"]] == ["mockid"]
    # the same person, logging in with the provider in a new tab, reaches this account
    page.evaluate("sessionStorage.clear()")
    page.goto(f"{base}/login")
    page.get_by_role("button", name="Log in with Mock ID").click()
    page.get_by_role("button", name=sub).click()
    page.wait_for_url(f"{base}/")
    again = LikelyClient(base, token=json.loads(page.evaluate("sessionStorage.getItem('likely.session')"))["token"])
    assert again.request("GET", "/api/v1/me")["user_id"] == me["user_id"]
