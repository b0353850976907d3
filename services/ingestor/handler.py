"""The ingestor's logic, apart from the broker: handle one train.requested."""
from __future__ import annotations

import logging
from typing import Callable, Iterable

from pymongo.database import Database

from shared import runs
from shared.contracts import PostDiscovered, TrainRequested
from shared.instagram import InstagramError, Media, Throttled, TokenRejected
from shared.messaging import Delivery, Reject, Retry
from shared.progress import Progress

log = logging.getLogger(__name__)

IMAGE_TYPES = ("IMAGE", "CAROUSEL_ALBUM")


def select_images(media: Iterable[Media]) -> list[Media]:
    """Images only: IMAGE posts, and carousels by their cover (the first image) when it is one."""
    return [m for m in media if m.media_type in IMAGE_TYPES and m.media_url]


def handle_train(msg: TrainRequested, delivery: Delivery, *, db: Database, progress: Progress,
                 list_media: Callable[[str], Iterable[Media]], access_token: Callable[[dict], str | None],
                 publish: Callable) -> None:
    run = db.runs.find_one({"_id": msg.run_id})
    if run is None or run["user_id"] != msg.user_id:
        raise Reject(f"unknown run {msg.run_id}")
    if run["state"] == "listing":
        run = _list(run, delivery, db=db, progress=progress, list_media=list_media, access_token=access_token)
        if run is None:
            return
    if run["state"] != "running":
        return  # cancelled, failed or already finished: nothing to do
    # Redelivered after a crash: make sure Redis knows the run before labelers count into it.
    live = progress.get(run["_id"])
    if live is None:
        runs.restore_progress(db, progress, run)
    elif live.state == "listing":
        progress.set_running(run["_id"], run["user_id"], run["total"])
    # (Re)publish every post of the run; labelers count each media id once, so a replay is safe.
    for post in run["media"]:
        publish(PostDiscovered(message_id=f"{run['_id']}:{post['media_id']}", **post))


def _list(run: dict, delivery: Delivery, *, db, progress, list_media, access_token) -> dict | None:
    user = db.users.find_one({"_id": run["user_id"]})
    token = access_token(user) if user else None
    if not token:
        runs.finish(db, progress, run, "failed", reason="Instagram is not connected: connect it, then train again.")
        return None
    try:
        images = select_images(list_media(token))
    except TokenRejected as exc:
        runs.finish(db, progress, run, "failed",
                    reason=f"Instagram rejected the connection ({exc.message}). Reconnect Instagram, then train again.")
        return None
    except (Throttled, InstagramError) as exc:
        if delivery.last_attempt:
            runs.finish(db, progress, run, "failed", reason=f"Instagram could not be read: {exc.message}")
            return None
        raise Retry(str(exc)) from exc
    stored = {p["media_id"] for p in db.posts.find({"user_id": run["user_id"]}, {"media_id": 1})}
    new = [m for m in images if m.id not in stored]
    log.info("run %s: %d images, %d new", run["_id"], len(images), len(new))
    if not new:
        runs.finish(db, progress, run, "done", reason="No new posts: the model is up to date.")
        return None
    posts = [{
        "run_id": run["_id"], "user_id": run["user_id"], "media_id": m.id, "media_url": m.media_url,
        "timestamp": m.timestamp, "caption": m.caption, "permalink": m.permalink, "media_type": m.media_type,
        "likes": m.like_count, "comments": m.comments_count,
    } for m in new]
    # Mongo first (the durable record), then Redis; a cancel in between wins (the update fails).
    running = runs.transition(db, run["_id"], "running", ("listing",), total=len(posts), media=posts)
    if running is None:
        return None
    progress.set_running(run["_id"], run["user_id"], len(posts))
    return running
