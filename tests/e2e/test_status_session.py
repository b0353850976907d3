"""The run status route checks its session in the same Redis round trip as its status reads
(services/gateway/sessions.py `lookup_along`): revocation is still immediate there, on every
gunicorn worker, once each worker has seen the token (and so reads along with the check)."""
from __future__ import annotations

from tests.e2e.test_session_cache import TRIES, statuses

CURRENT = "/api/v1/training-runs/current"


def test_logging_out_refuses_the_token_on_the_status_route_at_once(client, stack):
    assert statuses(stack, client.token, CURRENT) == [404] * TRIES  # valid, never trained
    token = client.token
    client.log_out()
    assert statuses(stack, token, CURRENT) == [401] * TRIES


def test_a_token_of_another_user_never_reads_the_first_users_status(make_client, stack):
    first, second = make_client(), make_client()
    assert statuses(stack, first.token, CURRENT) == [404] * TRIES
    assert statuses(stack, second.token, CURRENT) == [404] * TRIES
    first.request("DELETE", "/api/v1/users/me")
    assert statuses(stack, first.token, CURRENT) == [401] * TRIES
    assert statuses(stack, second.token, CURRENT) == [404] * TRIES
