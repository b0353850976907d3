"""Liveness and readiness of a worker that serves no HTTP port (yet): does the worker
process hold an established TCP connection to the broker's port?

    python deploy/amqp_probe.py [--pid 1]      exit 0: yes; exit 1: no (the reason printed)

A worker consumes over one long-lived AMQP connection and reconnects by itself after a
broker restart; one that has held no connection for several probe periods in a row is
stuck, and restarting it is the cure. Read from /proc (Linux): the process's socket
inodes, matched against the TCP tables of its network namespace. The broker's port comes
from LIKELY_AMQP_URL (shared/settings.py). Used by deploy/k8s (exec probes) and
docker-compose.yml (healthchecks) until the workers serve /healthz on a metrics port.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ESTABLISHED = "01"  # the `st` column of /proc/net/tcp


def broker_port(amqp_url: str) -> int:
    parts = urlsplit(amqp_url)
    if parts.scheme not in ("amqp", "amqps", "pyamqp"):
        raise ValueError(f"not an AMQP URL: {parts.scheme}://…")
    return parts.port or (5671 if parts.scheme == "amqps" else 5672)


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def established_to(pid: int, port: int) -> int:
    """How many of `pid`'s sockets are established TCP connections to remote `port`."""
    mine = socket_inodes(pid)
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            cols = line.split()
            remote_port = int(cols[2].rsplit(":", 1)[1], 16)
            if remote_port == port and cols[3] == ESTABLISHED and cols[9] in mine:
                count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pid", type=int, default=1, help="the worker process (default 1: the container's)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from shared.settings import load

    port = broker_port(load().amqp_url)
    try:
        n = established_to(args.pid, port)
    except (FileNotFoundError, PermissionError) as exc:
        print(f"cannot read process {args.pid}: {exc}")
        return 1
    if n == 0:
        print(f"process {args.pid} holds no connection to the broker (port {port})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
