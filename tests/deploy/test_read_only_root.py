"""What the pods promise, run for real: every long-running service starts and serves with the
root filesystem read-only and only a /tmp and <data dir>/run writable (the emptyDirs of
deploy/k8s; HOME is that /tmp, as in the Dockerfile), passes its probe (the gateway's /readyz, each
worker's /healthz on a metrics port of its own), and leaves on SIGTERM well
within the grace period its Deployment gives it. Each service runs in a private mount
namespace (unshare), against the real broker, Redis and MongoDB-wire server."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shared.settings import load
from tests.conftest import free_port
from tests.deploy.manifests import ROOT, long_running_services, of_kind, render
from tests.support.ports import listen_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                       reason="a private mount namespace needs root and unshare"),
]

# Everything read-only (/, and the checkout, which may be a mount of its own) but a scratch
# directory standing for the pod's /tmp (HOME and TMPDIR) and a tmpfs on the data dir's run/:
# the two emptyDirs. Then the service. (Not a tmpfs over /tmp: the checkout may live there.)
READ_ONLY = ('mount --bind "$SCRATCH" "$SCRATCH" && mount --bind "$REPO" "$REPO" && mount -o remount,bind,ro / '
             '&& mount -o remount,bind,ro "$REPO" && mount -t tmpfs tmpfs "$RUN_DIR" && exec "$@"')
WRITE_ERRORS = ("Read-only file system", "Errno 30", "PermissionError", "Permission denied")


def answers(url: str) -> bool:
    """The probe of deploy/k8s, over HTTP: 200 (a worker's /healthz: its consumer is connected)."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:  # not listening yet, or busy starting
        return False


def test_every_service_runs_on_a_read_only_root_and_stops_on_sigterm(vhost, tmp_path):
    assert "HOME=/tmp" in (ROOT / "Dockerfile").read_text()  # as here: gunicorn and onnxruntime write there
    run_dir = Path(load().data_dir) / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "LIKELY_AMQP_URL": vhost, "LIKELY_GATEWAY_PORT": str(port), "HOME": str(scratch),
           "TMPDIR": str(scratch), "SCRATCH": str(scratch), "REPO": str(ROOT), "RUN_DIR": str(run_dir),
           "PYTHONUNBUFFERED": "1"}
    grace = {n: d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
             for n, d in of_kind(render("production"), "Deployment").items()}
    procs: dict[str, subprocess.Popen] = {}
    health = {"gateway": f"http://127.0.0.1:{port}/readyz"}
    try:
        for name in long_running_services():
            log = open(tmp_path / f"{name}.log", "wb")  # opened here, outside the namespace
            metrics_port = 0 if name == "gateway" else listen_port()  # each worker its own, as on one host
            health.setdefault(name, f"http://127.0.0.1:{metrics_port}/healthz")
            procs[name] = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", READ_ONLY, "sh",
                 sys.executable, "-m", f"services.{name}"],
                cwd=ROOT, env={**env, "LIKELY_METRICS_PORT": str(metrics_port)}, stdout=log, stderr=subprocess.STDOUT)
        waiting, deadline = set(procs), time.monotonic() + 90
        while waiting and time.monotonic() < deadline:
            for name in sorted(waiting):
                proc = procs[name]
                assert proc.poll() is None, f"{name} died: {(tmp_path / f'{name}.log').read_text()[-2000:]}"
                if answers(health[name]):
                    waiting.discard(name)
            time.sleep(0.5)
        assert not waiting, f"not ready within 90 s: {sorted(waiting)}"
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        for name, proc in procs.items():
            proc.wait(timeout=grace[name])
            took = time.monotonic() - started
            assert took < grace[name] / 2, f"{name} took {took:.1f} s to stop (grace {grace[name]} s)"
        for name in procs:
            log = (tmp_path / f"{name}.log").read_text()
            assert not [e for e in WRITE_ERRORS if e in log], f"{name} tried to write: {log[-2000:]}"
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
