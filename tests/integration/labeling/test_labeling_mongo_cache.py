"""The label cache in a real MongoDB-wire server (the project's test database)."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from shared.labeling import CachedLabeler, MongoCacheStore, get_labeler


def test_offline_labels_cached_in_mongodb(mongo_db):
    coll = mongo_db["label_cache_test"]
    coll.delete_many({})
    data = (Path(importlib.util.find_spec("skimage").origin).parent / "data" / "chelsea.png").read_bytes()
    labeler = get_labeler(backend="offline")
    cached = CachedLabeler(labeler, MongoCacheStore(coll))
    first = cached.label(data)
    doc = coll.find_one({"_id": f"{labeler.id}:{hashlib.sha256(data).hexdigest()}"})
    assert doc and doc["labeler"] == labeler.id and doc["result"]["labels"]
    again = CachedLabeler(labeler, MongoCacheStore(coll))  # e.g. another worker process
    second = again.label(data)
    assert second == first and again.hits == 1 and again.misses == 0
    assert coll.count_documents({}) == 1
    coll.drop()
