"""Heartbeats on a consumer's connection while a long handler runs."""
from __future__ import annotations

import threading
import time

from kombu import Connection


class keep_alive:  # noqa: N801 - used as a context manager
    """Send heartbeats on `connection` from a thread while a handler runs (kombu's ConsumerMixin
    only sends them between deliveries, so a handler longer than two heartbeats would lose the
    connection and get its message delivered again). The handler must not use this connection."""

    def __init__(self, connection: Connection | None, heartbeat: float):
        self.connection, self.interval = connection, max(heartbeat / 3, 0.5) if heartbeat else 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _beat(self) -> None:
        assert self.connection is not None  # started only with one
        transport = self.connection.connection
        while not self._stop.wait(self.interval):
            try:
                transport.send_heartbeat()
                # What the broker sent meanwhile waits unread in the socket: we are alive, not it
                # missing; don't let the first check after a long handler take it for dead.
                transport.last_heartbeat_received = time.monotonic()
            except Exception:  # noqa: BLE001 - the connection is gone: the consumer loop will see it
                return

    def __enter__(self):
        if self.interval and self.connection is not None and self.connection.connected:
            self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return False
