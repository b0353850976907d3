from __future__ import annotations

import hashlib

from shared.labeling import CachedLabeler, Label, LabelResult, MemoryCacheStore, MongoCacheStore


class CountingLabeler:
    def __init__(self, id_="fake@1", reported=None):
        self.id = id_
        self.reported = reported or id_
        self.calls = 0

    def label(self, data: bytes) -> LabelResult:
        self.calls += 1
        return LabelResult(self.reported, (Label("Cat", 90.0, ("Animal",), ("Kitty",)), Label("Animal", 90.0)))


class FakeCollection:
    """What MongoCacheStore uses of a pymongo collection (the real one: integration tests)."""

    def __init__(self):
        self.docs = {}

    def find_one(self, query, projection=None):
        return self.docs.get(query["_id"])

    def update_one(self, query, update, upsert=False):
        doc = self.docs.setdefault(query["_id"], {"_id": query["_id"]})
        doc.update(update["$set"])


def test_same_image_is_labelled_once():
    inner = CountingLabeler()
    cached = CachedLabeler(inner, MemoryCacheStore())
    a = cached.label(b"image-1")
    b = cached.label(b"image-1")
    assert inner.calls == 1 and a == b and cached.hits == 1 and cached.misses == 1
    assert b.get("Cat").aliases == ("Kitty",)
    cached.label(b"image-2")
    assert inner.calls == 2


def test_key_is_labeler_id_and_sha256():
    store = MemoryCacheStore()
    CachedLabeler(CountingLabeler("offline-x@1"), store).label(b"abc")
    key = f"offline-x@1:{hashlib.sha256(b'abc').hexdigest()}"
    assert store.get(key)["labeler"] == "offline-x@1"
    other = CountingLabeler("offline-x@2")
    CachedLabeler(other, store).label(b"abc")  # another labeler: never the other's labels
    assert other.calls == 1


def test_rekognition_style_id_learned_on_first_call():
    store = MemoryCacheStore()
    inner = CountingLabeler("rekognition", reported="rekognition@3.0")
    CachedLabeler(inner, store).label(b"img")
    sha = hashlib.sha256(b"img").hexdigest()
    assert store.get(f"rekognition@3.0:{sha}") and store.get(f"rekognition:{sha}")
    inner.id = "rekognition@3.0"
    CachedLabeler(inner, store).label(b"img")
    assert inner.calls == 1


def test_memory_store_is_bounded():
    store = MemoryCacheStore(max_items=2)
    for k in "abc":
        store.put(k, {})
    assert len(store) == 2 and store.get("a") is None


def test_mongo_store_documents():
    coll = FakeCollection()
    cached = CachedLabeler(CountingLabeler(), MongoCacheStore(coll))
    r = cached.label(b"x")
    sha = hashlib.sha256(b"x").hexdigest()
    doc = coll.docs[f"fake@1:{sha}"]
    assert doc["labeler"] == "fake@1" and doc["sha256"] == sha
    assert LabelResult.from_json(doc["result"]) == r
