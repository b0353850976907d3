"""Insights through the ingestor and the builder on the real MongoDB-wire server and Redis:
read while listing, stored per post with why a metric is missing, re-read until final, fitted
beside likes; an account that did not grant them trains as before.

Instagram is a function answering as Meta documents (tests/integration/instagram holds the
contract of each shape); the broker a list of published messages. The whole flow over
RabbitMQ and the sandbox is tests/e2e/test_metrics.py.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.builder.handler import handle_build
from services.ingestor.handler import handle_train
from services.ingestor.insights import changed_since_model, read_insights
from shared import runs
from shared.broker import Delivery
from shared.contracts import BuildRequested, PostDiscovered, TrainRequested
from shared.instagram import InstagramError, Media, Throttled
from shared.model.post_metrics import predict_metrics

FIRST = Delivery(redeliveries=0, last_attempt=False)
NOW = datetime.now(timezone.utc)


def media(i: int, *, age_days: float, kind="IMAGE") -> Media:
    return Media(id=f"m{i}", media_type=kind, media_url=f"http://images.test/{i}",
                 timestamp=NOW - timedelta(days=age_days), caption=None, permalink=None, like_count=100 + 10 * i,
                 comments_count=i,
                 product_type="REELS" if kind == "VIDEO" else "FEED", thumbnail_url=None)


class Instagram:
    """Answers a post's insights as Meta documents them; `refuse` maps media ids to an error."""

    def __init__(self, refuse: dict | None = None, grow: float = 1.0):
        self.asked: list[tuple[str, tuple]] = []
        self.refuse = refuse or {}
        self.grow = grow

    def __call__(self, token: str, media_id: str, metrics: tuple) -> dict:
        self.asked.append((media_id, metrics))
        if media_id in self.refuse:
            raise self.refuse[media_id]
        i = int(media_id[1:])
        values = {"reach": int((800 + 40 * i) * self.grow), "views": 1500 + 9 * i, "saved": 3 + i % 5}
        return {"data": [{"name": n, "period": "lifetime", "values": [{"value": v}], "id": f"{media_id}/insights/{n}"}
                         for n, v in values.items() if n in metrics]}  # no shares: an empty set for it


DENIED = InstagramError("Instagram error: (#10) Application does not have permission for this action", code=10)
BEFORE = InstagramError("Instagram error: Invalid parameter", code=100, subcode=2108006)


@pytest.fixture
def user(mongo_db):
    user_id = uuid.uuid4().hex
    mongo_db.users.insert_one({"_id": user_id, "email": f"{user_id}@example.com", "active_run": None,
                               "instagram": {"token": "enc"}})
    return user_id


def stored(db, user_id) -> dict:
    return {d["media_id"]: d for d in db.post_insights.find({"user_id": user_id})}


def test_each_post_read_once_stored_with_why_a_metric_is_missing(mongo_db, user):
    items = [media(i, age_days=30 - i) for i in range(6)] + [media(6, age_days=0.2)]
    ig = Instagram(refuse={"m0": BEFORE})
    out = read_insights(mongo_db, user, "token", items, fetch=ig, now=NOW, batch=4)
    assert (out.read, out.granted) == (7, True)
    docs = stored(mongo_db, user)
    assert docs["m0"]["missing"] == {m: "too_old" for m in ("reach", "views", "saves", "shares")}
    assert docs["m1"]["values"] == {"reach": 840, "views": 1509, "saves": 4} and docs["m1"]["missing"] == {
        "shares": "no_data"} and docs["m1"]["final"]
    assert docs["m6"]["settled"] is False and not docs["m6"]["final"]
    # a second listing asks only what is not final: the young post
    ig2 = Instagram(grow=1.5)
    again = read_insights(mongo_db, user, "token", items, fetch=ig2, now=NOW, batch=4)
    assert [m for m, _ in ig2.asked] == ["m6"] and again.changed == 1
    assert stored(mongo_db, user)["m6"]["values"]["reach"] == int((800 + 240) * 1.5)


def test_the_first_permission_refusal_ends_the_asking(mongo_db, user):
    items = [media(i, age_days=10 + i) for i in range(5)]
    ig = Instagram(refuse={f"m{i}": DENIED for i in range(5)})
    out = read_insights(mongo_db, user, "token", items, fetch=ig, now=NOW)
    assert out.granted is False and len(ig.asked) == 1 and out.read == 5
    assert {r for d in stored(mongo_db, user).values() for r in d["missing"].values()} == {"not_granted"}


def test_throttling_stops_the_reading_what_is_left_is_read_next_time(mongo_db, user):
    items = [media(i, age_days=10 + i) for i in range(4)]
    ig = Instagram(refuse={"m2": Throttled("Instagram is busy", code=4)})
    out = read_insights(mongo_db, user, "token", items, fetch=ig, now=NOW, batch=10)
    assert out.read == 2 and set(stored(mongo_db, user)) == {"m0", "m1"}


