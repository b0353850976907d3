"""The OIDC log-in's checks that need no server: the ID token as Authlib's client checks it with the
gateway's settings (tokens signed here, the provider's keys given as its metadata), the email
rules, and the providers setting."""
from __future__ import annotations

import json
import time

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from services.gateway.accounts import oidc
from services.gateway.app import create_app
from services.gateway.deps import Deps
from shared.settings import Settings

ISSUER = "https://id.example.test"
P = oidc.Provider(name="example", issuer=ISSUER, client_id="likely")


@pytest.fixture(scope="module")
def key():
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture
def parse(key):
    """parse(id_token, nonce) through the gateway's own Authlib client for provider `example`,
    its metadata (issuer, keys) given instead of discovered."""
    providers = json.dumps([{"name": "example", "issuer": ISSUER, "client_id": "likely"}])
    app = create_app(Deps(Settings(oidc_providers=providers)))
    with app.test_request_context("/"):
        client = oidc.client(P)
        client.server_metadata.update({"issuer": ISSUER, "jwks": KeySet([key]).as_dict(private=False),
                                       "id_token_signing_alg_values_supported": ["RS256"], "_loaded_at": time.time()})
        yield lambda id_token, nonce: client.parse_id_token({"id_token": id_token}, nonce,
                                                            claims_options=oidc.claims_options(P))


def token(key, **claims) -> str:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": "likely", "sub": "person-1", "exp": now + 300, "iat": now, "nonce": "n1",
            "email": "p@example.com", "email_verified": True}
    base.update(claims)
    return jwt.encode({"alg": "RS256", "kid": "k1"}, {k: v for k, v in base.items() if v is not None}, key)


def test_a_good_token_passes(key, parse):
    assert parse(token(key), "n1")["sub"] == "person-1"


@pytest.mark.parametrize("claims,nonce", [
    ({"iss": "https://evil.example"}, "n1"),  # another issuer, though signed by the right key
    ({"aud": "someone-else"}, "n1"),
    ({"aud": ["likely", "other"], "azp": "other"}, "n1"),
    ({"exp": int(time.time()) - 3600}, "n1"),
    ({}, "another-nonce"),  # the nonce of another flow
    ({"nonce": None}, "n1"),
], ids=["iss", "aud", "azp", "expired", "nonce", "no-nonce"])
def test_bad_claims_are_refused(key, parse, claims, nonce):
    with pytest.raises(JoseError):
        parse(token(key, **claims), nonce)


def test_a_token_signed_by_another_key_is_refused(parse):
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(JoseError):
        parse(token(other), "n1")


def test_email_must_be_verified_unless_the_provider_says_otherwise():
    assert oidc.email_of(P, {"sub": "s", "email": "P@Example.com", "email_verified": "true"}) == ("p@example.com", True)
    for claims in ({"sub": "s", "email": "p@example.com"}, {"sub": "s", "email_verified": True},
                   {"sub": "s", "email": "not an address", "email_verified": True}):
        with pytest.raises(oidc.Failure) as err:
            oidc.email_of(P, claims)
        assert err.value.code == "no_email"
    lax = oidc.Provider(name="lax", issuer=ISSUER, client_id="likely", require_verified_email=False)
    assert oidc.email_of(lax, {"sub": "s", "email": "p@example.com"}) == ("p@example.com", False)


def test_malformed_provider_entries_are_skipped():
    good = {"name": "Good", "issuer": "https://a.example/", "client_id": "c"}
    raw = json.dumps([good, {"name": "no-issuer", "client_id": "c"}, {**good, "name": "bad name!"},
                      {**good, "name": "noopenid", "scopes": ["email"]}])
    assert [(p.name, p.issuer) for p in oidc.parse_providers(raw)] == [("good", "https://a.example")]
    assert oidc.parse_providers("not json") == [] and oidc.parse_providers("") == []
