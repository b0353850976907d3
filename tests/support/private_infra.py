"""Private RabbitMQ, Redis and MongoDB-wire servers on ports of their own, for the chaos tests.

RabbitMQ, Redis and the MongoDB-wire server on 5672/6379/27017 are shared with other test runs
on the machine: stopping them would break those. These instances belong to one test session,
so the chaos tests can stop, restart and flush them freely.
"""
from __future__ import annotations

import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.infra import _port_open as port_open


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_ports(n: int, start: int = 5700, stop: int = 6700) -> list[int]:
    """Free ports below the kernel's ephemeral range (32768+, where an outgoing connection may
    hold a port and make the broker's listener fail to bind), picked at random: another
    session's server that is stopped for a while must not find its port taken by ours."""
    candidates = list(range(start, stop))
    random.shuffle(candidates)
    return [p for p in candidates if port_free(p)][:n]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")


class ProcessServer:
    """A server run as a child process; `stop()` ends it, `start()` runs it again (same data)."""

    def __init__(self, name: str, port: int, log: Path):
        self.name, self.port, self.log = name, port, log
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: port_open(self.port), 30, f"{self.name} listening on {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        wait_until(lambda: not port_open(self.port), 10, f"{self.name} closing {self.port}")


class Redis(ProcessServer):
    def command(self):
        return ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class MongoWire(ProcessServer):
    """SecantusDB (the project's MongoDB-wire server) keeping its data in `data_dir` across restarts."""

    def __init__(self, name, port, log, data_dir: Path):
        super().__init__(name, port, log)
        self.data_dir = data_dir

    def command(self):
        exe = Path(sys.executable).with_name("secantusd-py")
        # test commands on: the chaos tests arm failpoints (configureFailPoint) on this private server
        return [str(exe), "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.data_dir),
                "--enable-test-commands"]

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?retryWrites=false"


class RabbitNode:
    """A second RabbitMQ node of the machine's installation (its own name, ports and data)."""

    def __init__(self, name: str, port: int, dist_port: int, base: Path):
        self.node, self.port, self.base = f"{name}@localhost", port, base
        (base / "log").mkdir(parents=True, exist_ok=True)
        (base / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users = none\n")
        (base / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:  # rabbitmq-server drops to the rabbitmq user: let it write here
            user = pwd.getpwnam("rabbitmq")
            for path in [base, *base.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)
        self.env = {
            **os.environ, "RABBITMQ_NODENAME": self.node, "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"), "RABBITMQ_PID_FILE": str(base / "pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def ctl(self, *args: str, timeout: float = 60) -> str:
        out = subprocess.run(["rabbitmqctl", "-n", self.node, *args], env=self.env, capture_output=True, text=True,
                             timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {out.stderr.strip()[-500:]}")
        return out.stdout

    def start(self) -> None:
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, capture_output=True)
        wait_until(lambda: port_open(self.port), 90, f"RabbitMQ node {self.node} listening on {self.port}")
        self.ctl("await_startup")  # the node listening is ours (not another session's on a reused port)

    def stop(self) -> None:
        try:
            self.ctl("stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        wait_until(lambda: not port_open(self.port), 30, f"RabbitMQ node {self.node} closing {self.port}")

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        wait_until(lambda: port_open(self.port), 60, f"RabbitMQ node {self.node} listening again")

    def queues(self) -> dict[str, tuple[int, int]]:
        """{queue: (ready, unacked)}."""
        out = self.ctl("list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged")
        rows = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1].isdigit():
                rows[parts[0]] = (int(parts[1]), int(parts[2]))
        return rows


class PrivateInfra:
    """Redis, the MongoDB-wire server and a RabbitMQ node of our own; `close()` removes them."""

    def __init__(self, session: str):
        self.root = Path(tempfile.mkdtemp(prefix="likely-chaos-"))
        os.chmod(self.root, 0o755)
        rabbit_port, dist_port, redis_port, mongo_port = free_ports(4)
        self.redis = Redis("redis", redis_port, self.root / "redis.log")
        (self.root / "mongo").mkdir()
        self.mongo = MongoWire("mongo", mongo_port, self.root / "mongo.log", self.root / "mongo")
        self.rabbit = RabbitNode(f"likely-chaos-{session}", rabbit_port, dist_port, self.root / "rabbit")

    def start(self) -> "PrivateInfra":
        self.redis.start()
        self.mongo.start()
        self.rabbit.start()
        return self

    def close(self) -> None:
        for server in (self.rabbit, self.mongo, self.redis):
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass
        shutil.rmtree(self.root, ignore_errors=True)
