"""A run's posts live in `run_media` (chunks of 500), its failed posts in `run_failures`, on the
real MongoDB-wire server: the run document stays small however large the account (MongoDB caps
a document at 16 MB), and Redis is rebuilt from them in one pass."""
from __future__ import annotations

import bson

from services.ingestor.handler import handle_train
from shared import runs
from shared.contracts import TrainRequested
from shared.progress import run_key, seen_key
from tests.integration.pipeline.test_pipeline_handlers import FIRST, media, world  # noqa: F401 - the fixture

N = 10_000


def test_a_run_of_ten_thousand_posts_keeps_a_small_run_document_and_is_rebuilt_from_its_media(
        world, redis_client):  # noqa: F811 - the imported fixture
    items = [media(i, "red", i % 500) for i in range(N)]
    run = world.start_run(items)
    assert run["state"] == "running" and run["total"] == N
    assert len(bson.encode(run)) < 1024  # what the status path reads, whatever the run's size
    assert [p["media_id"] for p in runs.media(world.db, run)] == [m.id for m in items]  # listing order
    assert world.db.run_media.count_documents({"user_id": world.user, "run_id": run["_id"]}) == N // runs.MEDIA_CHUNK
    sent = world.posts_sent()
    assert len(sent) == N

    # 3,000 posts done (stored with the run), 200 failed; then Redis loses the run.
    world.db.posts.insert_many([{"user_id": world.user, "media_id": m.media_id, "run_id": run["_id"], "likes": 1}
                                for m in sent[:3000]])
    for msg in sent[3000:3200]:
        runs.count_post(world.db, world.progress, msg, "failed", "HTTP 404", world.sent.append)
    runs.count_post(world.db, world.progress, sent[3000], "failed", "a second reason", world.sent.append)
    redis_client.delete(run_key(run["_id"]), seen_key(run["_id"]))
    runs.restore_progress(world.db, world.progress, run)
    live = world.progress.get(run["_id"])
    assert (live.total, live.done, live.failed, live.state) == (N, 3000, 200, "running")
    assert redis_client.scard(seen_key(run["_id"])) == 3200
    failures = runs.failures(world.db, run)
    assert len(failures) == 200 and failures[0] == {"media_id": sent[3000].media_id, "reason": "HTTP 404"}


def test_a_listing_that_lost_the_race_leaves_nothing_the_run_reads(world):  # noqa: F811 - the imported fixture
    """Two listings of one run at once (a redelivery while the first still lists): the one that
    moves the run to running is the run's media; the other's posts are never published."""
    run = world.start_run([media(1, "red", 100), media(2, "green", 80)])
    late = runs.store_media(world.db, run, [{"run_id": run["_id"], "user_id": world.user, "media_id": "m9"}])
    assert runs.transition(world.db, run["_id"], "running", ("listing",), total=1, listing=late) is None
    world.sent.clear()
    handle_train(TrainRequested(run_id=run["_id"], user_id=world.user), FIRST, db=world.db, progress=world.progress,
                 list_media=lambda token: [], access_token=lambda user: "token", publish=world.sent.append)
    assert sorted(m.media_id for m in world.posts_sent()) == ["m1", "m2"]
