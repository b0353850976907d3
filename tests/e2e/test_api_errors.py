"""Bad input at every route of the real gateway: the documented 4xx, the error shape, and
nothing changed."""
from __future__ import annotations

import hashlib
import socket
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
import requests

from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD

PROTECTED = [
    ("DELETE", "/api/v1/sessions"), ("GET", "/api/v1/instagram/authorize"), ("POST", "/api/v1/instagram"),
    ("GET", "/api/v1/instagram"), ("DELETE", "/api/v1/instagram"), ("POST", "/api/v1/training-runs"),
    ("GET", "/api/v1/training-runs/current"), ("GET", "/api/v1/training-runs/abc"),
    ("POST", "/api/v1/training-runs/abc/cancel"), ("POST", "/api/v1/model/rebuild"), ("GET", "/api/v1/model"),
    ("POST", "/api/v1/predictions"), ("GET", "/api/v1/predictions"), ("GET", "/api/v1/predictions/abc/image"),
    ("GET", "/api/v1/me"), ("DELETE", "/api/v1/users/me"),
]


def call(stack, method, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, stack.gateway_url + path, headers=headers, timeout=10, **kw)


def error_of(resp, status):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]["code"]


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/sessions"])
@pytest.mark.parametrize("body,code", [
    ("{not json", "malformed_json"),
    ("[1, 2]", "invalid_body"),
    ('{"email": "a@b.co"}', "invalid_field"),
    ('{"email": 5, "password": "long enough pw"}', "invalid_field"),
    ('{"email": "not-an-email", "password": "long enough pw"}', "invalid_field"),
    ("", "missing_body"),
])
def test_malformed_bodies_are_400(stack, mongo_db, path, body, code):
    before = mongo_db.users.count_documents({})
    resp = call(stack, "POST", path, data=body, headers={"Content-Type": "application/json"})
    assert error_of(resp, 400) == code
    assert mongo_db.users.count_documents({}) == before


def test_sign_up_and_log_in_errors(stack):
    email = new_email()
    assert (
        error_of(call(stack, "POST", "/api/v1/users", json={"email": email, "password": "short"}), 400)
        == "password_too_short"
    )
    assert call(stack, "POST", "/api/v1/users", json={"email": email, "password": PASSWORD}).status_code == 201
    assert (
        error_of(call(stack, "POST", "/api/v1/users", json={"email": email.upper(), "password": PASSWORD}), 409)
        == "email_taken"
    )
    assert (
        error_of(call(stack, "POST", "/api/v1/sessions", json={"email": email, "password": "wrong password"}), 401)
        == "wrong_credentials"
    )
    assert (
        error_of(call(stack, "POST", "/api/v1/sessions", json={"email": new_email(), "password": PASSWORD}), 401)
        == "wrong_credentials"
    )


@pytest.mark.parametrize("method,path", PROTECTED)
def test_every_protected_route_needs_a_valid_token(stack, method, path):
    assert error_of(call(stack, method, path), 401) == "unauthorized"
    assert error_of(call(stack, method, path, token="not-a-token"), 401) == "invalid_token"
    assert error_of(call(stack, method, path, headers={"Authorization": "Basic abc"}), 401) == "unauthorized"


def test_expired_and_revoked_tokens_stop_working(client, mongo_db, redis_client, stack):
    from services.gateway.accounts.sessions import cache_key

    token = client.token
    assert call(stack, "GET", "/api/v1/instagram", token).status_code == 200
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    mongo_db.sessions.update_one({"token_hash": token_hash},
                                 {"$set": {"expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    redis_client.delete(cache_key(token_hash))  # time passed: the gateway's cached copy has expired too
    assert error_of(call(stack, "GET", "/api/v1/instagram", token), 401) == "token_expired"
    client.log_in(client.email, PASSWORD)
    client.log_out()
    assert error_of(call(stack, "GET", "/api/v1/instagram", client.token), 401) == "invalid_token"


def test_another_users_run_is_not_found_and_not_changed(make_client, mongo_db, stack):
    owner = make_client("alice")
    run_id = owner.train()["run_id"]
    intruder = make_client()
    assert error_of(call(stack, "GET", f"/api/v1/training-runs/{run_id}", intruder.token), 404) == "run_not_found"
    assert (
        error_of(call(stack, "POST", f"/api/v1/training-runs/{run_id}/cancel", intruder.token), 404) == "run_not_found"
    )
    assert mongo_db.runs.find_one({"_id": run_id})["state"] != "cancelled"
    assert owner.wait_for_run(run_id, timeout=120)["state"] == "done"


def test_state_errors(client, stack):
    t = client.token
    assert error_of(call(stack, "POST", "/api/v1/training-runs", t), 409) == "instagram_not_connected"
    assert error_of(call(stack, "GET", "/api/v1/training-runs/current", t), 404) == "run_not_found"
    assert error_of(call(stack, "GET", "/api/v1/model", t), 404) == "model_not_trained"
    assert error_of(call(stack, "POST", "/api/v1/model/rebuild", t), 409) == "no_posts"
    assert (
        error_of(call(stack, "POST", "/api/v1/instagram", t, json={"code": "c", "state": "forged"}), 409)
        == "invalid_state"
    )
    assert (
        error_of(call(stack, "POST", "/api/v1/instagram", t, json={"code": "", "state": "s"}), 400) == "invalid_field"
    )
    assert call(stack, "GET", "/api/v1/instagram", t).json() == {
        "connected": False,
        "username": None,
        "valid": False,
        "expires_at": None,
    }


def test_unknown_routes_and_methods_answer_in_json(stack):
    assert error_of(call(stack, "GET", "/api/v1/nope"), 404) == "not_found"
    wrong_method = call(stack, "PUT", "/api/v1/users")
    assert error_of(wrong_method, 405) == "method_not_allowed"
    assert "POST" in wrong_method.headers["Allow"].split(", ")  # RFC 9110: a 405 names what is allowed


def test_a_10_gb_body_is_refused_without_being_read(stack):
    url = urlparse(stack.gateway_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 10737418240\r\n\r\n{\"email\":")
        reply = b""
        while b"payload_too_large" not in reply:  # headers and body may come in separate segments
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413") and b"payload_too_large" in reply


def test_a_long_or_repeated_query_string_is_refused_in_the_error_shape_and_documented(client, stack):
    token = client.token
    assert (
        error_of(call(stack, "GET", "/api/v1/predictions?per_page=5&per_page=50", token), 400) == "repeated_parameter"
    )
    long_query = "/api/v1/predictions?per_page=5&q=" + "x" * 6700  # what schemathesis sent: gunicorn's 414 before
    assert error_of(call(stack, "GET", long_query, token), 414) == "query_too_long"
    spec = call(stack, "GET", "/openapi.json").json()
    assert "414" in spec["paths"]["/api/v1/predictions"]["get"]["responses"]


def test_health_and_spec(stack):
    assert call(stack, "GET", "/healthz").json() == {"status": "ok"}
    ready = call(stack, "GET", "/readyz").json()
    assert ready["status"] == "ready" and set(ready["checks"]) == {"mongodb", "redis", "rabbitmq"}
    spec = call(stack, "GET", "/openapi.json").json()
    cancel = spec["paths"]["/api/v1/training-runs/{run_id}/cancel"]["post"]
    assert [(p["name"], p["in"]) for p in cancel["parameters"]] == [("run_id", "path")]
    assert {"200", "401", "404", "409"} <= set(cancel["responses"])
    assert "likely_gateway_requests_total" in call(stack, "GET", "/metrics").text
