"""Training end to end: gateway → ingestor → labelers → builder, over RabbitMQ, Redis and
MongoDB, with the real offline labeler and the Instagram sandbox."""
from __future__ import annotations

import time
from collections import defaultdict

import pytest

from sandbox.instagram.testing import trainable_posts
from services.cli.client import ApiError
from shared.model.caption import caption_features


def image_posts(sandbox, account: str) -> list[dict]:
    return trainable_posts(sandbox.accounts_dir, account)


def label_mean_by_the_report(posts: list[dict]) -> dict:
    """The report's per-label mean likes, over each post's labels and its caption's hashtags
    ('#name': features beside the labels since issue 20)."""
    sums = defaultdict(lambda: [0, 0])
    for p in posts:
        for name in {lab["name"] for lab in p["labels"]} | set(caption_features(p.get("caption")).hashtags):
            sums[name][0] += p["likes"]
            sums[name][1] += 1
    return {name: total / n for name, (total, n) in sums.items()}


def test_full_run_over_the_demo_account(make_client, sandbox, mongo_db):
    client = make_client("demo")
    assert client.instagram() == {**client.instagram(), "connected": True, "valid": True, "username": "likely.demo"}
    started = client.train()
    assert started["state"] == "listing"
    seen = []
    status = client.wait_for_run(started["run_id"], timeout=240, on_progress=seen.append)
    expected = image_posts(sandbox, "demo")
    assert status["state"] == "done", status
    assert status["total"] == len(expected) >= 60
    assert status["done"] + status["failed"] == status["total"] and status["failed"] == 0
    assert any(s["state"] == "running" and 0 < s["done"] < s["total"] for s in seen) or len(seen) < 3

    model = client.model(coefficients=True)
    assert model["posts"] == len(expected) and model["version"] == 1
    assert model["likes_hidden"] == status["likes_hidden"] == 2  # the demo's posts with hidden likes: left out
    stored = list(mongo_db.posts.find({"run_id": started["run_id"]}))
    assert len(stored) == len(expected)
    assert sum(p["product_type"] == "REELS" for p in stored) == 6  # reels, labelled from their thumbnails
    assert all(p["labeler"].startswith("offline-") for p in stored)
    names = {lab["name"] for p in stored for lab in p["labels"]}
    assert {"Cat", "Person", "Coffee"} <= names  # what drives the demo account's likes is seen
    expected_coef = label_mean_by_the_report(stored)
    got = {name: c["likes"] for name, c in model["coefficients"].items()}
    assert got.keys() == expected_coef.keys()
    for name, value in expected_coef.items():
        assert got[name] == pytest.approx(value), name


def test_second_start_during_a_run_is_409_with_the_running_id(make_client, sandbox):
    client = make_client("alice")
    sandbox.fault("alice", [p["id"] for p in image_posts(sandbox, "alice")], mode="slow", seconds=1)
    try:
        first = client.train()
        with pytest.raises(ApiError) as err:
            client.train()
        assert err.value.status == 409 and err.value.body["error"]["run_id"] == first["run_id"]
        assert client.cancel(first["run_id"])["state"] == "cancelled"
    finally:
        sandbox.clear_faults("alice")


