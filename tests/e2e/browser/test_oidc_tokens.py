"""The ID token checks of the OIDC log-in, on tokens signed here (no browser, no server)."""
from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from services.gateway.web import oidc

ISSUER = "https://id.example.test"
DOC = {"issuer": ISSUER, "jwks_uri": "https://id.example.test/jwks", "id_token_signing_alg_values_supported": ["RS256"]}
P = oidc.Provider(name="example", issuer=ISSUER, client_id="likely")


@pytest.fixture
def key():
    k = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    oidc._cache.jwks[DOC["jwks_uri"]] = (time.monotonic(), KeySet([k]))
    yield k
    oidc._cache.jwks.pop(DOC["jwks_uri"], None)


def token(key, **claims) -> str:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": "likely", "sub": "person-1", "exp": now + 300, "iat": now, "nonce": "n1",
            "email": "p@example.com", "email_verified": True}
    base.update(claims)
    return jwt.encode({"alg": "RS256", "kid": "k1"}, {k: v for k, v in base.items() if v is not None}, key)


def test_a_good_token_passes(key):
    assert oidc.verify_id_token(P, DOC, token(key), "n1")["sub"] == "person-1"


@pytest.mark.parametrize("claims,nonce,problem", [
    ({"iss": "https://evil.example"}, "n1", "iss"),
    ({"aud": "someone-else"}, "n1", "aud"),
    ({"aud": ["likely", "other"], "azp": "other"}, "n1", "azp"),
    ({"exp": int(time.time()) - 3600}, "n1", "expired"),
    ({}, "another-nonce", "nonce"),
    ({"nonce": None}, "n1", "nonce"),
])
def test_bad_claims_are_refused(key, claims, nonce, problem):
    with pytest.raises(oidc.OidcFailure) as err:
        oidc.verify_id_token(P, DOC, token(key, **claims), nonce)
    assert err.value.code == "token" and problem in str(err.value)


def test_a_token_signed_by_another_key_is_refused(key, monkeypatch):
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    monkeypatch.setattr(oidc, "_get_json", lambda url, **kw: KeySet([key]).as_dict())  # the refetch
    with pytest.raises(oidc.OidcFailure) as err:
        oidc.verify_id_token(P, DOC, token(other), "n1")
    assert err.value.code == "token"


def test_email_must_be_verified_unless_the_provider_says_otherwise():
    claims = {"sub": "s", "email": "P@Example.com", "email_verified": "true"}
    assert oidc._email(P, dict(claims)) == "p@example.com"
    with pytest.raises(oidc.OidcFailure):
        oidc._email(P, {"sub": "s", "email": "p@example.com"})
    lax = oidc.Provider(name="lax", issuer=ISSUER, client_id="likely", require_verified_email=False)
    assert oidc._email(lax, {"sub": "s", "email": "p@example.com"}) == "p@example.com"
