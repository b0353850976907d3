"""The ingestor, labeler and builder handlers on the real MongoDB-wire server and Redis.

The broker is replaced by a list of published messages and Instagram by a list of media:
the handlers take them as collaborators. (The whole flow over RabbitMQ, with the real
labeler and the Instagram sandbox, is tests/e2e.)
"""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from services.builder.handler import handle_build, labelled_posts, to_training
from services.ingestor.handler import handle_train
from services.labeler.download import DownloadFailed
from services.labeler.handler import handle_post
from shared import runs
from shared.broker import Delivery, Retry
from shared.contracts import BuildRequested, PostDiscovered, TrainRequested
from shared.instagram import Media, Throttled, TokenRejected
from shared.labeling import ImageLimits, Label, LabelResult
from shared.model import predict
from shared.progress import run_key, seen_key
from shared.storage import LocalImageStore

FIRST = Delivery(redeliveries=0, last_attempt=False)
LAST = Delivery(redeliveries=5, last_attempt=True)
LIMITS = ImageLimits(max_bytes=10 * 2**20, max_pixels=40_000_000)
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def jpeg(color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buf, "JPEG")
    return buf.getvalue()


# Each media's image is a flat colour; the stand-in labeler names the colour: a deterministic
# vocabulary lets the tests check the model against the report's formula.
COLORS = {"red": (200, 10, 10), "green": (10, 200, 10), "blue": (10, 10, 200)}


class ColourLabeler:
    id = "test-colour@1"

    def label(self, data: bytes) -> LabelResult:
        r, g, b = Image.open(io.BytesIO(data)).convert("RGB").getpixel((5, 5))
        name = max(zip((r, g, b), ("Red", "Green", "Blue"), strict=True))[1]
        return LabelResult(self.id, (Label(name, 90.0, ("Colour",)), Label("Colour", 90.0)))


def media(i: int, colour: str, likes: int | None, kind="IMAGE", thumbnail=True) -> Media:
    """A post; a VIDEO's media_url is a video file, its thumbnail (if any) the coloured image."""
    image = f"http://images.test/{colour}/{i}"
    video = kind == "VIDEO"
    return Media(id=f"m{i}", media_type=kind, media_url=image + ".mp4" if video else image,
                 timestamp=T0 + timedelta(days=i), caption=f"post {i}", permalink=None,
                 like_count=likes, comments_count=(likes or 0) // 10,
                 thumbnail_url=image if video and thumbnail else None,
                 product_type="REELS" if video else "FEED")


def fetch(url: str) -> bytes:
    colour = url.split("/")[3]
    if colour == "missing":
        raise DownloadFailed("image not available (HTTP 404)", permanent=True)
    if colour == "garbage":
        return b"this is not an image"
    return jpeg(COLORS[colour])


@pytest.fixture
def world(mongo_db, progress, tmp_path):
    """A user with an Instagram connection, and the collaborators of every handler."""
    user_id = uuid.uuid4().hex
    mongo_db.users.insert_one({"_id": user_id, "email": f"{user_id}@example.com", "active_run": None,
                               "instagram": {"token": "enc"}})
    published: list = []

    class World:
        db, user = mongo_db, user_id
        store = LocalImageStore(tmp_path)
        labeler = ColourLabeler()
        sent = published

        def __init__(self):
            self.progress = progress

        def start_run(self, items, **kw) -> dict:
            run = runs.create(mongo_db, progress, user_id)
            handle_train(TrainRequested(run_id=run["_id"], user_id=user_id), kw.get("delivery", FIRST),
                         db=mongo_db, progress=progress, list_media=kw.get("list_media", lambda token: items),
                         access_token=lambda user: "token", publish=published.append)
            return mongo_db.runs.find_one({"_id": run["_id"]})

        def label(self, msg, delivery=FIRST) -> str:
            return handle_post(msg, delivery, db=mongo_db, progress=progress, store=self.store,
                               labeler=self.labeler, fetch=fetch, publish=published.append,
                               limits=LIMITS)

        def posts_sent(self):
            return [m for m in published if isinstance(m, PostDiscovered)]

        def builds_sent(self):
            return [m for m in published if isinstance(m, BuildRequested)]

    return World()


