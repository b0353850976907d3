"""The labeler's logic, apart from the broker: handle one post.discovered."""
from __future__ import annotations

import logging
from typing import Callable

from pymongo.database import Database

from shared import runs, storage
from shared.contracts import PostDiscovered
from shared.download import DownloadFailed
from shared.labeling import ImageRejected
from shared.messaging import Delivery, Reject
from shared.progress import Progress

log = logging.getLogger(__name__)


def handle_post(msg: PostDiscovered, delivery: Delivery, *, db: Database, progress: Progress,
                store: storage.ImageStore, labeler, fetch: Callable[[str], bytes], publish: Callable) -> str:
    """Returns the verdict of the count ('counted', 'complete', 'duplicate', 'inactive').

    Redis or MongoDB down (here or while counting) raises: the worker retries the post later
    through the broker's retry queues, and after the last try dead-letters it, where the janitor
    counts it failed with the reason (services/janitor/deadletters.py). No post goes uncounted."""
    state = progress.state(msg.run_id)
    if state is None:
        run = db.runs.find_one({"_id": msg.run_id})
        if run is None or run["user_id"] != msg.user_id:
            raise Reject(f"unknown run {msg.run_id}")
        if run["state"] not in ("running", "building"):
            return "inactive"
        runs.restore_progress(db, progress, run)  # Redis lost the run: rebuild it from MongoDB
        state = progress.state(msg.run_id)
    if state != "running" and state != "building":
        return "inactive"  # cancelled (or over): ack without work

    outcome, reason = "done", None
    # By the (user_id, media_id) index alone: a filter on a field outside the index makes the
    # MongoDB-wire server scan the whole collection (tens of ms per post at a few thousand posts).
    stored = db.posts.find_one({"user_id": msg.user_id, "media_id": msg.media_id}, {"labeler": 1})
    if stored is None or stored.get("labeler") != labeler.id:
        try:
            _process(msg, db=db, store=store, labeler=labeler, fetch=fetch)
        except DownloadFailed as exc:
            if not exc.permanent and not delivery.last_attempt:
                raise
            outcome, reason = "failed", str(exc)
        except ImageRejected as exc:
            outcome, reason = "failed", f"{exc.code}: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - unknown trouble: retry, and give up on the last try
            if not delivery.last_attempt:
                raise
            outcome, reason = "failed", f"could not be processed: {exc!r}"
    verdict = runs.count_post(db, progress, msg, outcome, reason, publish)
    return verdict


def _process(msg: PostDiscovered, *, db: Database, store, labeler, fetch) -> None:
    from shared.labeling import load_image

    data = fetch(msg.media_url)
    # Rejects non-images before anything is stored. Only the format and hash are needed here
    # (the labeler decodes for itself), so JPEGs are decoded at 1/8 scale.
    intake = load_image(data, draft=32)
    key = storage.instagram_key(msg.user_id, msg.media_id, intake.ext)
    store.put(key, data, f"image/{intake.format.lower()}")
    result = labeler.label(data)
    db.posts.update_one(
        {"user_id": msg.user_id, "media_id": msg.media_id},
        {"$set": {
            "run_id": msg.run_id, "timestamp": msg.timestamp, "caption": msg.caption, "permalink": msg.permalink,
            "media_type": msg.media_type, "product_type": msg.product_type,
            "likes": msg.likes, "comments": msg.comments, "image_key": key, "labeler": result.labeler,
            "labels": result.to_dicts(), "sha256": intake.sha256, "labeled_at": runs.now(),
        }},
        upsert=True,
    )
