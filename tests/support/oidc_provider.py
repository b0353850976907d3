"""A real OpenID Connect provider on loopback (oidc-provider-mock, built on Authlib) in a thread of
the test process, and the log-in round trip through it without a browser."""
from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.conftest import free_port
from tests.support.stack import gateway_alone

NAME = "mockid"  # the provider as the gateway names it: "Log in with Mock ID"


@contextlib.contextmanager
def running_provider(users: dict[str, dict] | None = None):
    """Yields the issuer URL (the provider's own address). `users`: sub -> claims offered on its
    authorization page; any other sub typed there claims that sub as its email, unverified."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http, for the provider in this process
    import oidc_provider_mock
    from werkzeug.serving import make_server

    app = oidc_provider_mock.app(require_nonce=True, user_claims=[
        oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in (users or {}).items()])
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextlib.contextmanager
def gateway_with(issuer: str, *, amqp_url: str, sandbox_url: str, log_dir: Path, env: dict | None = None):
    """A gateway process (on the test databases) offering "Log in with Mock ID" from `issuer`."""
    providers = [{"name": NAME, "label": "Mock ID", "issuer": issuer, "client_id": "likely-web",
                  "client_secret": "likely-web-secret"}]
    with gateway_alone(amqp_url=amqp_url, sandbox_url=sandbox_url, log_dir=log_dir,
                       extra_env={"LIKELY_OIDC_PROVIDERS": json.dumps(providers), **(env or {})}) as gw:
        yield gw


def set_person(issuer: str, sub: str, **claims) -> None:
    """What the provider says about `sub` from now on (email, email_verified, …)."""
    requests.put(f"{issuer}/users/{sub}", json=claims, timeout=10).raise_for_status()


def authorize(http: requests.Session, provider_url: str, sub: str) -> str:
    """Approve the log-in as `sub` on the provider's page: the callback URL it redirects to."""
    resp = http.post(provider_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert resp.status_code in (302, 303), resp.text[:300]
    return resp.headers["Location"]


def oidc_log_in(http: requests.Session, gateway_url: str, name: str, sub: str) -> tuple[str, dict | None]:
    """'Log in with NAME' as `sub`, as a browser would (cookies kept by `http`): (where the
    gateway's callback sent the browser, the session handed over or None)."""
    start = http.get(f"{gateway_url}/auth/oidc/{name}/login", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text[:300]
    back = http.get(authorize(http, start.headers["Location"], sub), allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:300]
    landed = urljoin(gateway_url, back.headers["Location"])
    if not re.search(r"/login\?handover=1$", landed):
        return landed, None
    handed = http.post(f"{gateway_url}/api/v1/sessions/handover", timeout=10)
    assert handed.status_code == 201, handed.text
    return landed, handed.json()
