"""The chaos stack: every service as a process, 4 labelers, on a private RabbitMQ node, Redis
and MongoDB-wire server of this session (tests/support/private_infra.py), so the faults the
scenarios inject never reach anyone else's runs on the machine.

In `make test` the outages are shortened, with retry delays shortened to match: each outage
still outlasts a worker's in-place waiting (a 3 s MongoDB timeout, a 2 s Redis timeout, kombu's
~3 s publish retries) many times over, and the MongoDB one the old ~40 s retry budget. `make
chaos` (LIKELY_CHAOS_FULL=1) runs them at full length (5 minutes) with the default settings.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SESSION, free_port
from tests.e2e.conftest import sandbox  # noqa: F401 - the Instagram sandbox fixture
from tests.e2e.test_training_flow import image_posts
from tests.support.private_infra import PrivateInfra
from tests.support.stack import Stack

FULL = os.environ.get("LIKELY_CHAOS_FULL") == "1"


@dataclass(frozen=True)
class Timing:
    mongo_outage: float
    redis_outage: float
    env: dict


TIMING = (
    Timing(300, 300, {}) if FULL else
    Timing(60, 20, {
        "LIKELY_RETRY_DELAYS": "1,2,4,8,15,15,15,15,15,15",  # 105 s in all, tries every 15 s at most
        "LIKELY_RUN_STALL_TIMEOUT": "30",
        "LIKELY_JANITOR_INTERVAL": "3",
        "LIKELY_MONGO_TIMEOUT": "3",
    })
)


@pytest.fixture(scope="session")
def timing() -> Timing:
    return TIMING


@pytest.fixture(scope="session")
def infra():
    private = PrivateInfra(SESSION)
    try:
        yield private.start()
    finally:
        private.close()


@pytest.fixture(scope="session")
def chaos_stack(infra, sandbox, tmp_root):  # noqa: F811 - the imported fixture
    stack = Stack(amqp_url=infra.rabbit.url, sandbox_url=sandbox.url, gateway_port=free_port(),
                  log_dir=Path(tmp_root) / "chaos-logs", labelers=4, inferers=0,
                  extra_env={"LIKELY_REDIS_URL": infra.redis.url, "LIKELY_MONGO_URL": infra.mongo.url,
                             "LIKELY_MONGO_DB": "likely_chaos", **TIMING.env})
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def chaos_db(infra):
    from pymongo import MongoClient

    client = MongoClient(infra.mongo.url, tz_aware=True, serverSelectionTimeoutMS=3000)
    yield client["likely_chaos"]
    client.close()


@pytest.fixture
def say(capsys):
    def out(text: str) -> None:
        with capsys.disabled():
            print(f"    chaos: {text}", flush=True)
    return out


@pytest.fixture
def slow_demo(sandbox):  # noqa: F811 - the fixture imported above
    """Each demo image takes 0.3 s to download: a run lasts long enough to be hit mid-way."""
    sandbox.fault("demo", [p["id"] for p in image_posts(sandbox, "demo")], mode="slow", seconds=0.3)
    yield len(image_posts(sandbox, "demo"))
    sandbox.clear_faults("demo")
