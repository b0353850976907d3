"""Issue 10's load, shortened (bench/load.py runs it for 60 s): 200 clients polling a run's status
twice a second while the run goes on, and 20 clients predicting at once, through a gateway as
`make up` runs it (2 gunicorn workers) on the session's stack: not one error."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from sandbox.photos import NAMES, jpeg
from services.cli.client import LikelyClient
from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD
from tests.support import load
from tests.support.stack import gateway_alone

SECONDS = float(os.environ.get("LIKELY_LOAD_SECONDS", "10"))
POLLERS, PREDICTORS, SESSIONS = 200, 20, 40


@pytest.fixture(scope="module")
def gateway(stack, tmp_root):
    """A gateway of its own on the session's workers: 200 log-ins into one account (the per-account
    limit raised), and the production RPC timeout (the stack's is short for other tests)."""
    with gateway_alone(amqp_url=stack.env["LIKELY_AMQP_URL"], sandbox_url=stack.env["LIKELY_INSTAGRAM_AUTH_URL"],
                       log_dir=Path(tmp_root) / f"logs-load-{uuid.uuid4().hex[:6]}",
                       extra_env={"LIKELY_LOGIN_LIMIT_ACCOUNT": "100000 per minute", "LIKELY_RPC_TIMEOUT": "15"}) as gw:
        yield gw


def account(base_url: str, instagram: str) -> LikelyClient:
    client = LikelyClient(base_url, timeout=60)
    client.email = new_email()
    client.sign_up(client.email, PASSWORD)
    client.log_in(client.email, PASSWORD)
    client.connect_instagram(instagram)
    return client


def test_pollers_and_predictions_while_a_run_goes_on_without_an_error(gateway, sandbox):
    from sandbox.instagram.testing import sample_account

    predicting = account(gateway.gateway_url, "bob")
    assert predicting.wait_for_run(predicting.train()["run_id"], timeout=240)["state"] == "done"
    name = f"load{uuid.uuid4().hex[:6]}"
    sample_account(sandbox.accounts_dir, name, n_posts=400, carousel=False, video=False)
    training = account(gateway.gateway_url, name)
    # 40 sessions, 5 clients each (tabs): 200 argon2 log-ins would take minutes on a busy machine
    tokens = load.sessions(gateway.gateway_url, training.email, PASSWORD, SESSIONS) * (POLLERS // SESSIONS)
    run_id = training.train()["run_id"]
    assert training.run(run_id)["state"] in ("listing", "running")  # it goes on while the load runs
    figures = load.run(gateway.gateway_url, poll_tokens=tokens, predict_token=predicting.token,
                       photos=[(f"{n}.jpg", jpeg(n)) for n in NAMES[:4]], predictors=PREDICTORS, duration=SECONDS)
    print(json.dumps(figures))
    assert figures["polls"]["errors"] == 0, figures["polls"]
    # a few polls sent again on a new connection (a kept-alive one closed as it was reused), never many
    assert figures["polls"]["reconnected"] <= 0.02 * figures["polls"]["requests"], figures["polls"]
    assert figures["predictions"]["errors"] == 0, figures["predictions"]
    assert figures["polls"]["requests"] >= POLLERS  # every client polled (at most 2 a second each)
    assert figures["polls"]["requests"] <= POLLERS * 2 * (SECONDS + 1)
    assert figures["predictions"]["requests"] >= PREDICTORS
    assert figures["run_last_seen"]["run_id"] == run_id
