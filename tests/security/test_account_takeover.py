"""Account pre-hijack and identity linking, on a real gateway with a real OIDC provider and a real
SMTP sink (tests/security/accounts.py). An OIDC identity is (provider, sub); it reaches an
existing account only when that account's address was verified, or when its logged-in owner
linked it."""
from __future__ import annotations

import uuid

import requests

from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD
from tests.security.accounts import PROVIDER, api, gateway, issuer, me, sign_up, sink, verify  # noqa: F401
from tests.support.oidc_provider import authorize, oidc_log_in, set_person


def _sub() -> str:
    return f"person-{uuid.uuid4().hex[:10]}"


def test_a_pre_hijacked_account_never_receives_the_victims_oidc_log_in(gateway, issuer, mongo_db):  # noqa: F811
    victim = new_email()
    _, attacker_token = sign_up(gateway, victim)  # the attacker registers the victim's address first
    assert me(gateway, attacker_token)["email_verified"] is False
    sub = _sub()
    set_person(issuer, sub, email=victim, email_verified=True)  # the victim, at their provider
    landed, session = oidc_log_in(requests.Session(), gateway.gateway_url, PROVIDER, sub)
    assert landed.endswith("/login?oidc_error=unverified_account") and session is None
    assert mongo_db.identities.count_documents({"provider": PROVIDER, "sub": sub}) == 0
    assert me(gateway, attacker_token)["identities"] == []  # the attacker's account got nothing
    page = requests.get(landed, timeout=10)
    assert "never verified" in page.text  # and the page says why, and what the owner can do


def test_a_verified_account_is_linked_by_its_email(gateway, issuer, sink, mongo_db):  # noqa: F811
    email, token = sign_up(gateway)
    verify(gateway, sink, email)
    sub = _sub()
    set_person(issuer, sub, email=email, email_verified=True)
    _, session = oidc_log_in(requests.Session(), gateway.gateway_url, PROVIDER, sub)
    assert session is not None and session["user_id"] == me(gateway, token)["user_id"]
    assert [i["provider"] for i in me(gateway, token)["identities"]] == [PROVIDER]
    # a provider that does not vouch for the address gets nothing, even for a verified account
    other = _sub()
    set_person(issuer, other, email=email, email_verified=False)
    landed, session = oidc_log_in(requests.Session(), gateway.gateway_url, PROVIDER, other)
    assert landed.endswith("oidc_error=no_email") and session is None


def test_a_returning_person_is_found_by_sub_not_by_email(gateway, issuer, mongo_db):  # noqa: F811
    sub, first_email = _sub(), new_email()
    set_person(issuer, sub, email=first_email, email_verified=True)
    _, first = oidc_log_in(requests.Session(), gateway.gateway_url, PROVIDER, sub)
    assert me(gateway, first["token"])["email"] == first_email
    # the person changes their address at the provider: still the same account
    set_person(issuer, sub, email=new_email(), email_verified=True)
    _, again = oidc_log_in(requests.Session(), gateway.gateway_url, PROVIDER, sub)
    assert again["user_id"] == first["user_id"]
    # someone who now signs up with the old address reaches nothing of it (the address is taken)
    assert api(gateway, "POST", "/api/v1/users", json={"email": first_email, "password": PASSWORD}).status_code == 409


def test_the_logged_in_owner_links_a_provider_to_an_unverified_account(gateway, issuer, mongo_db):  # noqa: F811
    email, token = sign_up(gateway)
    sub = _sub()
    set_person(issuer, sub, email=new_email(), email_verified=True)  # another address at the provider
    assert api(gateway, "POST", f"/auth/oidc/{PROVIDER}/link").status_code == 401  # only a logged-in owner
    browser = requests.Session()
    start = browser.post(f"{gateway.gateway_url}/auth/oidc/{PROVIDER}/link",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert start.status_code == 200, start.text
    back = browser.get(authorize(browser, start.json()["url"], sub), allow_redirects=False, timeout=10)
    assert back.headers["Location"] == f"/?linked={PROVIDER}"
    mine = me(gateway, token)
    assert [i["provider"] for i in mine["identities"]] == [PROVIDER] and mine["email_verified"] is False
    _, session = oidc_log_in(requests.Session(), gateway.gateway_url, PROVIDER, sub)
    assert session["user_id"] == mine["user_id"]
    # that identity now belongs to this account: nobody else can link it to theirs
    _, other_token = sign_up(gateway)
    other = requests.Session()
    url = other.post(
        f"{gateway.gateway_url}/auth/oidc/{PROVIDER}/link",
        headers={"Authorization": f"Bearer {other_token}"},
        timeout=10,
    ).json()["url"]
    back = other.get(authorize(other, url, sub), allow_redirects=False, timeout=10)
    assert back.headers["Location"].endswith("oidc_error=identity_taken")
    assert me(gateway, other_token)["identities"] == []


def test_a_link_started_by_one_browser_cannot_be_finished_in_another(gateway, issuer):  # noqa: F811
    """Link CSRF: an attacker's own link flow, its callback opened by the victim, links nothing."""
    _, attacker_token = sign_up(gateway)
    attacker = requests.Session()
    url = attacker.post(f"{gateway.gateway_url}/auth/oidc/{PROVIDER}/link",
                        headers={"Authorization": f"Bearer {attacker_token}"}, timeout=10).json()["url"]
    victim_sub = _sub()
    set_person(issuer, victim_sub, email=new_email(), email_verified=True)
    callback = authorize(attacker, url, victim_sub)
    back = requests.get(callback, allow_redirects=False, timeout=10)  # the victim's browser: no cookie
    assert back.headers["Location"].endswith("oidc_error=browser")
    assert me(gateway, attacker_token)["identities"] == []
