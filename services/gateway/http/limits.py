"""Rate limits (Flask-Limiter, counters in Redis so they hold across workers and replicas):
log-in per account and per address, sign-up and the OpenID Connect start per address. Each
limit is a setting ("10 per minute;50 per hour"); over it the answer is 429 with Retry-After.
If Redis cannot be reached each process falls back to counting in memory."""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from services.gateway.deps import deps
from shared.settings import Settings

limiter = Limiter(key_func=get_remote_address)


def _settings() -> Settings:
    return deps().settings


def login_account_key() -> str:
    """The account a log-in is for (the email as the API normalises it), so that guessing one
    account's password from many addresses is slowed down as well."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def login_by_account():
    return limiter.limit(lambda: _settings().login_limit_account, key_func=login_account_key,
                         scope="login-account")


def login_by_address():
    return limiter.limit(lambda: _settings().login_limit_address, scope="login-address")


def signup_by_address():
    return limiter.limit(lambda: _settings().signup_limit, scope="signup-address")


def oidc_start_by_address():
    return limiter.limit(lambda: _settings().oidc_start_limit, scope="oidc-start-address")


def install(app: Flask, settings: Settings) -> None:
    app.config.update(
        RATELIMIT_STORAGE_URI=settings.redis_url,
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": settings.redis_timeout,
                                   "socket_timeout": settings.redis_timeout},
        RATELIMIT_KEY_PREFIX=settings.rate_limit_prefix,
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    limiter.init_app(app)
