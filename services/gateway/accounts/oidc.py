"""Log in with any OpenID Connect provider, by configuration alone (LIKELY_OIDC_PROVIDERS), through
Authlib's Flask client.

The seed offered Facebook and Amazon through Cognito; here every provider is an OIDC issuer
(Cognito user pools, Google, Auth0, Keycloak, …). Authlib does the protocol: discovery
(`{issuer}/.well-known/openid-configuration`), the authorization code flow with state, nonce and
PKCE (S256), the code exchange, and the ID token check (signature against the issuer's JWKS, iss
= the configured issuer, aud/azp, exp, iat, nonce, at_hash). This module decides what a log-in
reaches (`services.gateway.accounts.identities`: the identity (provider, sub), never the email alone).

Bound to the browser (log-in CSRF): Authlib keeps each flow's state in the Flask session, a
signed cookie (HttpOnly, SameSite=Lax, path /auth/oidc) of the browser that started it; the
flow's secrets (nonce, PKCE verifier) stay on the server (`oidc_states`, 10 minutes, single
use, see StateStore). A callback URL planted on someone else finds no such cookie and logs
nobody in. The session then reaches the page through a one-time handover cookie
(`services.gateway.accounts.handover`), never in a URL.

A logged-in person links a provider to their account with `POST /auth/oidc/{name}/link` (bearer
token; answers the provider's URL to open), after which that identity logs into this account.

    LIKELY_OIDC_PROVIDERS='[{"name": "cognito", "label": "Amazon",
      "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_XXXX",
      "client_id": "…", "client_secret": "…"}]'

Register `{LIKELY_PUBLIC_URL}/auth/oidc/{name}/callback` as the redirect URI at the provider.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, abort, current_app, g, jsonify, redirect, request, session
from joserfc.errors import JoseError

from services.gateway.accounts import identities
from services.gateway.accounts.authentication import require_auth
from services.gateway.accounts.handover import hand_over
from services.gateway.accounts.mail import normal_address
from services.gateway.deps import deps
from services.gateway.http.limits import oidc_start_by_address
from shared.runs import now
from shared.secrets import signing_keys

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
COOKIE = "likely_oidc"  # the Flask session: only the OIDC routes read or write it
COOKIE_PATH = "/auth/oidc"
HTTP_TIMEOUT = 10.0
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# What the log-in page says for each failure (the code travels in ?oidc_error=…, never free text).
ERRORS = {
    "denied": "The log-in was cancelled at the provider.",
    "expired": "That log-in attempt expired or was already used. Please try again.",
    "browser": "That log-in was not started in this browser, so you were not logged in. Please try again here.",
    "provider": "The log-in provider could not be reached or answered with an error. Please try again.",
    "token": "The log-in provider's answer could not be verified, so you were not logged in.",
    "no_email": "The log-in provider did not share a verified email address, which Likely needs to find your account.",
    "unverified_account": "An account with this email address already exists, but its address was never verified, "
                          "so this log-in was not attached to it. If the account is yours, log in with its password "
                          "and verify your email (or link this provider from your account); then this log-in works.",
    "identity_taken": "That provider account is already linked to another Likely account.",
}


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str = ""
    label: str = ""
    scopes: tuple[str, ...] = ("openid", "email")
    require_verified_email: bool = True

    @property
    def title(self) -> str:
        return self.label or self.name.replace("-", " ").replace("_", " ").title()


def parse_providers(raw: str) -> list[Provider]:
    """LIKELY_OIDC_PROVIDERS, in the order given; a malformed entry is logged and skipped."""
    if not (raw or "").strip():
        return []
    try:
        entries = json.loads(raw)
    except ValueError:
        log.error("LIKELY_OIDC_PROVIDERS is not valid JSON; no OpenID Connect log-in offered")
        return []
    out = []
    for e in entries if isinstance(entries, list) else []:
        try:
            p = Provider(name=str(e["name"]).lower(), issuer=str(e["issuer"]).rstrip("/"),
                         client_id=str(e["client_id"]), client_secret=str(e.get("client_secret", "")),
                         label=str(e.get("label", "")),
                         scopes=tuple(e.get("scopes") or ("openid", "email")),
                         require_verified_email=bool(e.get("require_verified_email", True)))
        except (KeyError, TypeError, AttributeError):
            log.error("LIKELY_OIDC_PROVIDERS: an entry lacks name, issuer or client_id: skipped")
            continue
        if not NAME.match(p.name) or "openid" not in p.scopes:
            log.error("LIKELY_OIDC_PROVIDERS: bad name or scopes for %r: skipped", p.name)
            continue
        out.append(p)
    return out


def providers() -> list[Provider]:
    return current_app.extensions["likely.oidc"]


def provider(name: str) -> Provider:
    for p in providers():
        if p.name == name:
            return p
    abort(404)


def client(p: Provider):
    return current_app.extensions["authlib.integrations.flask_client"].create_client(p.name)


def redirect_uri(p: Provider) -> str:
    return f"{deps().settings.public_url}/auth/oidc/{p.name}/callback"


# ------------------------------------------------------------------ where a flow's secrets live

class StateStore:
    """Authlib's cache for flow data (nonce, PKCE verifier, redirect URI), in MongoDB. Authlib
    puts only the key, `_state_{provider}_{state}`, in the browser's session: the flow stays
    bound to that browser, its secrets stay here. `get` deletes as it reads: single use."""

    def set(self, key: str, value: str, expires_in: int | None = None) -> None:
        deps().db.oidc_states.insert_one({"state": key, "value": value, "expires_at": now() + STATE_TTL})

    def get(self, key: str) -> str | None:
        saved = deps().db.oidc_states.find_one_and_delete({"state": key})
        return saved["value"] if saved and saved["expires_at"] > now() else None

    def delete(self, key: str) -> None:
        deps().db.oidc_states.delete_one({"state": key})


def _state_key(p: Provider, state: str) -> str:
    return f"_state_{p.name}_{state}"  # Authlib's FrameworkIntegration names session keys so


# ------------------------------------------------------------------ the flow

class Failure(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


def _fail(code: str):
    session.clear()
    return redirect(f"/login?oidc_error={code}", 302)


def _authorization_url(p: Provider, link_user_id: str | None = None) -> str:
    try:
        rv = client(p).create_authorization_url(redirect_uri(p))
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        raise Failure("provider", f"discovery: {type(exc).__name__}") from None
    client(p).save_authorize_data(redirect_uri=redirect_uri(p), **rv)
    # what the callback needs to know besides Authlib's data: the provider, and whose link this is
    deps().db.oidc_states.update_one({"state": _state_key(p, rv["state"])},
                                     {"$set": {"provider": p.name, "link_user_id": link_user_id}})
    return rv["url"]


def start(name: str):
    p = provider(name)
    try:
        return redirect(_authorization_url(p), 302)
    except Failure as exc:
        log.warning("oidc %s: %s", p.name, exc)
        return _fail(exc.code)


@require_auth
def start_link(name: str):
    """The logged-in person's own link of a provider: the page opens the URL answered."""
    p = provider(name)
    try:
        return jsonify({"url": _authorization_url(p, link_user_id=g.user_id)})
    except Failure as exc:
        log.warning("oidc %s: %s", p.name, exc)
        return jsonify({"error": {"code": "provider_unavailable", "message": ERRORS["provider"]}}), 503


