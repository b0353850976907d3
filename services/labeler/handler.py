"""The labeler's logic, apart from the broker: handle one post.discovered.

The flow of `handle_post`, one function a step: is the run live (`run_is_live`), is the post
this worker's to label (`labeling_turn`: not if its labels are stored, `already_labeled`), download
and keep the image (`download`), label it and store the post (`label_and_store`), and count the
post in its run (`runs.count_post`). `outcome_of` says what a failure means for the count.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

from pymongo.database import Database

from services.labeler.claims import Claim
from services.labeler.download import DownloadFailed
from shared import runs, storage
from shared.broker import Delivery, Reject, Retry
from shared.contracts import PostDiscovered
from shared.labeling import ImageLimits, ImageRejected, load_image
from shared.progress import Outcome, Progress, Verdict
from shared.run_state import COUNTING_STATES

#: How long a worker may hold a post's labelling claim (download, then the labeler's call): a
#: worker killed holding it loses it then. The labeler service passes its own bound.
CLAIM_SECONDS = 120.0


def handle_post(msg: PostDiscovered, delivery: Delivery, *, db: Database, progress: Progress,
                store: storage.ImageStore, labeler, fetch: Callable[[str], bytes], publish: Callable,
                limits: ImageLimits, claim_seconds: float = CLAIM_SECONDS) -> Verdict:
    """Returns the verdict of the count ('counted', 'complete', 'duplicate', 'inactive').

    Redis or MongoDB down (here or while counting) raises: the worker retries the post later
    through the broker's retry queues, and after the last try dead-letters it, where the janitor
    counts it failed with the reason (services.janitor.dead_letters). No post goes uncounted."""
    if not run_is_live(msg, db=db, progress=progress):
        return Verdict.INACTIVE  # cancelled (or over): ack without work
    outcome: Outcome = "done"
    reason: str | None = None
    with labeling_turn(msg, db=db, labeler=labeler, seconds=claim_seconds) as mine:
        if mine:
            try:
                image = download(msg, fetch=fetch, store=store, limits=limits)
                label_and_store(msg, image, db=db, labeler=labeler)
            except Exception as exc:  # noqa: BLE001 - outcome_of raises again what is worth another try
                outcome, reason = outcome_of(exc, delivery)
    return runs.count_post(db, progress, msg, outcome, reason, publish)


def run_is_live(msg: PostDiscovered, *, db: Database, progress: Progress) -> bool:
    """Whether the post's run still counts posts (running, or building: a late duplicate). Redis
    lost the run: rebuilt from MongoDB. A run that does not exist (or not the user's): Reject."""
    state = progress.state(msg.run_id)
    if state is None:
        run = runs.get_owned(db, msg.run_id, msg.user_id)
        if run is None:
            raise Reject(f"unknown run {msg.run_id}")
        if run["state"] not in COUNTING_STATES:
            return False
        runs.restore_progress(db, progress, run)
        state = progress.state(msg.run_id)
    return state in COUNTING_STATES


def labeler_family(labeler_id: str | None) -> str:
    """'rekognition@3.0' → 'rekognition': the backend, whatever model version it reports."""
    return (labeler_id or "").partition("@")[0]


def same_vocabulary(stored_id: str, labeler) -> bool:
    """Whether labels stored under `stored_id` are what `labeler` would give. A free labeler
    (offline) by its exact id, which changes with any model file or calibration: a post labelled
    by an older build is labelled again, never mixed with the new labels. A paid one by its
    backend: Rekognition's id is `rekognition` until its first call tells its model version
    (`rekognition@3.0`), so a fresh worker handed a redelivered post would otherwise label it,
    and pay for it, a second time."""
    if getattr(labeler, "paid", False):
        return labeler_family(stored_id) == labeler_family(labeler.id)
    return stored_id == labeler.id


def already_labeled(msg: PostDiscovered, *, db: Database, labeler) -> bool:
    """The idempotency key is the stored labels: a post stored with this labeler's labels
    (same_vocabulary) is never labelled again."""
    # By the (user_id, media_id) index alone: a filter on a field outside the index makes the
    # MongoDB-wire server scan the whole collection (tens of ms per post at a few thousand posts).
    stored = db.posts.find_one({"user_id": msg.user_id, "media_id": msg.media_id}, {"labeler": 1})
    return bool(stored and stored.get("labeler") and same_vocabulary(stored["labeler"], labeler))


@contextlib.contextmanager
def labeling_turn(msg: PostDiscovered, *, db: Database, labeler, seconds: float):
    """Yields whether this worker is to label the post: not when its labels are stored.

    A labeler that charges per call (`labeler.paid`) labels a post under a claim, one worker at
    a time: two copies of a post in flight at once (a redelivery while the first worker still
    works, a replayed message) would both find no labels stored and both pay. The second finds
    the claim taken and tries again later (Retry), when it finds the labels stored. The claim
    lasts `seconds` at most: a worker killed holding it loses it then."""
    if already_labeled(msg, db=db, labeler=labeler):
        yield False
        return
    if not getattr(labeler, "paid", False):
        yield True
        return
    # In MongoDB, beside the labels, not in Redis: a Redis lock lost with Redis (a restart) while
    # its holder is still calling would let a second worker take it and pay again (claims.py).
    claim = Claim(db, f"label:{msg.user_id}:{msg.media_id}", seconds)
    if not claim.acquire():
        raise Retry(f"media {msg.media_id} is being labelled by another worker")
    try:
        yield not already_labeled(msg, db=db, labeler=labeler)  # its last holder may have stored them
    finally:
        claim.release()


@dataclass(frozen=True)
class Image:
    data: bytes
    key: str  # in the image store
    sha256: str


def download(msg: PostDiscovered, *, fetch: Callable[[str], bytes], store: storage.ImageStore,
             limits: ImageLimits) -> Image:
    """Download the post's image and keep it in the image store. Non-images are refused
    (ImageRejected) before anything is stored; only the format and hash are needed here (the
    labeler decodes for itself), so JPEGs are decoded at 1/8 scale."""
    data = fetch(msg.media_url)
    intake = load_image(data, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels, draft=32)
    key = storage.instagram_key(msg.user_id, msg.media_id, intake.ext)
    store.put(key, data, f"image/{intake.format.lower()}")
    return Image(data, key, intake.sha256)


def label_and_store(msg: PostDiscovered, image: Image, *, db: Database, labeler) -> None:
    """Label the image and store the post with its labels: one upsert, which makes it done."""
    result = labeler.label(image.data)
    db.posts.update_one(
        {"user_id": msg.user_id, "media_id": msg.media_id},
        {"$set": {
            "run_id": msg.run_id, "timestamp": msg.timestamp, "caption": msg.caption, "permalink": msg.permalink,
            "media_type": msg.media_type, "product_type": msg.product_type,
            "likes": msg.likes, "comments": msg.comments, "image_key": image.key, "labeler": result.labeler,
            "labels": result.to_dicts(), "sha256": image.sha256, "labeled_at": runs.now(),
        }},
        upsert=True,
    )


def outcome_of(exc: Exception, delivery: Delivery) -> tuple[Outcome, str]:
    """('failed', reason) for a post that will never be labelled: an image refused, a download
    that cannot succeed, or any failure on the last try. Anything else is raised again: the
    worker tries the post later."""
    if isinstance(exc, ImageRejected):
        return "failed", f"{exc.code}: {exc.message}"
    if isinstance(exc, DownloadFailed) and (exc.permanent or delivery.last_attempt):
        return "failed", str(exc)
    if not isinstance(exc, DownloadFailed) and delivery.last_attempt:
        return "failed", f"could not be processed: {exc!r}"
    raise exc