def test_ingestor_keeps_new_images_and_publishes_one_message_each(world):
    items = [media(1, "red", 100), media(2, "blue", 50, "VIDEO"), media(3, "green", 70, "CAROUSEL_ALBUM"),
             media(4, "red", 120)]
    world.db.posts.insert_one({"user_id": world.user, "media_id": "m4", "likes": 120})  # stored earlier
    run = world.start_run(items)
    assert run["state"] == "running" and run["total"] == 3
    sent = world.posts_sent()
    assert [m.media_id for m in sent] == ["m1", "m2", "m3"]
    assert sent[1].media_url == "http://images.test/blue/2" and sent[1].product_type == "REELS"  # the thumbnail
    assert world.progress.get(run["_id"]).total == 3


def test_ingestor_replay_republishes_the_same_posts(world):
    run = world.start_run([media(1, "red", 100), media(2, "green", 80)])
    first = [m.message_id for m in world.posts_sent()]
    handle_train(TrainRequested(run_id=run["_id"], user_id=world.user), FIRST, db=world.db, progress=world.progress,
                 list_media=lambda t: pytest.fail("a replay must not list again"), access_token=lambda u: "t",
                 publish=world.sent.append)
    assert [m.message_id for m in world.posts_sent()] == first * 2
    assert world.progress.get(run["_id"]).total == 2


def test_no_new_posts_finishes_at_once(world):
    run = world.start_run([media(1, "blue", 1, "VIDEO", thumbnail=False), media(2, "red", None)])
    assert run["state"] == "done" and world.posts_sent() == [] and run["likes_hidden"] == 1
    assert world.db.users.find_one({"_id": world.user})["active_run"] is None


def test_rejected_token_fails_the_run_with_a_reason(world):
    def rejected(token):
        raise TokenRejected("Instagram rejected the access token: Error validating access token", code=190)

    run = world.start_run([], list_media=rejected)
    assert run["state"] == "failed" and "Reconnect Instagram" in run["reason"]


def test_throttling_retries_and_fails_only_on_the_last_attempt(world):
    def throttled(token):
        raise Throttled("Instagram is throttling requests", code=4)

    with pytest.raises(Retry):
        world.start_run([], list_media=throttled)
    active = world.db.users.find_one({"_id": world.user})["active_run"]
    assert world.db.runs.find_one({"_id": active})["state"] == "listing"  # still live, to be retried
    handle_train(TrainRequested(run_id=active, user_id=world.user), LAST, db=world.db, progress=world.progress,
                 list_media=throttled, access_token=lambda u: "t", publish=world.sent.append)
    assert world.db.runs.find_one({"_id": active})["state"] == "failed"


def test_each_post_counted_once_over_three_deliveries_and_one_build(world):
    run = world.start_run([media(i, c, likes) for i, (c, likes) in
                           enumerate([("red", 100), ("red", 200), ("green", 40), ("blue", 10)])])
    verdicts = [world.label(msg) for _ in range(3) for msg in world.posts_sent()]
    assert verdicts.count("complete") == 1 and verdicts.count("counted") == 3
    live = world.progress.get(run["_id"])
    assert (live.done, live.failed, live.state) == (4, 0, "building")
    assert len({b.message_id for b in world.builds_sent()}) == 1
    assert world.db.posts.count_documents({"user_id": world.user}) == 4


def test_broken_images_count_as_failed_and_the_run_finishes(world):
    run = world.start_run([media(1, "red", 100), media(2, "missing", 5), media(3, "garbage", 5)])
    verdicts = [world.label(m) for m in world.posts_sent()]
    assert verdicts[-1] == "complete"
    live = world.progress.get(run["_id"])
    assert (live.done, live.failed) == (1, 2)
    failures = runs.failures(world.db, run)
    assert {f["media_id"] for f in failures} == {"m2", "m3"}
    assert any("not_an_image" in f["reason"] or "not an image" in f["reason"] for f in failures)


