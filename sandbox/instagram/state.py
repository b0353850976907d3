"""What the sandbox knows while it runs: the accounts (read from their folders, cached until a
file changes), the test-control state of each (in memory), and the token checks every
Instagram endpoint makes. Routes reach it through `sandbox()`."""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import Response, current_app, g, request

from .accounts import Account, load_account, valid_name
from .errors import IGError
from .tokens import Signer, TokenError

THROTTLE_MESSAGES = {
    4: "Application request limit reached",
    17: "User request limit reached",
    32: "Page request limit reached",
    613: "Calls to this api have exceeded the rate limit.",
}
THROTTLE_STATUS = {4: 400, 17: 400, 32: 400, 613: 429}
#: Response shapes: the first of each is what Meta documents (the default), the others what
#: Instagram is known to return. Chosen through POST /_sandbox/shapes.
SHAPES = {
    "token": ("wrapped", "flat"),  # code exchange: {"data": [{...}]} or {...}
    "user_id": ("string", "number"),  # code exchange user_id
    "permissions": ("string", "list"),  # code exchange: "a,b" or ["a", "b"]
    "me": ("wrapped", "flat"),  # GET /me: {"data": [{...}]} or {...}
}
DOCUMENTED = {k: v[0] for k, v in SHAPES.items()}


@dataclass
class AccountControl:
    reject_all: bool = False
    reject_before: float | None = None  # tokens issued before this time are rejected
    throttle_remaining: int = 0
    throttle_code: int = 4
    throttle_status: int = 400
    faults: dict = field(default_factory=dict)  # media id -> {"mode", "seconds"}
    added_posts: list = field(default_factory=list)
    added_files: dict = field(default_factory=dict)  # file name -> bytes
    stats: dict = field(
        default_factory=lambda: {
            "me": 0,
            "media_list": 0,
            "media_item": 0,
            "files": 0,
            "throttled": 0,
            "rejected": 0,
            "token": 0,
            "insights": 0,
        }
    )
    usage: dict = field(default_factory=dict)  # "app" / "business" -> the usage headers' numbers
    insight_reads: dict = field(default_factory=dict)  # media id -> its insights read so far (media_insights)

    def as_json(self) -> dict:
        return {
            "reject_all": self.reject_all,
            "reject_before": self.reject_before,
            "throttle": {
                "remaining": self.throttle_remaining,
                "code": self.throttle_code,
                "status": self.throttle_status,
            },
            "faults": self.faults,
            "added_posts": [p["id"] for p in self.added_posts],
            "stats": dict(self.stats),
            "usage": dict(self.usage),
        }


class Control:
    def __init__(self):
        self.lock = threading.RLock()
        self.accounts: dict[str, AccountControl] = {}
        self.used_codes: set[str] = set()
        self.shapes: dict[str, str] = dict(DOCUMENTED)

    def get(self, name: str) -> AccountControl:
        with self.lock:
            return self.accounts.setdefault(name, AccountControl())

    def reset(self, name: str | None = None) -> None:
        with self.lock:
            if name is None:
                self.accounts.clear()
                self.shapes = dict(DOCUMENTED)
            else:
                self.accounts.pop(name, None)


class Sandbox:
    """One sandbox app's accounts, control state, app credentials and token signer."""

    def __init__(self, accounts_dir, client_id: str, client_secret: str, public_url: str | None,
                 refresh_min_age: float):
        self.root = Path(accounts_dir)
        self.client_id, self.client_secret = client_id, client_secret
        self.public_url, self.refresh_min_age = public_url, refresh_min_age
        self.signer = Signer(client_secret)
        self.control = Control()
        self._cache: dict[str, tuple[float, Account]] = {}
        self._cache_lock = threading.Lock()

    def account(self, name: str) -> Account | None:
        if not valid_name(name):
            return None
        path = self.root / name / "account.json"
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._cache_lock:
            hit = self._cache.get(name)
            if hit and hit[0] == mtime:
                return hit[1]
        acct = load_account(self.root, name)
        with self._cache_lock:
            self._cache[name] = (mtime, acct)
        return acct

    def all_posts(self, acct: Account) -> list[dict]:
        ctl = self.control.get(acct.name)
        posts = list(acct.posts) + list(ctl.added_posts)
        return sorted(posts, key=lambda p: (p["timestamp"], p["id"]), reverse=True)

    def base_url(self) -> str:
        return (self.public_url.rstrip("/") + "/") if self.public_url else request.host_url

    def check_token(self, token: str | None, kinds=("short", "long")):
        if not token:
            raise IGError("An active access token must be used to query information about the current user.", 2500)
        try:
            claims = self.signer.verify(token, kinds)
        except TokenError as e:
            if e.reason == "expired":
                day = datetime.fromtimestamp(e.claims.exp, timezone.utc).strftime("%A, %d-%b-%y %H:%M:%S UTC")
                now = datetime.now(timezone.utc).strftime("%A, %d-%b-%y %H:%M:%S UTC")
                raise IGError(
                    f"Error validating access token: Session has expired on {day}. The current time is {now}.",
                    190,
                    subcode=463,
                ) from None
            raise IGError("Invalid OAuth access token - Cannot parse access token", 190) from None
        acct = self.account(claims.account)
        if acct is None or acct.user_id != claims.user_id:
            raise IGError("Error validating access token: The user has not authorized application.", 190, subcode=458)
        ctl = self.control.get(acct.name)
        g.sandbox_account = (acct, ctl)  # its usage headers go on the response
        if ctl.reject_all or (ctl.reject_before is not None and claims.iat < ctl.reject_before):
            ctl.stats["rejected"] += 1
            raise IGError(
                "Error validating access token: The session has been invalidated because the user changed their "
                "password or Facebook has changed the session for security reasons.",
                190,
                subcode=460,
            )
        return claims, acct, ctl

    def throttle(self, ctl: AccountControl) -> None:
        with self.control.lock:
            if ctl.throttle_remaining <= 0:
                return
            ctl.throttle_remaining -= 1
            ctl.stats["throttled"] += 1
            code, status = ctl.throttle_code, ctl.throttle_status
        headers = (
            {} if ctl.usage else {"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 20, "total_time": 25})}
        )
        raise IGError(THROTTLE_MESSAGES.get(code, "Rate limit reached"), code, status=status, transient=True,
                      headers=headers)


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


def bearer() -> str | None:
    """The request's access token: `access_token=` or an Authorization header."""
    tok = request.args.get("access_token")
    if tok:
        return tok
    auth = request.headers.get("Authorization", "")
    m = re.match(r"^(?:Bearer|OAuth)\s+(\S+)$", auth, re.I)
    return m.group(1) if m else None


def usage_headers(resp: Response) -> Response:
    """After a request with a token: the usage headers set for its account."""
    acct, ctl = g.get("sandbox_account", (None, None))
    if ctl is not None and ctl.usage.get("app"):
        resp.headers["X-App-Usage"] = json.dumps(ctl.usage["app"])
    if ctl is not None and ctl.usage.get("business"):
        resp.headers["X-Business-Use-Case-Usage"] = json.dumps(
            {acct.user_id: [{"type": "instagram", **ctl.usage["business"]}]})
    return resp
