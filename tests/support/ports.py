"""Ports for test servers that bind after the test picked them (a worker's metrics port).

`free_port()` (tests/conftest.py) hands out a port of the ephemeral range, which any outgoing
connection on the machine may take as its local port before the server binds it; these come
from below that range (Linux's default starts at 32768), where only listeners compete."""
from __future__ import annotations

import random
import socket

_given: set[int] = set()


def listen_port(low: int = 20000, high: int = 32767) -> int:
    """A port nothing listens on now, never handed out twice by this process."""
    while True:
        port = random.randint(low, high)
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