def test_cancelled_run_is_acked_without_work(world):
    run = world.start_run([media(1, "red", 100), media(2, "green", 80)])
    world.progress.set_state(run["_id"], "cancelled")
    runs.finish(world.db, world.progress, run, "cancelled")
    assert [world.label(m) for m in world.posts_sent()] == ["inactive", "inactive"]
    assert world.db.posts.count_documents({"user_id": world.user}) == 0 and world.builds_sent() == []


def test_redis_flushed_mid_run_is_rebuilt_from_mongodb(world, redis_client):
    run = world.start_run([media(i, "red", 10 * i) for i in range(1, 6)])
    msgs = world.posts_sent()
    world.label(msgs[0])
    world.label(msgs[1])
    redis_client.delete(run_key(run["_id"]), seen_key(run["_id"]))  # Redis loses the run
    verdicts = [world.label(m) for m in msgs]  # all five delivered again
    assert verdicts == ["duplicate", "duplicate", "counted", "counted", "complete"]
    assert world.progress.get(run["_id"]).done == 5


def test_builder_fits_all_posts_by_the_reports_formula_and_finishes_once(world):
    world.db.posts.insert_one({"user_id": world.user, "media_id": "old", "timestamp": T0, "likes": 300,
                               "comments": 30, "labels": [{"name": "Red", "confidence": 90, "parents": []}]})
    run = world.start_run([media(1, "red", 100), media(2, "red", 200), media(3, "green", 40)])
    for m in world.posts_sent():
        world.label(m)
    build = world.builds_sent()[0]
    assert handle_build(build, FIRST, db=world.db, progress=world.progress) == "built"
    assert handle_build(build, FIRST, db=world.db, progress=world.progress) == "skipped"  # a replay
    models = list(world.db.models.find({"user_id": world.user}))
    assert len(models) == 1 and models[0]["training_size"] == 4  # the older post is kept
    finished = world.db.runs.find_one({"_id": run["_id"]})
    assert finished["state"] == "done" and finished["done"] == 3
    # label_mean by the report: Red = mean(300, 100, 200) = 200, Green = 40 -> (200 + 40) / 2
    out = predict(models[0], [("Red", 99.0), ("Green", 99.0)], kind="label_mean")
    assert out["likes"] == pytest.approx(120.0)


def test_hidden_likes_never_train_and_are_counted_on_the_run_and_the_model(world):
    items = [media(1, "red", 100), media(2, "red", None), media(3, "green", 40, "VIDEO"), media(4, "blue", None)]
    run = world.start_run(items)
    assert [m.media_id for m in world.posts_sent()] == ["m1", "m3"] and run["likes_hidden"] == 2
    for m in world.posts_sent():
        world.label(m)
    assert world.db.posts.find_one({"user_id": world.user, "media_id": "m3"})["product_type"] == "REELS"
    assert handle_build(world.builds_sent()[0], FIRST, db=world.db, progress=world.progress) == "built"
    model = world.db.models.find_one({"user_id": world.user})
    assert model["training_size"] == 2 and model["likes_hidden"] == 2
    assert runs.status(world.db, world.progress, world.db.runs.find_one({"_id": run["_id"]}))["likes_hidden"] == 2
    posts = to_training(labelled_posts(world.db, world.user))
    assert {p.media_id: p.product_type for p in posts} == {"m1": "FEED", "m3": "REELS"}
    rebuild = BuildRequested(user_id=world.user, reason="rebuild")  # no run: the latest listing's count
    assert handle_build(rebuild, FIRST, db=world.db, progress=world.progress) == "built"
    assert world.db.models.find_one({"user_id": world.user, "version": 2})["likes_hidden"] == 2


def test_builder_leaves_no_model_for_a_cancelled_run(world):
    run = world.start_run([media(1, "red", 100)])
    world.label(world.posts_sent()[0])
    runs.finish(world.db, world.progress, run, "cancelled")
    assert handle_build(world.builds_sent()[0], FIRST, db=world.db, progress=world.progress) == "skipped"
    assert world.db.models.count_documents({"user_id": world.user}) == 0
