"""Fixtures of the operators' tests (test_admin.py, test_cli.py): a second gateway process on the
session's stack (same broker, Redis, database, workers) with LIKELY_ADMIN_EMAILS naming one
address, whose mail goes to a real SMTP sink on loopback; that address signed up and verified
through the mailed link. Import the fixtures into a test module."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from services.cli.client import LikelyClient
from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD
from tests.support.smtp_sink import SmtpSink, link_in
from tests.support.stack import gateway_alone


@pytest.fixture(scope="module")
def sink():
    with SmtpSink() as s:
        yield s


@pytest.fixture(scope="module")
def admin_gateway(stack, sink, tmp_root):
    email = new_email()
    with gateway_alone(
        amqp_url=stack.env["LIKELY_AMQP_URL"],
        sandbox_url=stack.env["LIKELY_INSTAGRAM_AUTH_URL"],
        log_dir=Path(tmp_root) / f"logs-admin-{uuid.uuid4().hex[:6]}",
        extra_env={"LIKELY_ADMIN_EMAILS": f"someone-else@example.com, {email.upper()}", **sink.env},
    ) as gw:
        gw.admin_email = email
        yield gw


@pytest.fixture(scope="module")
def admin(admin_gateway, sink) -> LikelyClient:
    """The admin account, logged in; its address verified through the mailed link (until then the
    listed address grants nothing: 403)."""
    import requests

    from services.cli.client import ApiError

    client = LikelyClient(admin_gateway.gateway_url)
    client.email = admin_gateway.admin_email
    client.sign_up(client.email, PASSWORD)
    client.log_in(client.email, PASSWORD)
    with pytest.raises(ApiError) as refused:
        client.admin_overview()
    assert refused.value.status == 403
    link = link_in(sink.wait_for(client.email))
    token = link.split("token=", 1)[1]
    assert requests.post(link.split("?", 1)[0], data={"token": token}, timeout=30).status_code == 200
    return client


def eventually(check, timeout: float = 90.0, what: str = "it"):
    """check()'s first truthy answer, asked every 0.3 s (the broker's statistics lag ~5 s)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen in {timeout}s; last: {last!r}")


def dead_letter(stack, msg, queue, reason: str) -> str:
    """Put `msg` in `<queue>.dead` as a worker dead-letters a message (its reason and queue in the
    headers, published to the dead-letter exchange); the stack's janitor records it. Returns the id
    the janitor gives it."""
    from shared import broker
    from shared.broker import topology
    from shared.settings import load

    settings = load().model_copy(update={"amqp_url": stack.env["LIKELY_AMQP_URL"]})
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    try:
        pub.publish_raw(msg.body(), exchange=topology.DLX.name, routing_key=queue.name, type=msg.TYPE,
                        message_id=msg.message_id,
                        headers={broker.ERROR_HEADER: reason, broker.QUEUE_HEADER: queue.name})
    finally:
        pub.close()
    return f"{queue.name}:{msg.message_id}"


__all__ = ["sink", "admin_gateway", "admin", "eventually", "dead_letter"]
