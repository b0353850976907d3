"""deploy/amqp_probe.py, the workers' liveness and readiness probe, against the real broker."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kombu import Connection

from shared.settings import load
from tests.deploy.manifests import ROOT

PROBE = ROOT / "deploy" / "amqp_probe.py"


def probe(pid: int, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROBE), "--pid", str(pid)], capture_output=True, text=True,
                          timeout=30, env={**os.environ, **env})


def test_healthy_while_the_process_holds_a_broker_connection(services_up):
    with Connection(load().amqp_url.rsplit("/", 1)[0] + "//") as conn:
        conn.connect()
        assert probe(os.getpid()).returncode == 0
    result = probe(os.getpid())  # closed: no connection any more
    assert result.returncode == 1 and "no connection to the broker" in result.stdout


def test_another_process_connection_does_not_count(services_up):
    with Connection(load().amqp_url.rsplit("/", 1)[0] + "//") as conn:
        conn.connect()
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            assert probe(sleeper.pid).returncode == 1
        finally:
            sleeper.kill()
            sleeper.wait()


def test_the_port_comes_from_the_amqp_url(services_up):
    with Connection(load().amqp_url.rsplit("/", 1)[0] + "//") as conn:
        conn.connect()
        assert probe(os.getpid(), LIKELY_AMQP_URL="amqps://u:p@broker.example:5671//").returncode == 1
        assert probe(os.getpid(), LIKELY_AMQP_URL="amqp://u:p@broker.example:5672/x").returncode == 0


def test_a_missing_process_is_unhealthy():
    result = probe(2 ** 22 + 12345)
    assert result.returncode == 1 and "cannot read process" in result.stdout


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "not a url"])
def test_a_url_that_is_not_amqp_is_refused(url):
    sys.path.insert(0, str(PROBE.parent))
    import amqp_probe

    with pytest.raises(ValueError):
        amqp_probe.broker_port(url)
