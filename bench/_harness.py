"""What bench/gateway.py and bench/load.py share (not a benchmark: `make bench` skips `_*.py`):
a namespace of the benchmark's own (data dir, MongoDB database, Redis database 3, RabbitMQ
virtual host, rate-limit counters), the services as `make up` runs them, and users.

`isolate()` must run before anything imports `shared.settings`.
"""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "correct horse battery"


def isolate(kind: str) -> Path:
    """Point every process of the benchmark at a namespace of its own; returns its temp dir."""
    bench_id = uuid.uuid4().hex[:8]
    tmp = Path(tempfile.mkdtemp(prefix=f"likely-bench-{kind}-"))
    (tmp / "models").symlink_to(Path(os.environ.get("LIKELY_DATA_DIR", ROOT / "var")) / "models")
    os.environ.update({
        "LIKELY_DATA_DIR": str(tmp),
        "LIKELY_IMAGE_DIR": str(tmp / "images"),
        "LIKELY_MONGO_DB": f"likely_bench_{kind}_{bench_id}",
        "LIKELY_REDIS_URL": "redis://127.0.0.1:6379/3",
        "LIKELY_AMQP_URL": f"amqp://guest:guest@127.0.0.1:5672/likely-bench-{kind}-{bench_id}",
        "LIKELY_INSTAGRAM_CLIENT_ID": "likely-bench",
        "LIKELY_INSTAGRAM_CLIENT_SECRET": "likely-bench-secret",
        # many clients sign up and log in from 127.0.0.1, some into one account
        "LIKELY_SIGNUP_LIMIT": "100000 per minute",
        "LIKELY_LOGIN_LIMIT_ADDRESS": "100000 per minute",
        "LIKELY_LOGIN_LIMIT_ACCOUNT": "100000 per minute",
        "LIKELY_RATE_LIMIT_PREFIX": f"likely-bench-{kind}-{bench_id}",
        "LIKELY_DOWNLOAD_HOSTS": "127.0.0.1",
        "LIKELY_DOWNLOAD_PRIVATE_HOSTS": "127.0.0.1",
    })
    return tmp


@contextmanager
def namespace(tmp: Path):
    """The infrastructure checked, the virtual host made; everything dropped afterwards."""
    from shared import db as dbmod
    from shared.settings import load
    from tests.support import infra

    problems = infra.check()
    if problems:
        raise SystemExit("infrastructure is down (run `bash scripts/infra.sh up`): " + "; ".join(problems))
    settings = load()
    vhost = settings.amqp_url.rsplit("/", 1)[1]
    infra.add_vhost(vhost)
    mongo = dbmod.database(settings)
    try:
        yield settings, mongo
    finally:
        try:  # a cleanup that fails (the server busy past its timeout) must not lose the figures
            mongo.client.drop_database(mongo.name)
        except Exception as exc:  # noqa: BLE001
            print(f"warning: could not drop the database {mongo.name} ({exc!r}); drop it by hand", file=sys.stderr)
        infra.delete_vhost(vhost)
        shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack(tmp: Path, settings, sandbox_url: str, *, labelers: int = 2, inferers: int = 1, gateway_only: bool = False,
          extra_env: dict | None = None):
    """The services as `make up` runs them (tests/support/stack.py), started; `gateway_only`:
    the gateway alone (a status benchmark needs no worker)."""
    from tests.support.stack import Stack

    s = Stack(amqp_url=settings.amqp_url, sandbox_url=sandbox_url, gateway_port=free_port(), log_dir=tmp / "logs",
              labelers=labelers, inferers=inferers, extra_env=extra_env)
    if gateway_only:
        s.log_dir.mkdir(parents=True, exist_ok=True)
        s.spawn("gateway", "services.gateway")
        s.wait_ready()
        return s
    return s.start()


def new_user(base_url: str, account: str | None = None):
    """A signed-up, logged-in client (its `.email` set), with this sandbox account connected."""
    from services.cli.client import LikelyClient

    client = LikelyClient(base_url, timeout=60)
    client.email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    client.sign_up(client.email, PASSWORD)
    client.log_in(client.email, PASSWORD)
    if account:
        client.connect_instagram(account)
    return client


def finished_run(mongo, progress, user_id: str) -> str:
    """A run of this user, over (done): what a status benchmark reads for a finished run."""
    from shared import runs
    from tests.support.runs import live_run

    run_id = live_run(mongo, progress, user_id, total=10, counted=10)
    runs.transition(mongo, run_id, "building")  # every post counted, as the labelers leave it
    runs.finish(mongo, progress, mongo.runs.find_one({"_id": run_id}), "done")
    return run_id


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of the values, interpolated."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]