def test_a_long_reading_keeps_the_run_alive_for_the_janitor(mongo_db, progress, user):
    """One paced request a post: a first reading of a large account outlasts the stall timeout.
    Each stored batch touches the run, so the janitor's clock (last_progress, which its sweep
    judges stalls by; tests/unit/janitor) starts again."""
    from services.janitor.reaper import last_progress

    run = runs.create(mongo_db, progress, user)
    beats = []

    def heartbeat():
        beats.append(progress.get(run["_id"]).touched)
        progress.touch(run["_id"])

    items = [media(i, age_days=10 + i) for i in range(5)]
    read_insights(mongo_db, user, "token", items, fetch=Instagram(), now=NOW, batch=2, heartbeat=heartbeat)
    assert len(beats) == 3  # after each of the three batches
    touched = progress.get(run["_id"]).touched
    assert touched is not None and touched > (beats[0] or 0)
    assert last_progress(mongo_db.runs.find_one({"_id": run["_id"]}), touched) == touched


def test_touch_does_not_bring_back_a_finished_run(progress):
    run_id = uuid.uuid4().hex
    progress.touch(run_id)
    assert progress.get(run_id) is None


def train(db, progress, user, items, ig, published) -> dict:
    run = runs.create(db, progress, user)
    handle_train(TrainRequested(run_id=run["_id"], user_id=user), FIRST, db=db, progress=progress,
                 list_media=lambda token: items, access_token=lambda u: "token", publish=published.append,
                 fetch_insights=ig)
    return db.runs.find_one({"_id": run["_id"]})


def label_all(db, user, msgs):
    """Store the posts as the labeler would (labels are the labeler's tests' concern)."""
    for m in msgs:
        db.posts.update_one({"user_id": user, "media_id": m.media_id}, {"$set": {
            "run_id": m.run_id, "timestamp": m.timestamp, "likes": m.likes, "comments": m.comments,
            "media_type": m.media_type, "product_type": m.product_type,
            "labels": [{"name": "Dog" if m.media_id[-1] in "02468" else "Cup", "confidence": 90.0}]}}, upsert=True)


def build(db, progress, user, run_id=None):
    if run_id:
        runs.transition(db, run_id, "building")
    msg = BuildRequested.for_run(run_id, user) if run_id else BuildRequested.rebuild(user)
    handle_build(msg, FIRST, db=db, progress=progress)
    return db.models.find_one({"user_id": user}, sort=[("version", -1)])


def test_granted_metrics_are_fitted_and_predicted_a_young_post_rebuilds_when_it_moves(mongo_db, progress, user):
    items = [media(i, age_days=40 - i) for i in range(14)] + [media(14, age_days=0.5)]
    published: list = []
    run = train(mongo_db, progress, user, items, Instagram(refuse={"m0": BEFORE}), published)
    posts = [m for m in published if isinstance(m, PostDiscovered)]
    assert run["state"] == "running" and len(posts) == 15
    label_all(mongo_db, user, posts)
    model = build(mongo_db, progress, user, run["_id"])
    m = model["metrics"]
    assert m["reach"]["available"] and m["reach"]["posts"] == 13  # m0 too old, m14 not settled
    assert m["reach"]["missing"] == {"too_old": 1, "not_settled": 1}
    assert not m["shares"]["available"] and m["shares"]["reason"] == "no_data"
    reach = predict_metrics(model, [("Dog", 90.0)])["reach"]
    assert reach["available"] and reach["value"] > 0 and reach["labels"][0]["name"] == "Dog"
    # the next training: nothing new, but the young post's counts moved: the model is rebuilt
    published.clear()
    again = train(mongo_db, progress, user, items, Instagram(grow=1.3), published)
    assert again["state"] == "done" and "insights of 1 posts changed" in again["reason"]
    assert [type(m) for m in published] == [BuildRequested] and published[0].reason == "rebuild"
    assert changed_since_model(mongo_db, user) == 1
    rebuilt = build(mongo_db, progress, user)
    assert rebuilt["version"] == model["version"] + 1 and changed_since_model(mongo_db, user) == 0


def test_an_account_that_did_not_grant_insights_trains_as_before(mongo_db, progress, user):
    items = [media(i, age_days=40 - i) for i in range(12)]
    published: list = []
    ig = Instagram(refuse={f"m{i}": DENIED for i in range(12)})
    run = train(mongo_db, progress, user, items, ig, published)
    assert run["state"] == "running" and run["total"] == 12 and len(ig.asked) == 1
    label_all(mongo_db, user, [m for m in published if isinstance(m, PostDiscovered)])
    model = build(mongo_db, progress, user, run["_id"])
    assert model["training_size"] == 12 and model["kind"] == "ridge"
    assert {e["reason"] for e in model["metrics"].values()} == {"not_granted"}
    assert "not granted" in model["metrics"]["reach"]["why"] or "did not grant" in model["metrics"]["reach"]["why"]
    # nothing new and nothing changed: done, no rebuild (as before insights)
    published.clear()
    again = train(mongo_db, progress, user, items, Instagram(refuse={f"m{i}": DENIED for i in range(12)}), published)
    assert again["state"] == "done" and again["reason"] == "No new posts: the model is up to date." and published == []
