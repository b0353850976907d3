"""The secret key: required in production (the gateway refuses to start without one), rotated
with MultiFernet (old keys still decrypt, new writes use the first)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from shared.secrets import MissingSecretKey, TokenCipher
from shared.settings import Settings
from tests.conftest import free_port
from tests.support.stack import ROOT

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def cipher(keys: str, env: str = "development") -> TokenCipher:
    return TokenCipher(Settings(secret_key=keys, env=env))


def test_the_gateway_refuses_to_start_in_production_without_a_key():
    env = {**os.environ, "LIKELY_ENV": "production", "LIKELY_SECRET_KEY": "", "LIKELY_GATEWAY_PORT": str(free_port())}
    done = subprocess.run([sys.executable, "-m", "services.gateway"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "LIKELY_SECRET_KEY is required when LIKELY_ENV=production" in done.stderr
    with pytest.raises(MissingSecretKey):
        cipher("", env="production")


def test_rotation_old_keys_decrypt_new_writes_use_the_first():
    stored = cipher(OLD).encrypt("ig-token-1")
    rotated = cipher(f"{NEW},{OLD}")
    assert rotated.decrypt(stored) == "ig-token-1"  # written under the old key, read after rotation
    fresh = rotated.encrypt("ig-token-2")
    assert cipher(NEW).decrypt(fresh) == "ig-token-2"  # new writes use the first key
    with pytest.raises(ValueError):
        cipher(OLD).decrypt(fresh)


def test_rotation_keeps_signed_links_valid_and_signs_new_ones_with_the_first_key():
    """A prediction's image link (shared.secrets.sign) made before a rotation still verifies
    after it; a new one verifies under the new key alone; a forged one under none."""
    from shared.secrets import sign, signed

    message = b"prediction-1:user-1:1900000000"
    old, rotated, new = (Settings(secret_key=k) for k in (OLD, f"{NEW},{OLD}", NEW))
    before = sign(message, old)
    assert signed(before, message, rotated) and not signed(before, message, new)
    after = sign(message, rotated)
    assert signed(after, message, new) and not signed(after, message, old)
    assert not signed(before, b"prediction-2:user-1:1900000000", rotated)
    assert not signed("0" * 32, message, rotated)


def test_rotation_keeps_a_log_in_in_progress_valid():
    """The OIDC flow's cookie (a Flask session) signed before a rotation is still read after it,
    and no longer once the old key is dropped."""
    from flask import Flask
    from itsdangerous import BadSignature

    from services.gateway.accounts.oidc import session_secrets

    def app_with(keys: str) -> Flask:
        app = Flask(__name__)
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = session_secrets(Settings(secret_key=keys))
        return app

    def serializer(app: Flask):
        return app.session_interface.get_signing_serializer(app)

    cookie = serializer(app_with(OLD)).dumps({"_state_oidc_x": "in progress"})
    assert serializer(app_with(f"{NEW},{OLD}")).loads(cookie) == {"_state_oidc_x": "in progress"}
    with pytest.raises(BadSignature):
        serializer(app_with(NEW)).loads(cookie)
