"""The builder's logic, apart from the broker: handle one model.build."""
from __future__ import annotations

import logging
from enum import StrEnum
from typing import Callable

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared import runs
from shared.broker import Delivery, Reject
from shared.contracts import BuildRequested
from shared.instagram.media_insights import PostInsights
from shared.model import NotEnoughPosts, TrainingPost, build_model
from shared.model.insights import compute_insights
from shared.model.post_metrics import fit_metrics
from shared.progress import Progress
from shared.run_state import RunState

log = logging.getLogger(__name__)


class BuildOutcome(StrEnum):
    """What handle_build did (a str: logged and compared as its value)."""

    BUILT = "built"
    SKIPPED = "skipped"  # built already, another builder's, or the run is not building
    NOT_ENOUGH_POSTS = "not_enough_posts"


def labelled_posts(db: Database, user_id: str) -> list[dict]:
    """Every stored post of the user that has its labels (not only this run's: the seed lost
    older posts), read once: the fit's inputs and which labelers made them."""
    return list(db.posts.find({"user_id": user_id, "labels": {"$exists": True}},
                              {"media_id": 1, "timestamp": 1, "likes": 1, "comments": 1, "labels": 1,
                               "product_type": 1, "media_type": 1, "caption": 1, "labeler": 1}))


def to_training(stored: list[dict]) -> list[TrainingPost]:
    """The posts to fit on: never one without a like count (hidden likes are not zero likes)."""
    return [
        TrainingPost(media_id=p["media_id"], timestamp=p["timestamp"], likes=int(p["likes"]),
                     comments=None if p.get("comments") is None else int(p["comments"]),
                     labels=tuple((lab["name"], float(lab["confidence"])) for lab in p.get("labels", [])),
                     product_type=p.get("product_type"), media_type=p.get("media_type"),
                     caption=p.get("caption"))
        for p in stored if p.get("likes") is not None
    ]


def insights_of(db: Database, user_id: str) -> dict[str, PostInsights]:
    """Each post's insights as the ingestor last read them (services.ingestor.insights), by media id."""
    return {d["media_id"]: PostInsights.from_doc(d) for d in db.post_insights.find(
        {"user_id": user_id}, {"media_id": 1, "values": 1, "missing": 1, "settled": 1, "detail": 1})}


def likes_hidden(db: Database, user_id: str, run: dict | None) -> int:
    """How many of the user's posts were left out of training because their likes are hidden,
    as the run's listing counted them (a rebuild: the latest listing's count)."""
    if run is None or "likes_hidden" not in run:
        run = db.runs.find_one({"user_id": user_id, "likes_hidden": {"$exists": True}}, {"likes_hidden": 1},
                               sort=[("started_at", -1)])
    return int((run or {}).get("likes_hidden") or 0)


def handle_build(msg: BuildRequested, delivery: Delivery, *, db: Database, progress: Progress,
                 fit: Callable[[list[TrainingPost]], dict] = build_model,
                 fit_others: Callable[[list[TrainingPost], dict[str, PostInsights]], dict] = fit_metrics,
                 account_insights: Callable[[dict, list[TrainingPost]], dict | None] = compute_insights,
                 ) -> BuildOutcome:
    """Returns what happened: 'built', 'skipped' (already built / run not live) or 'not_enough_posts'."""
    run = None
    if msg.run_id:
        run = runs.get_owned(db, msg.run_id, msg.user_id)
        if run is None:
            raise Reject(f"unknown run {msg.run_id}")
        if run["state"] != RunState.BUILDING:
            # done already (a replay), cancelled (no build), or still running: a build request that
            # came early (replayed, out of order) must not build on part of the posts; the post
            # that completes the run moves it to building and asks again.
            return BuildOutcome.SKIPPED
    source = msg.run_id or msg.message_id
    if db.models.find_one({"source": source}, {"_id": 1}):
        outcome = BuildOutcome.SKIPPED
    else:
        stored = labelled_posts(db, msg.user_id)
        training = to_training(stored)
        try:
            doc = fit(training)
        except NotEnoughPosts as exc:
            if run:
                runs.finish(db, progress, run, RunState.DONE, reason=str(exc))
            return BuildOutcome.NOT_ENOUGH_POSTS
        # reach, views, saves, shares: the same model for each the account has enough posts of
        doc = {**doc, "likes_hidden": likes_hidden(db, msg.user_id, run),
               "metrics": fit_others(training, insights_of(db, msg.user_id)),
               "insights": account_insights(doc, training)}  # when to post, what works: docs/insights.md
        # from the posts read (another read of the user's posts would cost a second scan: docs/performance.md)
        labelers = sorted({p["labeler"] for p in stored if p.get("labeler")})
        outcome = _store(db, msg.user_id, source, doc, labelers=labelers)
    if run:
        finished = runs.finish(db, progress, run, RunState.DONE, expected=(RunState.BUILDING,))
        if finished is None and outcome == BuildOutcome.BUILT:
            # Cancelled while we were fitting: a cancelled run leaves no model behind.
            db.models.delete_one({"source": source})
            return BuildOutcome.SKIPPED
    return outcome


def _store(db: Database, user_id: str, source: str, doc: dict, labelers: list[str]) -> BuildOutcome:
    for _ in range(10):
        latest = db.models.find_one({"user_id": user_id}, {"version": 1}, sort=[("version", -1)])
        version = (latest["version"] if latest else 0) + 1
        try:
            db.models.insert_one({**doc, "user_id": user_id, "version": version, "source": source,
                                  "labelers": labelers, "trained_at": runs.now()})
            log.info(
                "user %s: model v%d (%s) from %d posts", user_id, version, doc.get("kind"), doc.get("training_size")
            )
            return BuildOutcome.BUILT
        except DuplicateKeyError:
            if db.models.find_one({"source": source}, {"_id": 1}):
                return BuildOutcome.SKIPPED  # another builder stored this very build
            # another build of this user took the version number: take the next
    raise RuntimeError("could not allocate a model version")
