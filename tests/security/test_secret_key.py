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
