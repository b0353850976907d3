"""Encryption at rest for Instagram tokens (Fernet: AES-128-CBC + HMAC-SHA256), with key rotation
(MultiFernet: LIKELY_SECRET_KEY lists keys, the first encrypts, every one decrypts), and the
HMAC keys derived from the same list for what is signed (the first signs, every one verifies)."""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.settings import Settings, load


class MissingSecretKey(RuntimeError):
    pass


def _keys(settings: Settings) -> list[bytes]:
    """The configured keys, newest first."""
    keys = [k.strip().encode() for k in settings.secret_key.split(",") if k.strip()]
    if keys:
        return keys
    if settings.env == "production":
        raise MissingSecretKey("LIKELY_SECRET_KEY is required when LIKELY_ENV=production: every process must "
                               "share one key (see docker-compose.yml for how to make one)")
    return [_dev_key(settings)]


def _key(settings: Settings) -> bytes:
    """The key new encryptions use."""
    return _keys(settings)[0]


def _dev_key(settings: Settings) -> bytes:
    # Development: a key generated once and kept beside the dev data (never committed).
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():
        # Written whole, then linked into place: concurrent first starts agree on one key.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_bytes().strip()


class TokenCipher:
    def __init__(self, settings: Settings | None = None):
        self._fernet = MultiFernet([Fernet(k) for k in _keys(settings or load())])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored token cannot be decrypted with this key") from exc


def signing_keys(settings: Settings | None = None) -> list[bytes]:
    """Keys for signing (URLs, the OIDC flow's cookie), derived from (not equal to) the
    encryption keys, newest first: the first signs, every one verifies, so what was signed
    before a rotation (a link, a log-in in progress) still holds after it."""
    return [hashlib.sha256(b"likely-url-signing:" + k).digest() for k in _keys(settings or load())]


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def sign(message: bytes, settings: Settings | None = None) -> str:
    """An HMAC-SHA256 of the message under the newest signing key (hex, 32 characters)."""
    return _mac(signing_keys(settings)[0], message)


def signed(signature: str, message: bytes, settings: Settings | None = None) -> bool:
    """Whether `signature` is the message's HMAC under any signing key (constant time each)."""
    return any(hmac.compare_digest(signature, _mac(k, message)) for k in signing_keys(settings))
