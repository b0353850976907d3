"""The live gateway against its own /openapi.json, fuzzed by schemathesis (its CLI, every check):
no server error, every answer as the spec says (status, content type, headers, body), requests
the spec calls valid accepted and invalid ones refused, 405 with `Allow`; for every route, with
a valid token and without one. The spec is generated from the routes' own pydantic models
(`services.gateway.http.openapi`); here it is also checked as OpenAPI 3.1.

Bounded: a fixed seed and 5 random examples per route, plus the coverage phase's cases (~1
minute in all on a quiet machine). The destructive
routes (log-out, account deletion) run last, on an account of their own."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate

from tests.conftest import new_email

ROOT = Path(__file__).resolve().parents[2]
DESTRUCTIVE = ("auth.delete_account", "auth.log_out")
SEED = "1"


def account(gateway) -> str:
    """A new account's session token."""
    creds = {"email": new_email(), "password": "correct horse battery"}
    assert requests.post(f"{gateway.gateway_url}/api/v1/users", json=creds, timeout=10).status_code == 201
    return requests.post(f"{gateway.gateway_url}/api/v1/sessions", json=creds, timeout=10).json()["token"]


def schemathesis(gateway, tmp_path, *args: str, phases: str = "examples,coverage,fuzzing", examples: int = 5) -> None:
    """Run `st run` against the gateway; fail with its report unless every check passed."""
    st = Path(sys.executable).with_name("st")
    cmd = [str(st), "run", f"{gateway.gateway_url}/openapi.json", "--checks", "all",
           "--exclude-checks", "not_a_server_error", "--max-response-time", "60",  # see the hooks' no_server_fault
           "--phases", phases, "--max-examples", str(examples), "--seed", SEED,
           "--workers", "1",  # 2 were slower here (2 cores) and met a CPython ast race in hypothesis
           "--request-timeout", "30", "--output-truncate", "false", "--no-color", "--generation-database", "none",
           "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml"), *args]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.security.schemathesis_hooks",
           "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    started = time.monotonic()
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    print(f"schemathesis {' '.join(args[:1]) or '(no token)'}: {time.monotonic() - started:.1f} s")
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    assert (tmp_path / "junit.xml").exists()


def test_the_spec_is_valid_openapi_and_describes_every_api_route(dev_gateway):
    spec = requests.get(f"{dev_gateway.gateway_url}/openapi.json", timeout=10).json()
    validate(spec)  # OpenAPI 3.1, every $ref resolved
    from services.gateway.app import create_app

    app = create_app()
    routes = {(r.rule.replace("<", "{").replace(">", "}"), m.lower()) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/") for m in r.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert routes <= described, routes - described
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == {part[1:-1] for part in path.split("/") if part.startswith("{")}, (method, path)
            if path.startswith("/api/"):
                assert "503" in op["responses"] and "default" not in op["responses"], (method, path)
                if op["security"] == [{"bearer": []}]:
                    assert "401" in op["responses"], (method, path)


def test_every_route_without_a_token(dev_gateway, tmp_path):
    # Most routes answer 401 whatever they are sent: random cases, not the coverage phase's many
    # (sign-up and log-in, which need no token, get those in the next run).
    schemathesis(dev_gateway, tmp_path, phases="examples,fuzzing")


def test_every_route_with_a_valid_token(dev_gateway, tmp_path):
    exclude = [arg for op in DESTRUCTIVE for arg in ("--exclude-operation-id", op)]
    schemathesis(dev_gateway, tmp_path, "-H", f"Authorization: Bearer {account(dev_gateway)}", *exclude)


def test_the_destructive_routes_last_on_an_account_of_their_own(dev_gateway, tmp_path):
    token = account(dev_gateway)
    include = [arg for op in DESTRUCTIVE for arg in ("--include-operation-id", op)]
    schemathesis(dev_gateway, tmp_path, "-H", f"Authorization: Bearer {token}", *include)
    # the account was deleted (or its token revoked) on the way: the token no longer works
    me = requests.get(f"{dev_gateway.gateway_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 401


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_405_names_the_allowed_methods(dev_gateway, method):
    resp = requests.request(method, f"{dev_gateway.gateway_url}/api/v1/instagram", timeout=10)
    assert resp.status_code == 405 and resp.json()["error"]["code"] == "method_not_allowed"
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "POST", "DELETE"}
