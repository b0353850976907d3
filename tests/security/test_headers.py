"""Security headers on every answer of the real gateway: pages, API, errors, static files."""
from __future__ import annotations

import pytest
import requests

from services.gateway.http.headers import HSTS

PATHS = [  # (path, method, expected status)
    ("/login", "GET", 200),
    ("/", "GET", 200),
    ("/healthz", "GET", 200),
    ("/openapi.json", "GET", 200),
    ("/api/v1/me", "GET", 401),
    ("/api/v1/sessions", "POST", 400),
    ("/static/web/login.js", "GET", 200),
    ("/no/such/page", "GET", 404),
    ("/healthz", "DELETE", 405),
]


def _get(gw, path, method):
    return requests.request(method, gw.gateway_url + path, timeout=10, allow_redirects=False)


@pytest.mark.parametrize("path,method,status", PATHS)
def test_every_answer_carries_the_security_headers(dev_gateway, path, method, status):
    resp = _get(dev_gateway, path, method)
    assert resp.status_code == status
    h = resp.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    if h["Content-Type"].startswith("text/html"):
        assert (
            "script-src 'self'" in h["Content-Security-Policy"] and "unsafe-inline" not in h["Content-Security-Policy"]
        )
        assert h["Cache-Control"] == "no-store"
    else:
        assert h["Content-Security-Policy"].startswith("default-src 'none'")
    assert "Strict-Transport-Security" not in h  # the dev public URL is http


@pytest.mark.parametrize("path,method,status", PATHS[:5])
def test_hsts_when_the_public_url_is_https(strict_gateway, path, method, status):
    resp = _get(strict_gateway, path, method)
    assert resp.status_code == status
    assert resp.headers["Strict-Transport-Security"] == HSTS
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
