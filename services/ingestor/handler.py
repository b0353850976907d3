"""The ingestor's logic, apart from the broker: handle one train.requested."""
from __future__ import annotations

import logging
from typing import Callable, Iterable

from pymongo.database import Database

from services.ingestor.insights import Fetch, changed_since_model, read_insights
from shared import runs
from shared.broker import Delivery, Reject, Retry
from shared.broker.confirms import publish_all
from shared.contracts import BuildRequested, PostDiscovered, TrainRequested
from shared.instagram import InstagramError, Media, Throttled, TokenRejected
from shared.progress import Progress
from shared.run_state import RunState
from shared.runs import now

log = logging.getLogger(__name__)

LABELLED_TYPES = ("IMAGE", "CAROUSEL_ALBUM", "VIDEO")


def select_images(media: Iterable[Media]) -> tuple[list[Media], int]:
    """The posts to train on, labelled from a picture: IMAGE posts, carousels by their cover,
    VIDEO (reels included) by their thumbnail; and how many were left out because their like
    count is hidden (a missing count is not zero likes)."""
    usable, hidden = [], 0
    for m in media:
        if m.media_type not in LABELLED_TYPES or not m.image_url:
            continue
        if m.like_count is None:
            hidden += 1
        else:
            usable.append(m)
    return usable, hidden


def handle_train(msg: TrainRequested, delivery: Delivery, *, db: Database, progress: Progress,
                 list_media: Callable[[str], Iterable[Media]], access_token: Callable[[dict], str | None],
                 publish: Callable, publish_many: Callable | None = None, fetch_insights: Fetch | None = None,
                 insights_batch: int = 50) -> None:
    """`publish_many` (Publisher.publish_many) publishes the run's posts in one confirmed batch;
    without it they go one by one through `publish`. `fetch_insights`
    (InstagramClient.media_insights; None: insights are not read) reads each post's insights
    while listing (services.ingestor.insights)."""
    run = runs.get_owned(db, msg.run_id, msg.user_id)
    if run is None:
        raise Reject(f"unknown run {msg.run_id}")
    if run["state"] == RunState.LISTING:
        run = _list(run, delivery, db=db, progress=progress, list_media=list_media, access_token=access_token,
                    publish=publish, fetch_insights=fetch_insights, insights_batch=insights_batch)
        if run is None:
            return
    if run["state"] != RunState.RUNNING:
        return  # cancelled, failed or already finished: nothing to do
    # Redelivered after a crash: make sure Redis knows the run before labelers count into it.
    live = progress.get(run["_id"])
    if live is None:
        runs.restore_progress(db, progress, run)
    elif live.state == RunState.LISTING:
        progress.set_running(run["_id"], run["user_id"], run["total"])
    # (Re)publish every post of the run; labelers count each media id once, so a replay is safe.
    publish_all((PostDiscovered.of_post(post) for post in runs.media(db, run)), publish, publish_many)


def _list(run: dict, delivery: Delivery, *, db, progress, list_media, access_token, publish, fetch_insights,
          insights_batch) -> dict | None:
    user = db.users.find_one({"_id": run["user_id"]})
    token = access_token(user) if user else None
    if not token:
        runs.finish(db, progress, run, RunState.FAILED,
                    reason="Instagram is not connected: connect it, then train again.")
        return None
    try:
        images, likes_hidden = select_images(list_media(token))
    except TokenRejected as exc:
        runs.finish(db, progress, run, RunState.FAILED,
                    reason=f"Instagram rejected the connection ({exc.message}). Reconnect Instagram, then train again.")
        return None
    except (Throttled, InstagramError) as exc:
        if delivery.last_attempt:
            runs.finish(db, progress, run, RunState.FAILED, reason=f"Instagram could not be read: {exc.message}")
            return None
        raise Retry(str(exc)) from exc
    insights = (read_insights(db, run["user_id"], token, images, fetch=fetch_insights, now=now(),
                              batch=insights_batch, heartbeat=lambda: progress.touch(run["_id"]))
                if fetch_insights else None)
    stored = {p["media_id"] for p in db.posts.find({"user_id": run["user_id"]}, {"media_id": 1})}
    new = [m for m in images if m.id not in stored]
    log.info("run %s: %d posts, %d new, %d with likes hidden", run["_id"], len(images), len(new), likes_hidden)
    if not new:
        runs.set_likes_hidden(db, run["_id"], likes_hidden)
        reason = "No new posts: the model is up to date."
        moved = changed_since_model(db, run["user_id"]) if insights is not None else 0
        if moved:
            # young posts' insights moved since the model was built: it learns them again
            publish(BuildRequested.rebuild(run["user_id"]))
            reason = f"No new posts; the insights of {moved} posts changed: the model is rebuilt with them."
        runs.finish(db, progress, run, RunState.DONE, reason=reason)
        return None
    posts = [{
        "run_id": run["_id"], "user_id": run["user_id"], "media_id": m.id, "media_url": m.image_url,
        "timestamp": m.timestamp, "caption": m.caption, "permalink": m.permalink, "media_type": m.media_type,
        "product_type": m.product_type, "likes": m.like_count, "comments": m.comments_count,
    } for m in new]
    # Mongo first (the durable record), then Redis; a cancel in between wins (the update fails),
    # and so does a listing that got there first (this one's media are then never read).
    listing = runs.store_media(db, run, posts)
    running = runs.transition(db, run["_id"], RunState.RUNNING, (RunState.LISTING,), total=len(posts), listing=listing,
                              likes_hidden=likes_hidden)
    if running is None:
        return None
    progress.set_running(run["_id"], run["user_id"], len(posts))
    return running