def listing():
    """The providers offered (the home page's "Link …" buttons)."""
    return jsonify({"providers": [{"name": p.name, "title": p.title} for p in providers()]})


def callback(name: str):
    p = provider(name)
    state = request.args.get("state", "")
    saved = deps().db.oidc_states.find_one({"state": _state_key(p, state)}) if state else None
    if saved is not None and _state_key(p, state) not in session:
        log.warning("oidc %s: callback from a browser that did not start this log-in", p.name)
        return _fail("browser")
    if request.args.get("error"):
        return _fail("denied" if request.args["error"] == "access_denied" else "provider")
    if saved is None or saved["expires_at"] <= now() or not request.args.get("code"):
        return _fail("expired")
    try:
        user_id = _log_in(p, saved.get("link_user_id"))
    except Failure as exc:
        log.warning("oidc %s: %s", p.name, exc)
        return _fail(exc.code)
    session.clear()
    if saved.get("link_user_id"):
        return redirect("/?linked=" + p.name, 302)  # the tab keeps its own session
    return hand_over(redirect("/login?handover=1", 302), user_id)


def _log_in(p: Provider, link_user_id: str | None) -> str:
    try:
        token = client(p).authorize_access_token(claims_options=claims_options(p))
    except OAuthError as exc:  # the token endpoint's error code only: its body may hold tokens
        raise Failure("expired" if exc.error == "mismatching_state" else "provider",
                      f"token endpoint: error {str(exc.error)[:60]!r}") from None
    except requests.RequestException as exc:
        raise Failure("provider", f"token endpoint: {type(exc).__name__}") from None
    except (JoseError, AuthlibBaseError, ValueError) as exc:
        raise Failure("token", f"ID token rejected: {type(exc).__name__} {exc}") from None
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise Failure("token", "no ID token, or no sub in it")
    if not claims.get("email") and token.get("access_token"):
        try:
            info = client(p).userinfo(token=token)
        except (requests.RequestException, AuthlibBaseError, ValueError) as exc:
            raise Failure("provider", f"userinfo: {type(exc).__name__}") from None
        if info.get("sub") == claims["sub"]:
            claims = {**claims, "email": info.get("email"), "email_verified": info.get("email_verified")}
    try:
        email, verified = email_of(p, claims)
    except Failure:  # enough for an identity already linked, or linked now by its logged-in owner
        email, verified = None, False
    try:
        return identities.account_for(deps().db, p.name, str(claims["sub"]), email, email_verified=verified,
                                      linking_user_id=link_user_id)
    except identities.Refused as exc:
        raise Failure(exc.code, str(exc)) from None