def test_cancel_mid_run_builds_no_model_and_drains_the_queue(make_client, sandbox, mongo_db):
    client = make_client("bob")
    sandbox.fault("bob", [p["id"] for p in image_posts(sandbox, "bob")], mode="slow", seconds=0.7)
    try:
        run = client.train()
        deadline = time.monotonic() + 30
        while client.run(run["run_id"])["state"] != "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.cancel(run["run_id"]) == {"run_id": run["run_id"], "state": "cancelled"}
        with pytest.raises(ApiError) as again:
            client.cancel(run["run_id"])
        assert again.value.status == 409
    finally:
        sandbox.clear_faults("bob")
    time.sleep(3)  # anything still queued is acked without work
    status = client.run(run["run_id"])
    assert status["state"] == "cancelled" and status["done"] < status["total"]
    with pytest.raises(ApiError) as no_model:
        client.model()
    assert no_model.value.code == "model_not_trained"
    assert mongo_db.runs.find_one({"_id": run["run_id"]})["state"] == "cancelled"
    # Posts stored before the cancel took effect stay; the next run does only the rest.
    stored = mongo_db.posts.count_documents({"run_id": run["run_id"]})
    assert stored < len(image_posts(sandbox, "bob"))
    rerun = client.wait_for_run(client.train()["run_id"], timeout=120)
    assert rerun["state"] == "done" and rerun["total"] == len(image_posts(sandbox, "bob")) - stored
    assert client.model()["posts"] == len(image_posts(sandbox, "bob"))


def test_broken_and_missing_images_count_as_failed_and_the_run_finishes(make_client, sandbox):
    client = make_client("carol")
    posts = image_posts(sandbox, "carol")
    sandbox.fault("carol", [posts[0]["id"]], mode="broken")
    sandbox.fault("carol", [posts[1]["id"]], mode="404")
    try:
        status = client.wait_for_run(client.train()["run_id"], timeout=120)
    finally:
        sandbox.clear_faults("carol")
    assert status["state"] == "done"
    assert (status["done"], status["failed"]) == (len(posts) - 2, 2)
    assert client.model()["posts"] == len(posts) - 2


def test_retrain_labels_only_new_posts_and_the_model_covers_all(make_client, sandbox):
    client = make_client("dave")
    posts = image_posts(sandbox, "dave")
    first = client.wait_for_run(client.train()["run_id"], timeout=120)
    assert first["total"] == len(posts)
    sandbox.add_post("dave", like_count=500, comments_count=9, copy_of=posts[0]["id"])
    second = client.wait_for_run(client.train()["run_id"], timeout=120)
    assert (second["state"], second["total"], second["done"]) == ("done", 1, 1)
    model = client.model()
    assert model["version"] == 2 and model["posts"] == len(posts) + 1


def test_throttling_is_retried_then_succeeds(make_client, sandbox):
    client = make_client("erin")
    sandbox.throttle("erin", count=2, code=4)
    status = client.wait_for_run(client.train()["run_id"], timeout=120)
    assert status["state"] == "done" and status["total"] == len(image_posts(sandbox, "erin"))


def test_a_rejected_token_fails_the_run_with_a_reason(make_client, sandbox):
    client = make_client("frank")
    sandbox.reject("frank")
    try:
        status = client.wait_for_run(client.train()["run_id"], timeout=60)
        assert status["state"] == "failed" and "Reconnect Instagram" in status["reason"]
        assert client.instagram()["valid"] is False
    finally:
        sandbox.unreject("frank")


def test_journey_with_the_other_known_shapes_hidden_likes_and_usage_headers(make_client, sandbox):
    """The same journey when Instagram answers flat (user_id a number, permissions a list, /me
    flat) rather than as documented, and reports 90% of its quota used."""
    from sandbox.instagram.testing import sample_account

    sample_account(sandbox.accounts_dir, "kim", n_posts=6)
    sandbox.add_post("kim", like_count=None, comments_count=1, copy_of=image_posts(sandbox, "kim")[0]["id"])
    sandbox.shapes(token="flat", user_id="number", permissions="list", me="flat")
    sandbox.usage("kim", app={"call_count": 90, "total_time": 40, "total_cputime": 40})
    try:
        client = make_client("kim")
        assert client.instagram()["username"] == sandbox.state("kim")["username"]
        status = client.wait_for_run(client.train()["run_id"], timeout=120)
    finally:
        sandbox.shapes()
        sandbox.usage("kim")
    assert status["state"] == "done" and status["total"] == len(image_posts(sandbox, "kim")) == 6
    assert status["likes_hidden"] == 1 and client.model()["likes_hidden"] == 1
