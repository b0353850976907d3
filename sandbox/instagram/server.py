"""The Instagram sandbox: the endpoints of the Instagram API with Instagram Login that Likely
uses, over accounts kept as folders (see accounts.py), plus a test-control API under
/_sandbox (not part of Instagram; its state lives in memory).

One server answers for the three base URLs (auth, api, graph). Tokens and codes are
stateless (HMAC-signed with the client secret), so they survive a restart.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import mimetypes
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, g, jsonify, redirect, request, send_file
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from .accounts import (
    Account,
    AccountError,
    format_timestamp,
    list_accounts,
    load_account,
    post_files,
    valid_name,
    validate_post,
)
from .tokens import LONG_TTL, Signer, TokenError

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
KNOWN_SCOPES = {
    "instagram_business_basic",
    "instagram_business_manage_messages",
    "instagram_business_manage_comments",
    "instagram_business_content_publish",
    "instagram_business_manage_insights",
}
MEDIA_FIELDS = {
    "id", "caption", "media_type", "media_url", "permalink", "timestamp", "like_count",
    "comments_count", "thumbnail_url", "username", "shortcode", "media_product_type",
    "is_comment_enabled", "owner",
}
USER_FIELDS = {"id", "user_id", "username", "account_type", "media_count", "name"}
THROTTLE_MESSAGES = {
    4: "Application request limit reached",
    17: "User request limit reached",
    32: "Page request limit reached",
    613: "Calls to this api have exceeded the rate limit.",
}
THROTTLE_STATUS = {4: 400, 17: 400, 32: 400, 613: 429}
FAULT_MODES = ("broken", "truncated", "html", "404", "slow")
#: Response shapes: the first of each is what Meta documents (the default), the others what
#: Instagram is known to return. Chosen through POST /_sandbox/shapes.
SHAPES = {
    "token": ("wrapped", "flat"),  # code exchange: {"data": [{...}]} or {...}
    "user_id": ("string", "number"),  # code exchange user_id
    "permissions": ("string", "list"),  # code exchange: "a,b" or ["a", "b"]
    "me": ("wrapped", "flat"),  # GET /me: {"data": [{...}]} or {...}
}
DOCUMENTED = {k: v[0] for k, v in SHAPES.items()}
USAGE_METRICS = ("call_count", "total_cputime", "total_time")
BROKEN_BYTES = b"this is not an image: the sandbox was told to break it\n" * 8


class VersionConverter(BaseConverter):
    regex = r"v\d+\.\d+"


# --------------------------------------------------------------------------- errors


class IGError(Exception):
    def __init__(self, message: str, code: int, status: int = 400, type_: str = "OAuthException",
                 subcode: int | None = None, transient: bool | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.type = message, code, status, type_
        self.subcode, self.transient, self.headers = subcode, transient, headers or {}

    def response(self) -> Response:
        err: dict = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.transient is not None:
            err["is_transient"] = self.transient
        err["fbtrace_id"] = _trace_id()
        resp = jsonify({"error": err})
        resp.status_code = self.status
        if self.code == 190:
            resp.headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{self.message}"'
        for k, v in self.headers.items():
            resp.headers[k] = v
        return resp


def _trace_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(11))


def param_error(message: str, subcode: int | None = None) -> IGError:
    return IGError(message, 100, subcode=subcode)


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


# --------------------------------------------------------------------------- control state


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
    stats: dict = field(default_factory=lambda: {"me": 0, "media_list": 0, "media_item": 0, "files": 0, "throttled": 0, "rejected": 0, "token": 0})
    usage: dict = field(default_factory=dict)  # "app" / "business" -> the usage headers' numbers

    def as_json(self) -> dict:
        return {
            "reject_all": self.reject_all,
            "reject_before": self.reject_before,
            "throttle": {"remaining": self.throttle_remaining, "code": self.throttle_code, "status": self.throttle_status},
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


# --------------------------------------------------------------------------- helpers


def _cursor(media_id: str) -> str:
    return base64.urlsafe_b64encode(f"ig-media:{media_id}".encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise param_error("Invalid cursor") from None
    if not raw.startswith("ig-media:"):
        raise param_error("Invalid cursor")
    return raw[len("ig-media:"):]


def shortcode(media_id: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(media_id.encode()).digest()[:8]).decode().rstrip("=")


def _with_params(url: str, params: dict) -> str:
    parts = urlsplit(url)
    q = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(q), parts.fragment))


def _fields(raw: str | None, allowed: set[str], node_type: str, default: list[str]) -> list[str]:
    if raw is None or not raw.strip():
        return list(default)
    out = []
    for f in raw.split(","):
        f = f.strip()
        if not f:
            continue
        if f not in allowed:
            raise param_error(f"(#100) Tried accessing nonexisting field ({f}) on node type ({node_type})")
        if f not in out:
            out.append(f)
    return out


# --------------------------------------------------------------------------- app


def create_app(accounts_dir, client_id: str, client_secret: str, *, public_url: str | None = None,
               refresh_min_age: float = 0.0) -> Flask:
    """The sandbox as a Flask app.

    accounts_dir: folder of account folders. client_id / client_secret: the one app it knows.
    public_url: base of media_url / permalink / paging URLs (default: the request's host).
    refresh_min_age: seconds a long-lived token must have lived before it can be refreshed
    (Instagram: 24 h; 0 here so tests can refresh at once).
    """
    root = Path(accounts_dir)
    signer = Signer(client_secret)
    control = Control()
    cache: dict[str, tuple[float, Account]] = {}
    cache_lock = threading.Lock()

    app = Flask(__name__)
    app.url_map.converters["ver"] = VersionConverter
    app.url_map.strict_slashes = False
    app.json.sort_keys = False
    app.extensions["sandbox_control"] = control
    app.config.update(SANDBOX_ACCOUNTS=str(root), SANDBOX_CLIENT_ID=client_id)

    # ---- accounts ---------------------------------------------------------

    def account(name: str) -> Account | None:
        if not valid_name(name):
            return None
        path = root / name / "account.json"
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with cache_lock:
            hit = cache.get(name)
            if hit and hit[0] == mtime:
                return hit[1]
        acct = load_account(root, name)
        with cache_lock:
            cache[name] = (mtime, acct)
        return acct

    def all_posts(acct: Account) -> list[dict]:
        ctl = control.get(acct.name)
        posts = list(acct.posts) + list(ctl.added_posts)
        return sorted(posts, key=lambda p: (p["timestamp"], p["id"]), reverse=True)

    def base_url() -> str:
        return (public_url.rstrip("/") + "/") if public_url else request.host_url

    def file_url(acct: Account, fname: str) -> str:
        return f"{base_url()}media/{acct.name}/{fname}"

    def render_media(acct: Account, post: dict, fields: list[str]) -> dict:
        out: dict = {}
        mt = post["media_type"]
        for f in fields:
            if f == "id":
                continue
            if f == "caption":
                if post.get("caption"):
                    out["caption"] = post["caption"]
            elif f == "media_type":
                out["media_type"] = mt
            elif f == "media_url":
                first = post["children"][0] if mt == "CAROUSEL_ALBUM" else post["file"]
                out["media_url"] = file_url(acct, first)
            elif f == "thumbnail_url":
                if mt == "VIDEO" and post.get("thumbnail"):
                    out["thumbnail_url"] = file_url(acct, post["thumbnail"])
            elif f == "permalink":
                out["permalink"] = f"{base_url()}p/{shortcode(post['id'])}/"
            elif f == "shortcode":
                out["shortcode"] = shortcode(post["id"])
            elif f == "timestamp":
                out["timestamp"] = post["timestamp"]
            elif f == "like_count":
                if post.get("like_count") is not None:  # None: the owner hid like counts (field omitted)
                    out["like_count"] = int(post["like_count"])
            elif f == "comments_count":
                out["comments_count"] = int(post["comments_count"])
            elif f == "username":
                out["username"] = acct.username
            elif f == "media_product_type":
                out["media_product_type"] = post.get("media_product_type") or ("REELS" if mt == "VIDEO" else "FEED")
            elif f == "is_comment_enabled":
                out["is_comment_enabled"] = True
            elif f == "owner":
                out["owner"] = {"id": acct.user_id}
        out["id"] = post["id"]
        return out

    # ---- tokens -----------------------------------------------------------

    def bearer() -> str | None:
        tok = request.args.get("access_token")
        if tok:
            return tok
        auth = request.headers.get("Authorization", "")
        m = re.match(r"^(?:Bearer|OAuth)\s+(\S+)$", auth, re.I)
        return m.group(1) if m else None

    def check_token(token: str | None, kinds=("short", "long")):
        if not token:
            raise IGError("An active access token must be used to query information about the current user.", 2500)
        try:
            claims = signer.verify(token, kinds)
        except TokenError as e:
            if e.reason == "expired":
                day = datetime.fromtimestamp(e.claims.exp, timezone.utc).strftime("%A, %d-%b-%y %H:%M:%S UTC")
                now = datetime.now(timezone.utc).strftime("%A, %d-%b-%y %H:%M:%S UTC")
                raise IGError(f"Error validating access token: Session has expired on {day}. The current time is {now}.", 190, subcode=463) from None
            raise IGError("Invalid OAuth access token - Cannot parse access token", 190) from None
        acct = account(claims.account)
        if acct is None or acct.user_id != claims.user_id:
            raise IGError("Error validating access token: The user has not authorized application.", 190, subcode=458)
        ctl = control.get(acct.name)
        g.sandbox_account = (acct, ctl)  # its usage headers go on the response
        if ctl.reject_all or (ctl.reject_before is not None and claims.iat < ctl.reject_before):
            ctl.stats["rejected"] += 1
            raise IGError("Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.", 190, subcode=460)
        return claims, acct, ctl

    def throttle(ctl: AccountControl) -> None:
        with control.lock:
            if ctl.throttle_remaining <= 0:
                return
            ctl.throttle_remaining -= 1
            ctl.stats["throttled"] += 1
            code, status = ctl.throttle_code, ctl.throttle_status
        headers = {} if ctl.usage else {"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 20, "total_time": 25})}
        raise IGError(THROTTLE_MESSAGES.get(code, "Rate limit reached"), code, status=status, transient=True,
                      headers=headers)

    @app.after_request
    def usage_headers(resp: Response) -> Response:
        acct, ctl = g.get("sandbox_account", (None, None))
        if ctl is not None and ctl.usage.get("app"):
            resp.headers["X-App-Usage"] = json.dumps(ctl.usage["app"])
        if ctl is not None and ctl.usage.get("business"):
            resp.headers["X-Business-Use-Case-Usage"] = json.dumps(
                {acct.user_id: [{"type": "instagram", **ctl.usage["business"]}]})
        return resp

    def require(name: str, source=None) -> str:
        v = (source if source is not None else request.args).get(name)
        if v is None or v == "":
            raise param_error(f"Missing required parameter: {name}")
        return v

    # ---- error handlers ---------------------------------------------------

    @app.errorhandler(IGError)
    def _ig_error(e: IGError):
        return e.response()

    @app.errorhandler(ControlError)
    def _control_error(e: ControlError):
        return jsonify({"error": {"code": "bad_request" if e.status == 400 else "not_found", "message": e.message}}), e.status

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        if request.path.startswith("/_sandbox") or request.path.startswith("/media/"):
            return jsonify({"error": {"code": e.name.lower().replace(" ", "_"), "message": e.description}}), e.code
        return IGError(f"Unsupported {request.method.lower()} request. {e.description}", 100,
                       status=e.code if e.code in (404, 405) else 400, subcode=33 if e.code == 404 else None).response()

    # ---- OAuth ------------------------------------------------------------

    @app.get("/oauth/authorize")
    def authorize():
        a = request.args
        cid = a.get("client_id")
        if not cid:
            raise param_error("Missing required parameter: client_id")
        if cid != client_id:
            raise IGError("Invalid platform app", 101)
        redirect_uri = require("redirect_uri")
        ru = urlsplit(redirect_uri)
        if ru.scheme not in ("http", "https") or not ru.netloc or ru.fragment:
            raise param_error("Invalid redirect_uri: it must be an absolute http(s) URL without a fragment")
        if a.get("response_type") != "code":
            raise param_error("Invalid response_type: only 'code' is supported")
        scope_raw = require("scope")
        scopes = [s for s in re.split(r"[,\s]+", scope_raw) if s]
        bad = [s for s in scopes if s not in KNOWN_SCOPES]
        if bad:
            raise param_error(f"Invalid Scopes: {', '.join(bad)}")
        if "instagram_business_basic" not in scopes:
            raise param_error("Invalid Scopes: instagram_business_basic is required")
        state = a.get("state")
        if a.get("deny") or a.get("error"):
            return redirect(_with_params(redirect_uri, {"error": "access_denied", "error_reason": "user_denied",
                                                        "error_description": "Permissions error", "state": state}), 302)
        name = a.get("account")
        if name:
            acct = account(name)
            if acct is None:
                raise IGError(f"No such sandbox account: {name}", 100, status=404)
            code = signer.issue(acct.name, acct.user_id, "code", r=redirect_uri, c=client_id, s=",".join(scopes))
            return redirect(_with_params(redirect_uri, {"code": code, "state": state}), 302)
        # the account picker (what the Instagram login and consent screens are to a real user)
        base = {k: v for k, v in a.items(multi=False) if k not in ("account", "deny")}
        items = "\n".join(
            f'<li><a href="/oauth/authorize?{html.escape(urlencode({**base, "account": n}))}">{html.escape(n)}</a></li>'
            for n in list_accounts(root)
        ) or "<li>No accounts in this sandbox.</li>"
        cancel = f'/oauth/authorize?{html.escape(urlencode({**base, "deny": "1"}))}'
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in with Instagram (sandbox)</title></head>
<body>
<main>
<h1>Instagram sandbox</h1>
<p>The app <strong>{html.escape(client_id)}</strong> asks for: {html.escape(", ".join(scopes))}.
Choose the account to log in with; it is approved at once.</p>
<ul id="accounts">
{items}
</ul>
<p><a id="cancel" href="{cancel}">Cancel</a></p>
</main>
</body></html>"""
        return Response(page, mimetype="text/html")

    @app.post("/oauth/access_token")
    def exchange_code():
        form = request.form if request.form else request.args
        cid = require("client_id", form)
        secret = require("client_secret", form)
        grant = require("grant_type", form)
        redirect_uri = require("redirect_uri", form)
        code = require("code", form)
        if cid != client_id:
            raise IGError("Invalid platform app", 101)
        if not secrets.compare_digest(secret.encode(), client_secret.encode()):
            raise IGError("Error validating client secret.", 1)
        if grant != "authorization_code":
            raise param_error(f"Unsupported grant_type: {grant}")
        try:
            claims = signer.verify(code, "code")
        except TokenError as e:
            if e.reason == "expired":
                raise param_error("This authorization code has expired.", subcode=36007) from None
            raise param_error("Invalid authorization code") from None
        if claims.extra.get("r") != redirect_uri:
            raise param_error("Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request", subcode=36008)
        with control.lock:
            if claims.nonce in control.used_codes:
                raise param_error("This authorization code has been used.", subcode=36009)
            control.used_codes.add(claims.nonce)
        acct = account(claims.account)
        if acct is None:
            raise param_error("Invalid authorization code")
        control.get(acct.name).stats["token"] += 1
        token = signer.issue(acct.name, acct.user_id, "short")
        perms = [p for p in claims.extra.get("s", "").split(",") if p]
        shapes = control.shapes
        body = {"access_token": token,
                "user_id": int(acct.user_id) if shapes["user_id"] == "number" and acct.user_id.isdigit() else acct.user_id,
                "permissions": perms if shapes["permissions"] == "list" else ",".join(perms)}
        return jsonify({"data": [body]} if shapes["token"] == "wrapped" else body)

    def long_lived(acct: Account, ctl: AccountControl):
        ctl.stats["token"] += 1
        return jsonify({"access_token": signer.issue(acct.name, acct.user_id, "long"), "token_type": "bearer",
                        "expires_in": LONG_TTL})

    @app.get("/access_token")
    @app.get("/<ver:version>/access_token")
    def exchange_long(version=None):
        grant = require("grant_type")
        secret = require("client_secret")
        if grant != "ig_exchange_token":
            raise param_error(f"Unsupported grant_type: {grant}")
        if not secrets.compare_digest(secret.encode(), client_secret.encode()):
            raise IGError("Error validating client secret.", 1)
        token = require("access_token")
        if token.startswith("IGL"):
            raise IGError("Invalid OAuth access token - a long-lived token cannot be exchanged", 190)
        _, acct, ctl = check_token(token, ("short",))
        return long_lived(acct, ctl)

    @app.get("/refresh_access_token")
    @app.get("/<ver:version>/refresh_access_token")
    def refresh(version=None):
        grant = require("grant_type")
        if grant != "ig_refresh_token":
            raise param_error(f"Unsupported grant_type: {grant}")
        token = require("access_token")
        if token.startswith("IGS"):
            raise IGError("Invalid OAuth access token - only a long-lived token can be refreshed", 190)
        claims, acct, ctl = check_token(token, ("long",))
        if time.time() - claims.iat < refresh_min_age:
            raise param_error("The access token is too new to be refreshed")
        return long_lived(acct, ctl)

    # ---- Graph --------------------------------------------------------------

    @app.get("/me")
    @app.get("/<ver:version>/me")
    def me(version=None):
        _, acct, ctl = check_token(bearer())
        ctl.stats["me"] += 1
        fields = _fields(request.args.get("fields"), USER_FIELDS, "User", ["id"])
        out: dict = {}
        for f in fields:
            if f == "user_id":
                out["user_id"] = acct.user_id
            elif f == "username":
                out["username"] = acct.username
            elif f == "account_type":
                out["account_type"] = acct.account_type
            elif f == "media_count":
                out["media_count"] = len(all_posts(acct))
            elif f == "name":
                out["name"] = acct.username
        out["id"] = acct.user_id
        return jsonify({"data": [out]} if control.shapes["me"] == "wrapped" else out)

    def list_media(node: str):
        _, acct, ctl = check_token(bearer())
        if node not in ("me", acct.user_id):
            raise param_error(f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", subcode=33)
        with control.lock:
            ctl.stats["media_list"] += 1
        throttle(ctl)
        args = request.args
        fields = _fields(args.get("fields"), MEDIA_FIELDS, "ShadowIGMedia", ["id"])
        try:
            limit = int(args.get("limit", DEFAULT_LIMIT))
        except ValueError:
            raise param_error("(#100) Param limit must be a number") from None
        if limit < 1:
            raise param_error("(#100) Param limit must be a positive number")
        limit = min(limit, MAX_LIMIT)
        posts = all_posts(acct)
        ids = [p["id"] for p in posts]
        start = 0
        if args.get("after"):
            mid = _uncursor(args["after"])
            if mid not in ids:
                raise param_error("Invalid cursor")
            start = ids.index(mid) + 1
        elif args.get("before"):
            mid = _uncursor(args["before"])
            if mid not in ids:
                raise param_error("Invalid cursor")
            start = max(0, ids.index(mid) - limit)
            limit = ids.index(mid) - start
        page = posts[start:start + limit]
        body: dict = {"data": [render_media(acct, p, fields) for p in page]}
        if page:
            cursors = {"before": _cursor(page[0]["id"]), "after": _cursor(page[-1]["id"])}
            paging: dict = {"cursors": cursors}
            here = f"{base_url()}{request.path.lstrip('/')}"
            common = {"access_token": bearer(), "fields": ",".join(fields) if args.get("fields") else None,
                      "limit": str(min(int(args.get("limit", DEFAULT_LIMIT)), MAX_LIMIT))}
            if start > 0:
                paging["previous"] = _with_params(here, {**common, "before": cursors["before"]})
            if start + len(page) < len(posts):
                paging["next"] = _with_params(here, {**common, "after": cursors["after"]})
            body["paging"] = paging
        return jsonify(body)

    @app.get("/me/media")
    @app.get("/<ver:version>/me/media")
    def me_media(version=None):
        return list_media("me")

    @app.get("/<ver:version>/<node>/media")
    @app.get("/<node>/media")
    def node_media(node, version=None):
        return list_media(node)

    @app.get("/<ver:version>/<media_id>")
    def media_item(media_id, version=None):
        _, acct, ctl = check_token(bearer())
        ctl.stats["media_item"] += 1
        fields = _fields(request.args.get("fields"), MEDIA_FIELDS, "ShadowIGMedia", ["id"])
        for p in all_posts(acct):
            if p["id"] == media_id:
                return jsonify(render_media(acct, p, fields))
        raise param_error(f"Unsupported get request. Object with ID '{media_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", subcode=33)

    # ---- media files (Instagram's CDN) ----------------------------------------

    @app.get("/media/<name>/<fname>")
    def media_file(name, fname):
        acct = account(name)
        if acct is None:
            return jsonify({"error": {"code": "not_found", "message": "no such file"}}), 404
        ctl = control.get(acct.name)
        owners = [p["id"] for p in all_posts(acct) if fname in post_files(p)]
        if not owners:
            return jsonify({"error": {"code": "not_found", "message": "no such file"}}), 404
        with control.lock:
            ctl.stats["files"] += 1
            fault = next((ctl.faults[i] for i in owners if i in ctl.faults), None)
        mimetype = mimetypes.guess_type(fname)[0] or "application/octet-stream"
        data = ctl.added_files.get(fname)
        if fault:
            mode = fault["mode"]
            if mode == "404":
                return Response("Not Found", status=404, mimetype="text/plain")
            if mode == "broken":
                return Response(BROKEN_BYTES, mimetype=mimetype)
            if mode == "html":
                return Response("<!doctype html><title>Sorry</title><p>This content isn't available.</p>", mimetype="text/html")
            if mode == "truncated":
                raw = data if data is not None else (acct.folder / fname).read_bytes()
                return Response(raw[: max(1, len(raw) // 2)], mimetype=mimetype)
            if mode == "slow":
                time.sleep(float(fault.get("seconds", 5)))
        if data is not None:
            return Response(data, mimetype=mimetype)
        path = acct.folder / fname
        if not path.is_file():
            return jsonify({"error": {"code": "not_found", "message": "no such file"}}), 404
        return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)

    @app.get("/p/<code>/")
    def permalink(code):
        for name in list_accounts(root):
            acct = account(name)
            for p in all_posts(acct):
                if shortcode(p["id"]) == code:
                    first = p["children"][0] if p["media_type"] == "CAROUSEL_ALBUM" else p.get("thumbnail") or p["file"]
                    return Response(
                        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>@{html.escape(acct.username)}</title></head>"
                        f"<body><img alt='{html.escape(p.get('caption') or '')}' src='/media/{acct.name}/{html.escape(first)}' width='540'>"
                        f"<p>{html.escape(p.get('caption') or '')}</p><p>{'likes hidden' if p['like_count'] is None else str(p['like_count']) + ' likes'}, {p['comments_count']} comments</p></body></html>",
                        mimetype="text/html")
        return Response("Not Found", status=404, mimetype="text/plain")

    # ---- test control (not Instagram) -------------------------------------------

    def ctl_account(name: str) -> Account:
        acct = account(name)
        if acct is None:
            raise ControlError(f"no account {name!r}", 404)
        return acct

    def body() -> dict:
        data = request.get_json(silent=True)
        if data is None:
            if request.data and request.data.strip():
                raise ControlError("body must be JSON")
            return {}
        if not isinstance(data, dict):
            raise ControlError("body must be a JSON object")
        return data

    def state(acct: Account) -> dict:
        return {"name": acct.name, "username": acct.username, "user_id": acct.user_id,
                "posts": len(all_posts(acct)), **control.get(acct.name).as_json()}

    @app.get("/_sandbox/health")
    def health():
        return jsonify({"ok": True, "accounts": list_accounts(root)})

    @app.get("/_sandbox/accounts")
    def ctl_list():
        return jsonify({"accounts": [state(account(n)) for n in list_accounts(root)]})

    @app.get("/_sandbox/accounts/<name>")
    def ctl_get(name):
        return jsonify(state(ctl_account(name)))

    @app.post("/_sandbox/reset")
    def ctl_reset_all():
        control.reset()
        return jsonify({"reset": True})

    @app.get("/_sandbox/shapes")
    def ctl_shapes():
        return jsonify(control.shapes)

    @app.post("/_sandbox/shapes")
    def ctl_set_shapes():
        b = body()
        for key, value in b.items():
            if key not in SHAPES or value not in SHAPES[key]:
                raise ControlError(f"shapes are {', '.join(f'{k}: {v}' for k, v in SHAPES.items())}")
        with control.lock:
            control.shapes = {**control.shapes, **b}
        return jsonify(control.shapes)

    @app.delete("/_sandbox/shapes")
    def ctl_documented_shapes():
        with control.lock:
            control.shapes = dict(DOCUMENTED)
        return jsonify(control.shapes)

    @app.post("/_sandbox/accounts/<name>/usage")
    def ctl_usage(name):
        acct = ctl_account(name)
        b = body()
        usage = {}
        for kind in ("app", "business"):
            numbers = b.get(kind)
            if numbers is None:
                continue
            allowed = USAGE_METRICS + (("estimated_time_to_regain_access",) if kind == "business" else ())
            if not isinstance(numbers, dict) or any(k not in allowed or not isinstance(v, (int, float)) or v < 0
                                                    for k, v in numbers.items()):
                raise ControlError(f"{kind} must be an object of non-negative numbers among {list(allowed)}")
            usage[kind] = {k: numbers.get(k, 0) for k in allowed}
        if set(b) - {"app", "business"}:
            raise ControlError("body may hold app and business only")
        with control.lock:
            control.get(acct.name).usage = usage
        return jsonify(state(acct))

    @app.delete("/_sandbox/accounts/<name>/usage")
    def ctl_clear_usage(name):
        acct = ctl_account(name)
        with control.lock:
            control.get(acct.name).usage = {}
        return jsonify(state(acct))

    @app.post("/_sandbox/accounts/<name>/reset")
    def ctl_reset(name):
        acct = ctl_account(name)
        control.reset(acct.name)
        return jsonify(state(acct))

    @app.post("/_sandbox/accounts/<name>/reject")
    def ctl_reject(name):
        acct = ctl_account(name)
        b = body()
        ctl = control.get(acct.name)
        with control.lock:
            if b.get("before_now"):
                ctl.reject_before = time.time()
            else:
                ctl.reject_all = True
        return jsonify(state(acct))

    @app.delete("/_sandbox/accounts/<name>/reject")
    def ctl_unreject(name):
        acct = ctl_account(name)
        ctl = control.get(acct.name)
        with control.lock:
            ctl.reject_all, ctl.reject_before = False, None
        return jsonify(state(acct))

    @app.post("/_sandbox/accounts/<name>/throttle")
    def ctl_throttle(name):
        acct = ctl_account(name)
        b = body()
        try:
            count = int(b.get("count", 1))
            code = int(b.get("code", 4))
            status = int(b.get("status", THROTTLE_STATUS.get(code, 400)))
        except (TypeError, ValueError):
            raise ControlError("count, code and status must be integers") from None
        if code not in THROTTLE_MESSAGES:
            raise ControlError(f"code must be one of {sorted(THROTTLE_MESSAGES)}")
        if count < 0 or not 400 <= status <= 599:
            raise ControlError("count must be >= 0 and status a 4xx/5xx")
        ctl = control.get(acct.name)
        with control.lock:
            ctl.throttle_remaining, ctl.throttle_code, ctl.throttle_status = count, code, status
        return jsonify(state(acct))

    @app.delete("/_sandbox/accounts/<name>/throttle")
    def ctl_unthrottle(name):
        acct = ctl_account(name)
        with control.lock:
            control.get(acct.name).throttle_remaining = 0
        return jsonify(state(acct))

    @app.post("/_sandbox/accounts/<name>/faults")
    def ctl_faults(name):
        acct = ctl_account(name)
        b = body()
        ids = b.get("media_ids")
        mode = str(b.get("mode", "broken"))
        if not isinstance(ids, list) or not ids:
            raise ControlError("media_ids must be a non-empty list")
        if mode not in FAULT_MODES:
            raise ControlError(f"mode must be one of {list(FAULT_MODES)}")
        known = {p["id"] for p in all_posts(acct)}
        unknown = [str(i) for i in ids if str(i) not in known]
        if unknown:
            raise ControlError(f"unknown media ids {unknown[:5]}", 404)
        ctl = control.get(acct.name)
        with control.lock:
            for i in ids:
                ctl.faults[str(i)] = {"mode": mode, **({"seconds": float(b.get("seconds", 5))} if mode == "slow" else {})}
        return jsonify(state(acct))

    @app.delete("/_sandbox/accounts/<name>/faults")
    def ctl_clear_faults(name):
        acct = ctl_account(name)
        with control.lock:
            control.get(acct.name).faults.clear()
        return jsonify(state(acct))

    @app.post("/_sandbox/accounts/<name>/posts")
    def ctl_add_post(name):
        acct = ctl_account(name)
        b = body()
        ctl = control.get(acct.name)
        existing = {p["id"]: p for p in all_posts(acct)}
        post = {k: v for k, v in b.items() if k not in ("image_b64", "copy_of")}
        post.setdefault("id", str(max([int(i) for i in existing if i.isdigit()] or [17900000000000000]) + 1))
        post.setdefault("timestamp", format_timestamp(datetime.now(timezone.utc)))
        post.setdefault("media_type", "IMAGE")
        post.setdefault("like_count", 0)
        post.setdefault("comments_count", 0)
        if str(post["id"]) in existing:
            raise ControlError(f"post {post['id']} exists", 409)
        files = {}
        if b.get("image_b64"):
            try:
                data = base64.b64decode(b["image_b64"], validate=True)
            except (binascii.Error, ValueError):
                raise ControlError("image_b64 is not base64") from None
            fname = post.get("file") or f"added-{post['id']}.jpg"
            post["file"] = fname
            files[fname] = data
        elif b.get("copy_of"):
            src = existing.get(str(b["copy_of"]))
            if src is None:
                raise ControlError(f"unknown media id {b['copy_of']}", 404)
            for k in ("file", "children", "thumbnail"):
                if k in src and k not in post:
                    post[k] = src[k]
            if "media_type" not in b:
                post["media_type"] = src["media_type"]
        try:
            post = validate_post(post)
        except AccountError as e:
            raise ControlError(str(e)) from None
        for f in post_files(post):
            if f not in files and f not in ctl.added_files and not (acct.folder / f).is_file():
                raise ControlError(f"file {f!r} is neither given nor in the account folder")
        with control.lock:
            ctl.added_files.update(files)
            ctl.added_posts.append(post)
        return jsonify(post), 201

    @app.post("/_sandbox/accounts/<name>/token")
    def ctl_token(name):
        acct = ctl_account(name)
        b = body()
        kind = b.get("kind", "long")
        if kind not in ("code", "short", "long"):
            raise ControlError("kind must be code, short or long")
        ttl = b.get("ttl")
        extra = {}
        if kind == "code":
            extra = {"r": b.get("redirect_uri", ""), "c": client_id, "s": "instagram_business_basic"}
        tok = signer.issue(acct.name, acct.user_id, kind, ttl=None if ttl is None else float(ttl), **extra)
        key = "code" if kind == "code" else "access_token"
        return jsonify({key: tok, "user_id": acct.user_id})

    return app
