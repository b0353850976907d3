"""Nothing secret in the gateway's logs: OAuth codes and URL signatures travel in query strings,
which the access log leaves out."""
from __future__ import annotations

import secrets
import time

import requests


def test_query_strings_stay_out_of_the_access_log(dev_gateway):
    code, sig = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    base = dev_gateway.gateway_url
    assert requests.get(f"{base}/instagram/callback?code={code}&state=s1", timeout=10).status_code == 200
    requests.get(f"{base}/api/v1/images/x?sig={sig}&exp=1", timeout=10)
    requests.get(f"{base}/auth/oidc/none/callback?code={code}&state=s2", timeout=10)
    time.sleep(0.5)  # the access log line is written after the answer
    log = dev_gateway.log("gateway")
    assert "GET /instagram/callback HTTP/1.1" in log  # the request is logged, without its query
    assert code not in log and sig not in log
