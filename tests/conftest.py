"""Fixtures for tests against the real services: RabbitMQ, Redis, the MongoDB-wire server,
the Instagram sandbox and the services themselves as processes.

Tests never touch the development data: their own MongoDB database, Redis database and
RabbitMQ virtual host (one per fixture that needs an isolated broker).
"""
from __future__ import annotations

import os
import socket
import tempfile
import uuid
import warnings

# The environment of every test and of every process the tests start; set before any
# `shared` module reads its settings.
_TMP = tempfile.mkdtemp(prefix="likely-test-")
# One namespace per test session, so two sessions on one machine never meet.
SESSION = uuid.uuid4().hex[:8]
os.environ.update({
    "LIKELY_MONGO_DB": f"likely_test_{SESSION}",
    "LIKELY_REDIS_URL": "redis://127.0.0.1:6379/1",
    "LIKELY_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/likely-test",
    "LIKELY_IMAGE_DIR": os.path.join(_TMP, "images"),
    "LIKELY_MAIL_OUTBOX": os.path.join(_TMP, "mail", "outbox.mbox"),  # mail of gateways without an SMTP sink
    "LIKELY_SECRET_KEY": "kN3o2xZBVK0mXyRLi4mJ9Hqg4nEYJrZQy7LqgJ3p2uE=",
    "LIKELY_INSTAGRAM_BACKOFF": "0.05",
    "LIKELY_INSTAGRAM_FULL_PAUSE": "0.2",  # the sandbox's throttling says 100% used
    "LIKELY_INSTAGRAM_CLIENT_ID": "likely-test",
    "LIKELY_INSTAGRAM_CLIENT_SECRET": "likely-test-secret",
    # Every test signs up and logs in from 127.0.0.1, many sessions at once on one Redis: limits
    # out of the way, on counters of this session alone (tests/security sets them low on its own gateway).
    "LIKELY_LOGIN_LIMIT_ADDRESS": "10000 per minute",
    "LIKELY_SIGNUP_LIMIT": "10000 per minute",
    "LIKELY_OIDC_START_LIMIT": "10000 per minute",
    "LIKELY_RATE_LIMIT_PREFIX": f"likely-test-{SESSION}",
    # The sandbox and test image servers listen on 127.0.0.1 (any port): images may come from there.
    "LIKELY_DOWNLOAD_HOSTS": "127.0.0.1",
    "LIKELY_DOWNLOAD_PRIVATE_HOSTS": "127.0.0.1",
})

import subprocess  # noqa: E402

import pytest  # noqa: E402

from tests.support import infra  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tmp_root() -> str:
    return _TMP


@pytest.fixture(scope="session")
def services_up():
    """RabbitMQ, Redis and the MongoDB-wire server answer (`make test` starts them)."""
    problems = infra.check()
    if problems:
        pytest.fail("infrastructure is down (run `bash scripts/infra.sh up`): " + "; ".join(problems))


@pytest.fixture(scope="session")
def mongo_db(services_up):
    from shared import db as dbmod

    database = dbmod.database()
    dbmod.ensure_indexes(database)
    yield database
    # This session's own database (LIKELY_MONGO_DB names it): no later session reads it, so a server
    # too busy to drop it in time (other suites share it) leaves it behind with a warning, not an error.
    import pymongo

    try:
        with pymongo.timeout(120):
            database.client.drop_database(database.name)
    except pymongo.errors.PyMongoError as e:
        warnings.warn(f"could not drop the test database {database.name}: {e}", stacklevel=1)


@pytest.fixture(scope="session")
def redis_client(services_up):
    from shared.progress import connect
    from shared.settings import load

    # Shared with other sessions: tests only touch keys of their own (runs have random ids).
    return connect(load().redis_url)


@pytest.fixture
def progress(redis_client):
    from shared.progress import Progress

    return Progress(redis_client)


@pytest.fixture
def vhost(services_up):
    """A RabbitMQ virtual host of this test alone, deleted afterwards; yields its AMQP URL."""
    name = f"likely-test-{uuid.uuid4().hex[:8]}"
    infra.add_vhost(name)
    yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    infra.delete_vhost(name)


@pytest.fixture(scope="session")
def stack_vhost(services_up):
    name = f"likely-test-stack-{SESSION}"
    infra.add_vhost(name)
    yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    infra.delete_vhost(name)


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


__all__ = ["free_port", "new_email", "subprocess"]
