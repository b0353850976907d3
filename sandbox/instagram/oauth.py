"""Instagram Login: the authorization page (an account picker), the code exchange, the
long-lived token exchange and its refresh."""
from __future__ import annotations

import html
import re
import secrets
import time
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, request

from .accounts import Account, list_accounts
from .errors import IGError, param_error, require
from .media import with_params
from .state import AccountControl, sandbox
from .tokens import LONG_TTL, TokenError

KNOWN_SCOPES = {
    "instagram_business_basic",
    "instagram_business_manage_messages",
    "instagram_business_manage_comments",
    "instagram_business_content_publish",
    "instagram_business_manage_insights",
}

oauth = Blueprint("oauth", __name__)


def requested_scopes() -> list[str]:
    scopes = [s for s in re.split(r"[,\s]+", require("scope")) if s]
    bad = [s for s in scopes if s not in KNOWN_SCOPES]
    if bad:
        raise param_error(f"Invalid Scopes: {', '.join(bad)}")
    if "instagram_business_basic" not in scopes:
        raise param_error("Invalid Scopes: instagram_business_basic is required")
    return scopes


@oauth.get("/oauth/authorize")
def authorize():
    sb = sandbox()
    a = request.args
    cid = a.get("client_id")
    if not cid:
        raise param_error("Missing required parameter: client_id")
    if cid != sb.client_id:
        raise IGError("Invalid platform app", 101)
    redirect_uri = require("redirect_uri")
    ru = urlsplit(redirect_uri)
    if ru.scheme not in ("http", "https") or not ru.netloc or ru.fragment:
        raise param_error("Invalid redirect_uri: it must be an absolute http(s) URL without a fragment")
    if a.get("response_type") != "code":
        raise param_error("Invalid response_type: only 'code' is supported")
    scopes = requested_scopes()
    state = a.get("state")
    if a.get("deny") or a.get("error"):
        return redirect(with_params(redirect_uri, {"error": "access_denied", "error_reason": "user_denied",
                                                   "error_description": "Permissions error", "state": state}), 302)
    name = a.get("account")
    if name:
        acct = sb.account(name)
        if acct is None:
            raise IGError(f"No such sandbox account: {name}", 100, status=404)
        code = sb.signer.issue(acct.name, acct.user_id, "code", r=redirect_uri, c=sb.client_id, s=",".join(scopes))
        return redirect(with_params(redirect_uri, {"code": code, "state": state}), 302)
    return Response(account_picker(sb.client_id, scopes, list_accounts(sb.root)), mimetype="text/html")


def account_picker(client_id: str, scopes: list[str], names: list[str]) -> str:
    """What the Instagram login and consent screens are to a real user."""
    base = {k: v for k, v in request.args.items(multi=False) if k not in ("account", "deny")}
    items = "\n".join(
        f'<li><a href="/oauth/authorize?{html.escape(urlencode({**base, "account": n}))}">{html.escape(n)}</a></li>'
        for n in names
    ) or "<li>No accounts in this sandbox.</li>"
    cancel = f'/oauth/authorize?{html.escape(urlencode({**base, "deny": "1"}))}'
    return f"""<!doctype html>
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


def check_client_secret(secret: str) -> None:
    if not secrets.compare_digest(secret.encode(), sandbox().client_secret.encode()):
        raise IGError("Error validating client secret.", 1)


@oauth.post("/oauth/access_token")
def exchange_code():
    sb = sandbox()
    form = request.form if request.form else request.args
    cid = require("client_id", form)
    secret = require("client_secret", form)
    grant = require("grant_type", form)
    redirect_uri = require("redirect_uri", form)
    code = require("code", form)
    if cid != sb.client_id:
        raise IGError("Invalid platform app", 101)
    check_client_secret(secret)
    if grant != "authorization_code":
        raise param_error(f"Unsupported grant_type: {grant}")
    try:
        claims = sb.signer.verify(code, "code")
    except TokenError as e:
        if e.reason == "expired":
            raise param_error("This authorization code has expired.", subcode=36007) from None
        raise param_error("Invalid authorization code") from None
    if claims.extra.get("r") != redirect_uri:
        raise param_error(
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used "
            "in the OAuth dialog request",
            subcode=36008,
        )
    with sb.control.lock:
        if claims.nonce in sb.control.used_codes:
            raise param_error("This authorization code has been used.", subcode=36009)
        sb.control.used_codes.add(claims.nonce)
    acct = sb.account(claims.account)
    if acct is None:
        raise param_error("Invalid authorization code")
    sb.control.get(acct.name).stats["token"] += 1
    token = sb.signer.issue(acct.name, acct.user_id, "short")
    perms = [p for p in claims.extra.get("s", "").split(",") if p]
    shapes = sb.control.shapes
    body = {"access_token": token,
            "user_id": int(acct.user_id) if shapes["user_id"] == "number" and acct.user_id.isdigit() else acct.user_id,
            "permissions": perms if shapes["permissions"] == "list" else ",".join(perms)}
    return jsonify({"data": [body]} if shapes["token"] == "wrapped" else body)


def long_lived(acct: Account, ctl: AccountControl):
    ctl.stats["token"] += 1
    return jsonify({"access_token": sandbox().signer.issue(acct.name, acct.user_id, "long"), "token_type": "bearer",
                    "expires_in": LONG_TTL})


@oauth.get("/access_token")
@oauth.get("/<ver:version>/access_token")
def exchange_long(version=None):
    grant = require("grant_type")
    secret = require("client_secret")
    if grant != "ig_exchange_token":
        raise param_error(f"Unsupported grant_type: {grant}")
    check_client_secret(secret)
    token = require("access_token")
    if token.startswith("IGL"):
        raise IGError("Invalid OAuth access token - a long-lived token cannot be exchanged", 190)
    _, acct, ctl = sandbox().check_token(token, ("short",))
    return long_lived(acct, ctl)


@oauth.get("/refresh_access_token")
@oauth.get("/<ver:version>/refresh_access_token")
def refresh(version=None):
    grant = require("grant_type")
    if grant != "ig_refresh_token":
        raise param_error(f"Unsupported grant_type: {grant}")
    token = require("access_token")
    if token.startswith("IGS"):
        raise IGError("Invalid OAuth access token - only a long-lived token can be refreshed", 190)
    sb = sandbox()
    claims, acct, ctl = sb.check_token(token, ("long",))
    if time.time() - claims.iat < sb.refresh_min_age:
        raise param_error("The access token is too new to be refreshed")
    return long_lived(acct, ctl)
