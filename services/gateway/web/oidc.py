"""Log in with any OpenID Connect provider, by configuration alone (LIKELY_OIDC_PROVIDERS).

The seed offered Facebook and Amazon through Cognito; here every provider is an OIDC issuer
(Cognito user pools, Google, Auth0, Keycloak, …). Authorization code flow with state, nonce
and PKCE (S256); endpoints from discovery (`{issuer}/.well-known/openid-configuration`); the ID
token is verified (signature against the issuer's JWKS, iss, aud/azp, exp, iat, nonce). The
person is found or created by their verified email and gets an ordinary Likely session.

Bound to the browser (log-in CSRF): the start sets a random value in an HttpOnly SameSite=Lax
cookie (only its hash is stored with the state); the callback goes on only when the browser
presents it, so a callback URL planted on someone else logs nobody in. The session then reaches
the page through a one-time handover cookie (services/gateway/handover.py), never in a URL.

    LIKELY_OIDC_PROVIDERS='[{"name": "cognito", "label": "Amazon",
      "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_XXXX",
      "client_id": "…", "client_secret": "…"}]'

Register `{LIKELY_PUBLIC_URL}/auth/oidc/{name}/callback` as the redirect URI at the provider.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import requests
from flask import abort, redirect, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from services.gateway.auth import deps, find_or_create_user
from services.gateway.handover import hand_over, secure_cookies
from services.gateway.limits import oidc_start_by_address
from shared.runs import now

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
BROWSER_COOKIE = "likely_oidc"  # binds a flow to the browser that started it
BROWSER_PATH = "/auth/oidc"
HTTP_TIMEOUT = 10.0
LEEWAY = 60  # seconds of clock skew tolerated on exp / iat
DISCOVERY_TTL = 3600.0
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# What the log-in page says for each failure (the code travels in ?oidc_error=…, never free text).
ERRORS = {
    "denied": "The log-in was cancelled at the provider.",
    "expired": "That log-in attempt expired or was already used. Please try again.",
    "browser": "That log-in was not started in this browser, so you were not logged in. Please try again here.",
    "provider": "The log-in provider could not be reached or answered with an error. Please try again.",
    "token": "The log-in provider's answer could not be verified, so you were not logged in.",
    "no_email": "The log-in provider did not share a verified email address, which Likely needs to find your account.",
}


class OidcFailure(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


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


def providers() -> list[Provider]:
    """The configured providers, in the order given; a malformed entry is logged and skipped."""
    raw = (deps().settings.oidc_providers or "").strip()
    if not raw:
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


def provider(name: str) -> Provider:
    for p in providers():
        if p.name == name:
            return p
    abort(404)


def redirect_uri(p: Provider) -> str:
    return f"{deps().settings.public_url}/auth/oidc/{p.name}/callback"


# ------------------------------------------------------------------ discovery and keys (cached)

@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    discovery: dict = field(default_factory=dict)  # issuer -> (fetched_at, doc)
    jwks: dict = field(default_factory=dict)  # jwks_uri -> (fetched_at, KeySet)


_cache = _Cache()


def _get_json(url: str, **kwargs) -> dict:
    try:
        resp = requests.get(url, timeout=HTTP_TIMEOUT, **kwargs)
        resp.raise_for_status()
        return resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcFailure("provider", f"GET {url}: {exc}") from None


def discovery(p: Provider) -> dict:
    with _cache.lock:
        hit = _cache.discovery.get(p.issuer)
    if hit and time.monotonic() - hit[0] < DISCOVERY_TTL:
        return hit[1]
    doc = _get_json(f"{p.issuer}/.well-known/openid-configuration")
    if str(doc.get("issuer", "")).rstrip("/") != p.issuer:
        raise OidcFailure("provider", f"discovery issuer {doc.get('issuer')!r} is not the configured {p.issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not doc.get(key):
            raise OidcFailure("provider", f"discovery document lacks {key}")
    with _cache.lock:
        _cache.discovery[p.issuer] = (time.monotonic(), doc)
    return doc


def _keys(jwks_uri: str, refresh: bool = False) -> KeySet:
    with _cache.lock:
        hit = _cache.jwks.get(jwks_uri)
    if hit and not refresh and time.monotonic() - hit[0] < DISCOVERY_TTL:
        return hit[1]
    keys = KeySet.import_key_set(_get_json(jwks_uri))
    with _cache.lock:
        _cache.jwks[jwks_uri] = (time.monotonic(), keys)
    return keys


# ------------------------------------------------------------------ the flow

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _fail(code: str):
    resp = redirect(f"/login?oidc_error={code}", 302)
    resp.delete_cookie(BROWSER_COOKIE, path=BROWSER_PATH, httponly=True, samesite="Lax", secure=secure_cookies())
    return resp


def start(name: str):
    p = provider(name)
    try:
        doc = discovery(p)
    except OidcFailure as exc:
        log.warning("oidc %s: %s", p.name, exc)
        return _fail(exc.code)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    browser = secrets.token_urlsafe(32)
    deps().db.oidc_states.insert_one({"state": state, "provider": p.name, "nonce": nonce, "verifier": verifier,
                                      "browser_hash": _hash(browser), "expires_at": now() + STATE_TTL})
    params = {
        "response_type": "code", "client_id": p.client_id, "redirect_uri": redirect_uri(p),
        "scope": " ".join(p.scopes), "state": state, "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()), "code_challenge_method": "S256",
    }
    sep = "&" if "?" in doc["authorization_endpoint"] else "?"
    resp = redirect(doc["authorization_endpoint"] + sep + urlencode(params), 302)
    # Lax: sent on the provider's top-level redirect back to the callback, never on cross-site posts
    resp.set_cookie(BROWSER_COOKIE, browser, max_age=int(STATE_TTL.total_seconds()), path=BROWSER_PATH,
                    httponly=True, samesite="Lax", secure=secure_cookies())
    return resp


def callback(name: str):
    p = provider(name)
    args = request.args
    saved = None
    if args.get("state"):
        saved = deps().db.oidc_states.find_one_and_delete({"state": args["state"], "provider": p.name})
    if args.get("error"):
        return _fail("denied" if args["error"] == "access_denied" else "provider")
    if saved is None or saved["expires_at"] <= now() or not args.get("code"):
        return _fail("expired")
    if not secrets.compare_digest(_hash(request.cookies.get(BROWSER_COOKIE, "")), saved.get("browser_hash", "")):
        log.warning("oidc %s: callback from a browser that did not start this log-in", p.name)
        return _fail("browser")
    try:
        claims = _exchange(p, args["code"], saved)
        email = _email(p, claims)
    except OidcFailure as exc:
        log.warning("oidc %s: %s", p.name, exc)
        return _fail(exc.code)
    user = find_or_create_user(email, oidc={p.name: claims["sub"]})
    resp = redirect("/login?handover=1", 302)
    resp.delete_cookie(BROWSER_COOKIE, path=BROWSER_PATH, httponly=True, samesite="Lax", secure=secure_cookies())
    return hand_over(resp, user["_id"])


def _exchange(p: Provider, code: str, saved: dict) -> dict:
    doc = discovery(p)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(p),
            "code_verifier": saved["verifier"]}
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth = None
    if not p.client_secret:
        data["client_id"] = p.client_id  # a public client
    elif "client_secret_basic" in methods:
        auth = (p.client_id, p.client_secret)
    else:
        data.update(client_id=p.client_id, client_secret=p.client_secret)
    try:
        resp = requests.post(doc["token_endpoint"], data=data, auth=auth, timeout=HTTP_TIMEOUT,
                             headers={"Accept": "application/json"})
        body = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcFailure("provider", f"token endpoint: {exc}") from None
    if not resp.ok or not body.get("id_token"):
        # the status and the OAuth error code only: the body may hold tokens, which never reach a log
        error = body.get("error") if isinstance(body, dict) else None
        raise OidcFailure("provider", f"token endpoint answered {resp.status_code} (error {str(error)[:60]!r})")
    claims = verify_id_token(p, doc, body["id_token"], saved["nonce"])
    claims["_access_token"] = body.get("access_token")
    return claims


def verify_id_token(p: Provider, doc: dict, id_token: str, nonce: str) -> dict:
    algs = [a for a in (doc.get("id_token_signing_alg_values_supported") or ["RS256"]) if a in ALGORITHMS]
    try:
        try:
            token = jwt.decode(id_token, _keys(doc["jwks_uri"]), algorithms=algs)
        except (JoseError, ValueError):  # perhaps the keys rotated: fetch them once more
            token = jwt.decode(id_token, _keys(doc["jwks_uri"], refresh=True), algorithms=algs)
    except (JoseError, ValueError) as exc:
        raise OidcFailure("token", f"ID token signature: {exc}") from None
    c = dict(token.claims)
    t = time.time()
    aud = c.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    problems = []
    if str(c.get("iss", "")).rstrip("/") != p.issuer:
        problems.append(f"iss {c.get('iss')!r}")
    if p.client_id not in auds:
        problems.append(f"aud {aud!r}")
    if len(auds) > 1 and c.get("azp") != p.client_id:
        problems.append(f"azp {c.get('azp')!r}")
    if not isinstance(c.get("exp"), (int, float)) or c["exp"] + LEEWAY < t:
        problems.append("expired")
    if isinstance(c.get("iat"), (int, float)) and c["iat"] - LEEWAY > t:
        problems.append("issued in the future")
    if not secrets.compare_digest(str(c.get("nonce", "")), nonce):
        problems.append("nonce")
    if not c.get("sub"):
        problems.append("no sub")
    if problems:
        raise OidcFailure("token", "ID token rejected: " + ", ".join(problems))
    return c


def _email(p: Provider, claims: dict) -> str:
    email, verified = claims.get("email"), claims.get("email_verified")
    if not email and claims.get("_access_token") and discovery(p).get("userinfo_endpoint"):
        info = _get_json(discovery(p)["userinfo_endpoint"],
                         headers={"Authorization": f"Bearer {claims['_access_token']}"})
        if info.get("sub") == claims["sub"]:
            email, verified = info.get("email"), info.get("email_verified")
    claims.pop("_access_token", None)
    if isinstance(verified, str):  # Cognito sends "true" as a string in places
        verified = verified.lower() == "true"
    email = str(email or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain:
        raise OidcFailure("no_email", f"no usable email for sub {claims.get('sub')!r}")
    if p.require_verified_email and verified is not True:
        raise OidcFailure("no_email", f"email {email!r} not verified by {p.name}")
    return email


def register(bp) -> None:
    bp.add_url_rule("/auth/oidc/<name>/login", "oidc_start", oidc_start_by_address()(start), methods=["GET"])
    bp.add_url_rule("/auth/oidc/<name>/callback", "oidc_callback", callback, methods=["GET"])
