"""Labels cached by (labeler id, SHA-256 of the image bytes): the same image is never
labelled, or paid for, twice. Keys are f"{labeler_id}:{sha256}"."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from .types import LabelResult


class MemoryCacheStore:
    """In-process LRU store (tests, the CLI, one-off runs)."""

    def __init__(self, max_items: int = 10_000):
        self.max_items = max_items
        self._data: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: dict) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class MongoCacheStore:
    """A pymongo collection; one document per key: {_id: key, labeler, sha256, result}."""

    def __init__(self, collection):
        self.collection = collection

    def get(self, key: str) -> dict | None:
        doc = self.collection.find_one({"_id": key}, {"result": 1})
        return doc["result"] if doc else None

    def put(self, key: str, value: dict) -> None:
        labeler, _, sha = key.rpartition(":")
        self.collection.update_one({"_id": key}, {"$set": {"labeler": labeler, "sha256": sha, "result": value}},
                                   upsert=True)


class TieredCacheStore:
    """A fast store in front of a shared one (memory before MongoDB): hits fill the front."""

    def __init__(self, front, back):
        self.front, self.back = front, back

    def get(self, key: str) -> dict | None:
        value = self.front.get(key)
        if value is None:
            value = self.back.get(key)
            if value is not None:
                self.front.put(key, value)
        return value

    def put(self, key: str, value: dict) -> None:
        self.back.put(key, value)
        self.front.put(key, value)


class CachedLabeler:
    """Wraps a labeler's label(): a hit returns the stored result without calling it.

    The key uses the wrapped labeler's current id. Rekognition's id only names its model
    version after the first call; results are stored under the id they came back with, and
    also under the id asked for, so a later lookup finds them.
    """

    def __init__(self, labeler, store):
        self.labeler = labeler
        self.store = store
        self.hits = 0
        self.misses = 0

    @property
    def id(self) -> str:
        return self.labeler.id

    @staticmethod
    def key(labeler_id: str, sha256: str) -> str:
        return f"{labeler_id}:{sha256}"

    def cached(self, sha256: str) -> LabelResult | None:
        """The stored result for an image known only by its hash (no bytes needed), or None."""
        value = self.store.get(self.key(self.labeler.id, sha256))
        if value is None:
            return None
        self.hits += 1
        return LabelResult.from_json(value)

    def label(self, data: bytes) -> LabelResult:
        sha = hashlib.sha256(data).hexdigest()
        asked = self.labeler.id
        hit = self.cached(sha)
        if hit is not None:
            return hit
        self.misses += 1
        result = self.labeler.label(data)
        value = result.to_json()
        self.store.put(self.key(result.labeler, sha), value)
        if asked != result.labeler:
            self.store.put(self.key(asked, sha), value)
        return result
