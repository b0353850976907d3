"""The ingestor's reading of each listed post's insights (reach, views, saves, shares): which
posts to read, one request each through the client (which spaces requests out by the usage
headers), stored in `post_insights` one bulk write per batch.

A post is read until its reading is final (shared.instagram.media_insights.PostInsights.final):
a post younger than 48 hours, one Instagram could not be read for, or one of an account that
had not granted the permission is read again at the next training. The first refusal for want
of the permission ends the asking: the account's other posts are stored as not granted without
a call. Throttling or a rejected token ends the reading too (what is left is read next time);
insights never fail a training.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from pymongo import UpdateOne
from pymongo.database import Database

from shared.instagram import InstagramError, Media, Throttled, TokenRejected
from shared.instagram.media_insights import (
    PostInsights,
    Reason,
    all_missing,
    expired,
    metrics_for,
    parse,
    refused,
    settled_at,
)

log = logging.getLogger(__name__)

#: (token, media id, Meta's metric names) -> Instagram's answer (InstagramClient.media_insights)
Fetch = Callable[[str, str, tuple[str, ...]], dict]


@dataclass(frozen=True)
class InsightsRead:
    """What one listing's reading did: posts read (asked or stored without asking), posts whose
    values changed since their last reading, and whether the account granted the permission
    (None: nothing was asked)."""

    read: int = 0
    changed: int = 0
    granted: bool | None = None


def changed_since_model(db: Database, user_id: str) -> int:
    """How many of the user's posts have insights that changed after their newest model was
    built (all of them without a model): a replayed listing finds the same answer."""
    model = db.models.find_one({"user_id": user_id}, {"trained_at": 1}, sort=[("version", -1)])
    query: dict = {"user_id": user_id, "changed_at": {"$exists": True}}
    if model is not None:
        query["changed_at"] = {"$gt": model["trained_at"]}
    return db.post_insights.count_documents(query)


def to_read(db: Database, user_id: str, media: Iterable[Media]) -> list[Media]:
    """The posts whose reading is not final yet (never read, young, refused for a passing reason)."""
    final = {d["media_id"] for d in db.post_insights.find({"user_id": user_id, "final": True}, {"media_id": 1})}
    return [m for m in media if m.id not in final]


def read_one(fetch: Fetch, token: str, m: Media, now: datetime) -> PostInsights:
    """One post's reading; Throttled and TokenRejected go up (the reading stops there)."""
    settled = settled_at(m.timestamp, now)
    if expired(m.timestamp, now):
        return all_missing(Reason.TOO_OLD, "older than the 2 years Instagram keeps insights")
    asked = metrics_for(m.product_type)
    if not asked:
        return all_missing(Reason.NOT_AVAILABLE, f"no media insights for {m.product_type} posts")
    try:
        body = fetch(token, m.id, asked)
    except (Throttled, TokenRejected):
        raise
    except InstagramError as exc:
        reading = refused(exc.code, exc.subcode, exc.detail, settled=settled)
        return reading or all_missing(Reason.UNREADABLE, exc.message, settled=settled)
    return parse(body, asked, settled=settled)


def _denied(reading: PostInsights) -> bool:
    return bool(reading.missing) and set(reading.missing.values()) == {Reason.NOT_GRANTED}


def read_insights(db: Database, user_id: str, token: str, media: list[Media], *, fetch: Fetch, now: datetime,
                  batch: int = 50, heartbeat: Callable[[], None] | None = None) -> InsightsRead:
    """Read and store the insights of `media` (the listed posts Likely trains on) not final yet.
    `heartbeat` is called after each batch is stored: a first reading of a large account (one
    paced request a post) outlasts the janitor's stall timeout, and must not look stalled."""
    pending = to_read(db, user_id, media)
    if not pending:
        return InsightsRead()
    before = {d["media_id"]: d.get("values") or {} for d in db.post_insights.find(
        {"user_id": user_id, "media_id": {"$in": [m.id for m in pending]}}, {"media_id": 1, "values": 1})}
    granted: bool | None = None
    read = changed = 0
    stopped = None
    for start in range(0, len(pending), max(1, batch)):
        ops = []
        for m in pending[start:start + max(1, batch)]:
            if granted is False:
                reading = all_missing(Reason.NOT_GRANTED, "not granted (asked once this listing)")
            else:
                try:
                    reading = read_one(fetch, token, m, now)
                except (Throttled, TokenRejected) as exc:
                    stopped = exc
                    break
                if _denied(reading):
                    granted = False
                elif granted is None and reading.values:
                    granted = True
            moved = before.get(m.id) != reading.values
            changed += int(moved and m.id in before)
            read += 1
            ops.append(UpdateOne({"user_id": user_id, "media_id": m.id}, {"$set": {
                **reading.as_doc(), "read_at": now, "posted_at": m.timestamp, "product_type": m.product_type,
                **({"changed_at": now} if moved else {})}}, upsert=True))
        if ops:
            db.post_insights.bulk_write(ops, ordered=False)
        if heartbeat is not None:
            heartbeat()
        if stopped is not None:
            log.warning("insights of user %s: stopped after %d posts (%s); the rest are read at the next training",
                        user_id, read, stopped.message)
            break
    log.info("insights of user %s: %d posts read, %d changed, granted: %s", user_id, read, changed, granted)
    return InsightsRead(read, changed, granted)
