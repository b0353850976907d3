"""Log-in CSRF: a link another site plants (a token in the fragment, a handover without its cookie,
someone else's OIDC callback) never logs the browser into another account."""
from __future__ import annotations

import re

from services.cli.client import LikelyClient
from tests.conftest import new_email
from tests.e2e.browser.test_oidc import oidc_gateway, provider  # noqa: F401  (fixtures: the OIDC gateway)
from tests.e2e.conftest import PASSWORD


def _settled_login_page(page) -> None:
    page.get_by_role("button", name="Log in", exact=True).wait_for()
    page.wait_for_timeout(500)  # give any script that would store a session the time to do it


def test_a_planted_token_in_the_url_logs_nobody_in(page, stack):
    attacker = LikelyClient(stack.gateway_url)
    attacker.sign_up(email := new_email(), PASSWORD)
    token = attacker.log_in(email, PASSWORD)["token"]
    assert attacker.request("GET", "/api/v1/me")["email"] == email  # a live token
    page.goto(f"{stack.gateway_url}/login#token={token}&expires_at=2099-01-01T00:00:00%2B00:00")
    _settled_login_page(page)
    assert page.url == f"{stack.gateway_url}/login"  # dropped from the address bar, not used
    assert page.evaluate("sessionStorage.getItem('likely.session')") is None
    page.goto(f"{stack.gateway_url}/")
    page.wait_for_url(f"{stack.gateway_url}/login")  # the home page finds no session either


def test_a_planted_handover_without_its_cookie_logs_nobody_in(page, stack):
    page.goto(f"{stack.gateway_url}/login?handover=1")
    page.get_by_role("alert").filter(has_text="could not be completed in this browser").wait_for()
    assert page.evaluate("sessionStorage.getItem('likely.session')") is None


def test_someone_elses_oidc_callback_logs_nobody_in(browser, page, oidc_gateway, provider):  # noqa: F811
    base = oidc_gateway.gateway_url
    # The attacker runs the flow in their own browser and keeps the callback URL instead of opening it.
    attacker = browser.new_context()
    seen: list[str] = []

    def keep_the_redirect(route):  # the provider's answer to "oidc-person": keep its Location, go nowhere
        if route.request.method != "POST":
            return route.continue_()
        answer = route.fetch(max_redirects=0)
        seen.append(answer.headers.get("location", ""))
        route.fulfill(status=200, body="kept")

    apage = attacker.new_page()
    apage.route(re.compile(re.escape(provider["issuer"]) + r"/.*"), keep_the_redirect)
    try:
        apage.goto(f"{base}/login")
        apage.get_by_role("button", name="Log in with Mock ID").click()
        apage.get_by_role("button", name="oidc-person").click()
        apage.get_by_text("kept").wait_for()
    finally:
        attacker.close()
    assert seen and "code=" in seen[0] and "state=" in seen[0]
    # The victim opens it: the flow was not started in this browser.
    page.goto(seen[0])
    page.wait_for_url(re.compile(r".*/login\?oidc_error=browser"))
    assert page.get_by_role("alert").filter(has_text="not started in this browser").is_visible()
    assert page.evaluate("sessionStorage.getItem('likely.session')") is None


def test_the_pages_run_under_their_content_security_policy(page, stack):
    """Every page works with the gateway's CSP: the browser reports no blocked script, style or image."""
    from tests.e2e.browser.conftest import sign_up

    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    resp = page.goto(f"{stack.gateway_url}/privacy")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    sign_up(page, stack.gateway_url)  # the log-in page, then the home page, scripts and all
    page.goto(f"{stack.gateway_url}/privacy")
    page.get_by_role("heading").first.wait_for()
    assert blocked == []
