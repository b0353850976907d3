"""Security tests against real gateway processes (gunicorn, the real MongoDB-wire server, Redis and
RabbitMQ), on loopback only: one gateway as configured in development, one as in production
(public URL on https) with rate limits set low so that a few requests reach them."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SESSION, free_port
from tests.support.stack import Stack

NO_SANDBOX = "http://127.0.0.1:9"  # these tests never reach Instagram

# Low limits for the tests (settings only; production keeps the defaults).
STRICT_ENV = {
    "LIKELY_PUBLIC_URL": "https://likely.example.test",
    "LIKELY_GATEWAY_WORKERS": "2",  # limits hold across workers (the counters live in Redis)
    "LIKELY_LOGIN_LIMIT_ACCOUNT": "3 per minute",
    "LIKELY_LOGIN_LIMIT_ADDRESS": "6 per minute",
    "LIKELY_SIGNUP_LIMIT": "4 per minute",
    "LIKELY_OIDC_START_LIMIT": "3 per minute",
    "LIKELY_RATE_LIMIT_PREFIX": f"likely-test-{SESSION}-strict",
    "LIKELY_OIDC_PROVIDERS": '[{"name": "nowhere", "issuer": "http://127.0.0.1:9", "client_id": "x"}]',
}


def _gateway(stack_vhost, tmp_root, name: str, env: dict) -> Stack:
    gw = Stack(amqp_url=stack_vhost, sandbox_url=NO_SANDBOX, gateway_port=free_port(),
               log_dir=Path(tmp_root) / f"logs-security-{name}", extra_env={"LIKELY_GATEWAY_WORKERS": "1", **env})
    gw.log_dir.mkdir(parents=True, exist_ok=True)
    gw.spawn("gateway", "services.gateway")
    return gw


@pytest.fixture(scope="session")
def gateways(stack_vhost, mongo_db, redis_client, tmp_root):
    """(dev, strict): both started at once, then waited for."""
    dev = _gateway(stack_vhost, tmp_root, "dev", {})
    strict = _gateway(stack_vhost, tmp_root, "strict", STRICT_ENV)
    try:
        dev.wait_ready()
        strict.wait_ready()
        yield dev, strict
    finally:
        dev.stop()
        strict.stop()


@pytest.fixture(scope="session")
def dev_gateway(gateways) -> Stack:
    return gateways[0]


@pytest.fixture(scope="session")
def strict_gateway(gateways) -> Stack:
    return gateways[1]
