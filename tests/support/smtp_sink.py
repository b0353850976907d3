"""A real SMTP server on loopback (aiosmtpd) that keeps every message it is sent, for the tests
to read: the gateway's smtplib talks real SMTP to it, nothing is mocked."""
from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.conftest import free_port


class SmtpSink:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler hook
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def __enter__(self) -> "SmtpSink":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    @property
    def env(self) -> dict:
        """The settings that send a gateway's mail here."""
        return {"LIKELY_SMTP_HOST": "127.0.0.1", "LIKELY_SMTP_PORT": str(self.port)}

    def to(self, address: str) -> list[EmailMessage]:
        with self._cond:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> EmailMessage:
        """The `count`-th message to `address`, once it has arrived."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := [m for m in self.messages if m["To"] == address]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no mail #{count} to {address} within {timeout} s; "
                                         f"the sink has {len(self.messages)} messages")
                self._cond.wait(left)
            return found[count - 1]


def link_in(msg: EmailMessage) -> str:
    """The verification link of a mail the gateway sent."""
    found = re.search(r"https?://\S+/verify-email\?token=[\w-]+", msg.get_content())
    assert found, msg.get_content()
    return found.group(0)
