"""The run status route checks its session in the same Redis round trip as its status reads
(`services.gateway.accounts.sessions` `lookup_along`): revocation is still immediate there, on every
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


def test_the_status_is_revalidated_by_its_etag_until_the_run_moves(client, stack, mongo_db, progress):
    """200 with an ETag; the same ETag (strong, weak or `*`) gets 304 with no body and the same
    caching headers; another ETag gets the status; a counted post changes the ETag."""
    import requests

    from shared import runs
    from tests.support.runs import live_run

    user_id = client.request("GET", "/api/v1/me")["user_id"]
    run_id = live_run(mongo_db, progress, user_id, total=40, counted=10)
    auth = {"Authorization": f"Bearer {client.token}"}

    def get(**headers):
        return requests.get(stack.gateway_url + CURRENT, headers={**auth, **headers}, timeout=30)

    try:
        _revalidate(get, run_id, progress)
    finally:  # no run is left live for the janitor's sweeps of later tests
        runs.finish(mongo_db, progress, mongo_db.runs.find_one({"_id": run_id}), "cancelled", reason="test over")


def _revalidate(get, run_id, progress):
    from tests.support.runs import count

    first = get()
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.json()["run_id"] == run_id and first.json()["done"] == 8
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Cache-Control"] == "no-cache, private" and "Authorization" in first.headers["Vary"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = get(**{"If-None-Match": sent})
        assert again.status_code == 304 and again.content == b"", sent
        assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "no-cache, private"
    assert get(**{"If-None-Match": '"not-it"'}).status_code == 200
    count(progress, run_id, 11)  # a post not counted before, done
    moved = get(**{"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag and moved.json()["done"] == 9
