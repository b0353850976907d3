"""Sessions, OAuth and OIDC states and log-in handovers do not pile up: a TTL index on
`expires_at` lets the MongoDB-wire server delete them once expired."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared.db import EXPIRING, ensure_indexes


def unique() -> dict:
    """Values for the collections' unique keys."""
    return {key: uuid.uuid4().hex for key in ("token_hash", "state", "code_hash")}


def test_expired_documents_are_deleted_by_the_server(mongo_db):
    ensure_indexes(mongo_db)
    now = datetime.now(timezone.utc)
    for name in EXPIRING:
        mongo_db[name].insert_many([{"probe": "expiry", "expires_at": now + delta, **unique()}
                                    for delta in (timedelta(minutes=-1), timedelta(hours=1))])
    # The server's own TTL sweep (every 60 s, as MongoDB's), run now rather than waited for.
    assert mongo_db.client.admin.command("secantusAdmin.pruneTtl")["pruned"] >= len(EXPIRING)
    for name in EXPIRING:
        left = list(mongo_db[name].find({"probe": "expiry"}))
        assert [d["expires_at"] > now for d in left] == [True], name
        mongo_db[name].delete_many({"probe": "expiry"})
