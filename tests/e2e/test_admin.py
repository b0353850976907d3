"""The operators' API (`services.gateway.admin.routes`) against the real stack: who may use it, a live
run with its rate and ETA, the broker's real queue depths and labelers, and a dead letter replayed
and handled by its worker."""
from __future__ import annotations

import pytest
import requests

from services.cli.client import ApiError, LikelyClient
from shared.broker import topology
from shared.contracts import BuildRequested
from tests.conftest import new_email
from tests.e2e.admin_fixtures import admin, admin_gateway, dead_letter, eventually, sink  # noqa: F401
from tests.e2e.conftest import PASSWORD
from tests.support.runs import live_run

ROUTES = [("GET", "/api/v1/admin/overview", None), ("GET", "/api/v1/admin/dead-letters", None),
          ("POST", "/api/v1/admin/dead-letters/replay", {"all": True})]


def test_only_a_listed_verified_account_may_use_it(admin, admin_gateway):  # noqa: F811
    other = LikelyClient(admin_gateway.gateway_url)
    email = new_email()
    other.sign_up(email, PASSWORD)
    other.log_in(email, PASSWORD)
    for method, path, body in ROUTES:
        assert requests.request(method, admin_gateway.gateway_url + path, json=body, timeout=30).status_code == 401
        with pytest.raises(ApiError) as refused:
            other.request(method, path, json=body)
        assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert admin.admin_overview()["runs"] is not None


def test_the_admin_sees_a_live_run_with_its_rate_and_eta(admin, client, mongo_db, progress):  # noqa: F811
    user_id = client.request("GET", "/api/v1/me")["user_id"]
    run_id = live_run(mongo_db, progress, user_id, total=50, counted=20, pause=0.02)
    row = next(r for r in admin.admin_overview()["runs"] if r["run_id"] == run_id)
    assert (row["state"], row["done"], row["failed"], row["total"], row["email"]) == (
        "running",
        16,
        4,
        50,
        client.email,
    )
    # posts/s: the posts counted over the time from the move to `running` to the last count
    since = mongo_db.runs.find_one({"_id": run_id})["updated_at"].timestamp()
    rate = 20 / (progress.get(run_id).touched - since)
    assert row["posts_per_s"] == pytest.approx(rate, abs=0.006)  # rounded to 0.01 post/s
    assert row["eta_s"] == pytest.approx(30 / rate, abs=0.051)  # to 0.1 s
    client.cancel(run_id)
    assert run_id not in {r["run_id"] for r in admin.admin_overview()["runs"]}


def test_the_admin_sees_the_brokers_queue_depths_and_labelers(admin, stack):  # noqa: F811
    from kombu import Connection, Producer

    builds = topology.retry_queues(topology.BUILDER_BUILD)[-1]  # nobody consumes a retry queue
    with Connection(stack.env["LIKELY_AMQP_URL"]) as conn:
        waiting = builds(conn.channel())
        waiting.declare()
        try:
            producer = Producer(conn.channel())
            for _ in range(3):  # builds waiting for their next try (never for a real user)
                producer.publish(BuildRequested(user_id="nobody").body(), routing_key=builds.name,
                                 type=BuildRequested.TYPE)

            def seen():
                o = admin.admin_overview()
                row = next(q for q in o["queues"] or [] if q["queue"] == "builder.build")
                return o if row["retrying"] == 3 else None

            overview = eventually(seen, what="3 builds waiting in builder.build's retry queue")
            assert waiting.queue_declare(passive=True).message_count == 3  # what the broker says itself
            assert overview["labelers"] == 2 == stack.labelers
            assert {q["queue"] for q in overview["queues"]} == {q.name for q in topology.WORK_QUEUES}
            assert next(q for q in overview["queues"] if q["queue"] == "labeler.posts")["consumers"] == 2
        finally:
            waiting.purge()


def test_a_dead_letter_replayed_is_handled_once(admin, make_client, stack, mongo_db):  # noqa: F811
    user = make_client("alice")
    user.wait_for_run(user.train()["run_id"], timeout=240)
    user_id = user.request("GET", "/api/v1/me")["user_id"]
    assert mongo_db.models.count_documents({"user_id": user_id}) == 1
    msg = BuildRequested(user_id=user_id, reason="rebuild")
    dl_id = dead_letter(stack, msg, topology.BUILDER_BUILD, "the builder could not reach MongoDB (test)")

    def listed():
        return next((d for d in admin.dead_letters(500)["dead_letters"] if d["id"] == dl_id), None)

    row = eventually(listed, what="the janitor recording the dead letter")
    assert (row["queue"], row["type"], row["replayable"], row["replays"]) == ("builder.build", msg.TYPE, True, 0)
    assert "could not reach MongoDB" in row["reason"]
    assert admin.admin_overview()["dead_letters"]["waiting"] >= 1
    assert admin.replay_dead_letters([dl_id]) == {"replayed": [dl_id], "skipped": []}
    model = eventually(lambda: mongo_db.models.find_one({"source": msg.message_id}), what="the replayed build")
    assert model["user_id"] == user_id and model["version"] == 2
    with pytest.raises(ApiError) as again:  # each death is replayed once
        admin.replay_dead_letters([dl_id])
    assert (again.value.status, again.value.code) == (409, "already_replayed")
    row = listed()
    assert (row["replays"], row["replayable"]) == (1, False)
    assert mongo_db.models.count_documents({"user_id": user_id}) == 2
