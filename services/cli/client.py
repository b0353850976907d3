"""A small client for the gateway's HTTP API."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from shared.run_state import TERMINAL_STATES


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, body: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body or {}


class LikelyClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> Any:
        """The answer's JSON (None for a 204); an error answer raises ApiError."""
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        resp = self.http.request(method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs)
        if resp.status_code == 204:
            return None
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if not resp.ok:
            err = body.get("error", {}) if isinstance(body, dict) else {}
            raise ApiError(resp.status_code, err.get("code", "http_error"), err.get("message", resp.text[:200]), body)
        return body

    # accounts
    def sign_up(self, email: str, password: str) -> dict:
        return self.request("POST", "/api/v1/users", json={"email": email, "password": password})

    def log_in(self, email: str, password: str) -> dict:
        out = self.request("POST", "/api/v1/sessions", json={"email": email, "password": password})
        self.token = out["token"]
        return out

    def log_out(self) -> None:
        self.request("DELETE", "/api/v1/sessions")

    # instagram
    def connect_instagram(self, account: str) -> dict:
        """The OAuth round trip without a browser: the sandbox approves `account` at once."""
        auth = self.request("GET", "/api/v1/instagram/authorize")
        resp = self.http.get(auth["url"] + f"&account={account}", allow_redirects=False, timeout=self.timeout)
        if resp.status_code not in (301, 302, 303, 307):
            raise ApiError(resp.status_code, "authorize_failed", resp.text[:200])
        query = parse_qs(urlparse(resp.headers["Location"]).query)
        return self.request("POST", "/api/v1/instagram", json={"code": query["code"][0], "state": query["state"][0]})

    def instagram(self) -> dict:
        return self.request("GET", "/api/v1/instagram")

    # training and model
    def train(self) -> dict:
        return self.request("POST", "/api/v1/training-runs")

    def train_or_follow(self) -> tuple[str, bool]:
        """Start a run, or follow the one already going: (run id, whether it was already going)."""
        try:
            return self.train()["run_id"], False
        except ApiError as exc:
            if exc.code != "run_active":
                raise
            return exc.body["error"]["run_id"], True

    def run(self, run_id: str = "current") -> dict:
        return self.request("GET", f"/api/v1/training-runs/{run_id}")

    def cancel(self, run_id: str) -> dict:
        return self.request("POST", f"/api/v1/training-runs/{run_id}/cancel")

    def model(self, coefficients: bool = False) -> dict:
        return self.request("GET", "/api/v1/model" + ("?coefficients=1" if coefficients else ""))

    # operators (admin accounts)
    def admin_overview(self) -> dict:
        return self.request("GET", "/api/v1/admin/overview")

    def dead_letters(self, limit: int = 50) -> dict:
        return self.request("GET", f"/api/v1/admin/dead-letters?limit={limit}")

    def replay_dead_letters(self, ids: list[str] | None = None) -> dict:
        """Replay these dead letters, or (no ids) every one that waits for a replay."""
        return self.request("POST", "/api/v1/admin/dead-letters/replay", json={"ids": ids} if ids else {"all": True})

    def wait_for_run(self, run_id: str, timeout: float = 120.0, on_progress=None) -> dict:
        import time

        deadline = time.monotonic() + timeout
        while True:
            status = self.run(run_id)
            if on_progress:
                on_progress(status)
            if status["state"] in TERMINAL_STATES:
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {status['state']} after {timeout}s: {status}")
            time.sleep(0.25)
