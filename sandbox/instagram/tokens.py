"""Stateless, HMAC-signed codes and tokens (they survive a restart of the sandbox).

A token is "IGS" + base64url(JSON payload) + "." + base64url(HMAC-SHA256(secret, payload)),
the payload holding the account, its user id, the kind (code, short, long), issue and expiry
times and a nonce. The key is derived from the app's client secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import time
from dataclasses import dataclass

PREFIX = {"code": "AQS", "short": "IGS", "long": "IGL"}
CODE_TTL = 3600  # Instagram: an authorization code is valid for 1 hour, and once
SHORT_TTL = 3600  # short-lived token: 1 hour
LONG_TTL = 60 * 24 * 3600  # long-lived token: 60 days (5184000 s)


class TokenError(ValueError):
    """reason: 'malformed' | 'signature' | 'expired' | 'kind'."""

    def __init__(self, reason: str, message: str, claims: "Claims | None" = None):
        super().__init__(message)
        self.reason = reason
        self.claims = claims


@dataclass(frozen=True)
class Claims:
    account: str
    user_id: str
    kind: str
    iat: float
    exp: float
    nonce: str
    extra: dict

    @property
    def expires_in(self) -> int:
        return max(0, int(self.exp - time.time()))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Signer:
    def __init__(self, secret: str):
        self._key = hashlib.sha256(b"likely-sandbox-instagram:" + secret.encode()).digest()

    def _sig(self, body: str) -> str:
        return _b64e(hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:24])

    def issue(
        self, account: str, user_id: str, kind: str, ttl: float | None = None, now: float | None = None, **extra
    ) -> str:
        now = time.time() if now is None else now
        if ttl is None:
            ttl = {"code": CODE_TTL, "short": SHORT_TTL, "long": LONG_TTL}[kind]
        payload = {
            "a": account,
            "u": user_id,
            "k": kind,
            "i": math.floor(now * 1000) / 1000,  # never after now: a refresh at once is not "too new"
            "e": round(now + ttl, 3),
            "n": secrets.token_hex(6),
        }
        if extra:
            payload["x"] = extra
        body = _b64e(json.dumps(payload, separators=(",", ":")).encode())
        return f"{PREFIX[kind]}{body}.{self._sig(body)}"

    def verify(self, token: str, kind: str | tuple[str, ...], now: float | None = None) -> Claims:
        kinds = (kind,) if isinstance(kind, str) else kind
        if not token or len(token) < 8 or "." not in token or len(token) > 4096:
            raise TokenError("malformed", "Cannot parse access token")
        prefix, rest = token[:3], token[3:]
        body, _, sig = rest.rpartition(".")
        if not hmac.compare_digest(self._sig(body), sig):
            raise TokenError("signature", "Cannot parse access token")
        try:
            p = json.loads(_b64d(body))
            claims = Claims(
                str(p["a"]), str(p["u"]), str(p["k"]), float(p["i"]), float(p["e"]), str(p["n"]), dict(p.get("x") or {})
            )
        except (ValueError, KeyError, TypeError):
            raise TokenError("malformed", "Cannot parse access token") from None
        if PREFIX.get(claims.kind) != prefix:
            raise TokenError("malformed", "Cannot parse access token")
        if claims.kind not in kinds:
            raise TokenError("kind", f"Expected a {' or '.join(kinds)} token, got a {claims.kind} token", claims)
        now = time.time() if now is None else now
        if now >= claims.exp:
            raise TokenError("expired", "Session has expired", claims)
        return claims
