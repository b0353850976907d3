"""The whole Likely stack for end-to-end tests: the Instagram sandbox (in-process HTTP server)
and every service as its own OS process, exactly as `make up` runs them, on the test
database, Redis database and RabbitMQ virtual host."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


class Stack:
    def __init__(self, *, amqp_url: str, sandbox_url: str, gateway_port: int, log_dir: Path, labelers: int = 2,
                 inferers: int = 1, extra_env: dict | None = None):
        self.gateway_url = f"http://127.0.0.1:{gateway_port}"
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "LIKELY_AMQP_URL": amqp_url,
            "LIKELY_GATEWAY_PORT": str(gateway_port),
            "LIKELY_PUBLIC_URL": self.gateway_url,
            "LIKELY_INSTAGRAM_AUTH_URL": sandbox_url,
            "LIKELY_INSTAGRAM_API_URL": sandbox_url,
            "LIKELY_INSTAGRAM_GRAPH_URL": sandbox_url,
            "LIKELY_INSTAGRAM_PAGE_SIZE": "10",  # the demo account then spans 7 pages
            "LIKELY_RPC_TIMEOUT": "4",  # tests of an unresponsive inferer need not wait long
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.labelers, self.inferers = labelers, inferers

    def spawn(self, name: str, module: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def start(self) -> "Stack":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.spawn("ingestor", "services.ingestor")
        self.spawn("builder", "services.builder")
        self.spawn("janitor", "services.janitor")
        for i in range(self.labelers):
            self.spawn(f"labeler-{i + 1}", "services.labeler")
        if (ROOT / "services" / "inferer" / "__main__.py").exists():
            for i in range(self.inferers):
                self.spawn(f"inferer-{i + 1}", "services.inferer")
        self.spawn("gateway", "services.gateway")
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}: {self.log(name)[-2000:]}")
            try:
                if requests.get(f"{self.gateway_url}/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("gateway not ready: " + self.log("gateway")[-2000:])

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs[name]
        os.killpg(proc.pid, sig)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def gateway_alone(*, amqp_url: str, sandbox_url: str, log_dir: Path, extra_env: dict | None = None):
    """A gateway process of its own (with settings of its own) beside a stack's workers: ready
    when yielded, stopped after."""
    from tests.conftest import free_port

    gw = Stack(amqp_url=amqp_url, sandbox_url=sandbox_url, gateway_port=free_port(), log_dir=log_dir,
               extra_env=extra_env)
    gw.log_dir.mkdir(parents=True, exist_ok=True)
    gw.spawn("gateway", "services.gateway")
    try:
        gw.wait_ready()
        yield gw
    finally:
        gw.stop()
