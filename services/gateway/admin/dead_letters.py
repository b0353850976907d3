"""Dead letters for operators: the list the janitor keeps (MongoDB `dead_letters`, one document
per message, `seen` counting its deaths; services.janitor.dead_letters) and their replay.

Replaying publishes the original message again to its work queue, as it was first sent (type,
message id, body), through the broker's confirming publisher (`shared.broker.Publisher`), with a fresh retry budget.
Each death is replayed at most once: the document is claimed with one conditional update on
`replayed_seen` (the `seen` count replayed), so two operators, or one replaying twice, publish
it once. If the replayed message dies again, the janitor counts a new death and it may be
replayed again. Handlers are idempotent (docs/reliability.md), so a replay is safe even for a
message whose work was done meanwhile.
"""
from __future__ import annotations

from typing import Callable

from pymongo.database import Database

from shared import contracts
from shared.broker import topology
from shared.runs import now

# RPC requests are not replayed: whoever waited for the answer has long given up.
REPLAYABLE_QUEUES = {q.name: q for q in topology.RETRIED_QUEUES}


class NotReplayable(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _decoded(doc: dict):
    try:
        return contracts.decode(doc.get("type"), (doc.get("body") or "").encode())
    except contracts.UndecodableMessage:
        return None


def replayable(doc: dict) -> bool:
    return (doc.get("queue") in REPLAYABLE_QUEUES and doc.get("replayed_seen") != doc.get("seen")
            and _decoded(doc) is not None)


def summary(doc: dict) -> dict:
    return {"id": doc["_id"], "queue": doc.get("queue"), "type": doc.get("type"), "reason": doc.get("reason"),
            "outcome": doc.get("outcome"), "run_id": doc.get("run_id"), "at": _iso(doc.get("at")),
            "seen": doc.get("seen", 1), "replays": doc.get("replays", 0), "replayed_at": _iso(doc.get("replayed_at")),
            "replayable": replayable(doc)}


def listing(db: Database, limit: int = 50) -> dict:
    docs = list(db.dead_letters.find({}, sort=[("at", -1)], limit=limit))
    return {"total": db.dead_letters.count_documents({}), "dead_letters": [summary(d) for d in docs]}


def counts(db: Database) -> dict:
    """How many dead letters there are, and how many wait for a replay (not replayed since they died)."""
    total, waiting = 0, 0
    for doc in db.dead_letters.find({}, {"seen": 1, "replayed_seen": 1}):
        total += 1
        waiting += doc.get("replayed_seen") != doc.get("seen")
    return {"total": total, "waiting": waiting}


def replay(db: Database, publish_raw: Callable, dl_id: str) -> dict:
    """Publish the dead letter `dl_id` to its work queue again; NotReplayable says why not."""
    doc = db.dead_letters.find_one({"_id": dl_id})
    if doc is None:
        raise NotReplayable("dead_letter_not_found", "No such dead letter.")
    queue = REPLAYABLE_QUEUES.get(doc.get("queue"))
    if queue is None:
        raise NotReplayable("not_replayable", f"Messages of {doc.get('queue')!r} are not replayed.")
    msg = _decoded(doc)
    if msg is None:
        raise NotReplayable("not_replayable", "The message cannot be decoded: replaying it would only kill it again.")
    seen = doc.get("seen", 1)
    claimed = db.dead_letters.update_one(
        {"_id": dl_id, "seen": seen, "replayed_seen": {"$ne": seen}},
        {"$set": {"replayed_seen": seen, "replayed_at": now()}, "$inc": {"replays": 1}},
    )
    if claimed.modified_count == 0:
        raise NotReplayable("already_replayed", "This dead letter has been replayed already (since it last died).")
    try:
        publish_raw(doc["body"].encode(), exchange=queue.exchange.name, routing_key=queue.routing_key,
                    type=msg.TYPE, message_id=msg.message_id)
    except Exception:
        # not published: give the claim back, so that it can be replayed once the broker is back
        db.dead_letters.update_one({"_id": dl_id, "replayed_seen": seen},
                                   {"$unset": {"replayed_seen": "", "replayed_at": ""}, "$inc": {"replays": -1}})
        raise
    return {"id": dl_id, "queue": queue.name, "type": msg.TYPE, "message_id": msg.message_id, "replayed": True}


def replay_waiting(db: Database, publish_raw: Callable) -> dict:
    """Replay every dead letter that can be (not replayed since it died, decodable, a retried queue)."""
    done, skipped = [], []
    for doc in db.dead_letters.find({}, sort=[("at", 1)]):
        if not replayable(doc):
            continue
        try:
            done.append(replay(db, publish_raw, doc["_id"])["id"])
        except NotReplayable as exc:  # replayed meanwhile by someone else
            skipped.append({"id": doc["_id"], "code": exc.code})
    return {"replayed": done, "skipped": skipped}


def _iso(value) -> str | None:
    return value.isoformat() if value else None