def claims_options(p: Provider) -> dict:
    """Beyond Authlib's own checks of the ID token: its issuer is the configured one."""
    return {"iss": {"essential": True, "values": [p.issuer, p.issuer + "/"]}}


def email_of(p: Provider, claims: dict) -> tuple[str, bool]:
    """(address, whether the provider verified it); Failure("no_email") when there is no
    address, or an unverified one from a provider that must verify."""
    verified = claims.get("email_verified")
    if isinstance(verified, str):  # Cognito sends "true" as a string in places
        verified = verified.lower() == "true"
    try:
        email = normal_address(claims.get("email") or "")
    except ValueError:
        raise Failure("no_email", f"no usable email for sub {claims.get('sub')!r}") from None
    if p.require_verified_email and verified is not True:
        raise Failure("no_email", f"email not verified by {p.name}")
    return email, verified is True


# ------------------------------------------------------------------ wiring

def session_secrets(settings) -> tuple[str, list[str]]:
    """The Flask session's secret and its fallbacks, one per LIKELY_SECRET_KEY key: a log-in in
    progress when the keys rotate (its cookie signed with the old first key) still completes."""
    keys = [hashlib.sha256(b"likely-oidc-session:" + k).hexdigest() for k in signing_keys(settings)]
    return keys[0], keys[1:]


def install(app: Flask) -> None:
    """Authlib's client for each configured provider, the Flask session that binds a flow to
    its browser (signed with a key derived from LIKELY_SECRET_KEY), and the routes."""
    settings = app.extensions["likely"].settings
    app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = session_secrets(settings)
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_PATH=COOKIE_PATH, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax",  # sent on the provider's top-level redirect back only
                      SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"))
    oauth = OAuth(app, cache=StateStore())
    configured = parse_providers(settings.oidc_providers)
    for p in configured:
        oauth.register(p.name, client_id=p.client_id, client_secret=p.client_secret or None,
                       server_metadata_url=f"{p.issuer}/.well-known/openid-configuration",
                       client_kwargs={"scope": " ".join(p.scopes), "code_challenge_method": "S256",
                                      "default_timeout": HTTP_TIMEOUT,
                                      "token_endpoint_auth_method": "client_secret_basic" if p.client_secret
                                      else "none"})
        oauth.create_client(p.name).framework.expires_in = int(STATE_TTL.total_seconds())
    app.extensions["likely.oidc"] = configured


def register(bp) -> None:
    bp.record_once(lambda state: install(state.app))
    bp.add_url_rule("/auth/oidc/providers", "oidc_providers", listing, methods=["GET"])
    bp.add_url_rule("/auth/oidc/<name>/login", "oidc_start", oidc_start_by_address()(start), methods=["GET"])
    bp.add_url_rule("/auth/oidc/<name>/link", "oidc_link", oidc_start_by_address()(start_link), methods=["POST"])
    bp.add_url_rule("/auth/oidc/<name>/callback", "oidc_callback", callback, methods=["GET"])


