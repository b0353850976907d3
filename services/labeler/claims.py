"""A claim on one piece of work, held by one worker at a time, kept in MongoDB (`claims`).

What a paid labeler labels under a claim must never be paid for twice, so the claim lives where
the labels do: a Redis lock is lost with Redis (a restart, a failover) while its holder is still
calling, and a second worker would then take it and pay again. A claim is a document keyed by
what it claims: inserting it takes it (the unique `_id` lets one insert win), and it lasts until
released by its holder or until `expires_at` (a worker killed holding it loses it then; the
server's TTL sweep deletes what is left)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Claim:
    def __init__(self, db: Database, key: str, seconds: float, clock: Callable[[], datetime] = _now):
        self.db, self.key, self.seconds, self.clock = db, key, seconds, clock
        self.token = uuid.uuid4().hex

    def acquire(self) -> bool:
        """Take the claim; False while another holder's claim has not expired."""
        now = self.clock()
        held = {"token": self.token, "expires_at": now + timedelta(seconds=self.seconds)}
        try:
            self.db.claims.insert_one({"_id": self.key, **held})
            return True
        except DuplicateKeyError:  # taken, or left behind by a holder that died: take it if expired
            return self.db.claims.find_one_and_update({"_id": self.key, "expires_at": {"$lte": now}},
                                                      {"$set": held}) is not None

    def release(self) -> None:
        """Give the claim up, if still ours (after it expired another worker may hold it)."""
        self.db.claims.delete_one({"_id": self.key, "token": self.token})
