"""The inferer's logic, apart from the broker: answer one infer.request."""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Callable

from pymongo.database import Database

from shared import storage
from shared.broker import Delivery
from shared.contracts import InferReply, InferRequest, post_format
from shared.labeling import ImageRejected
from shared.model import Model
from shared.model.post_metrics import predict_metrics

log = logging.getLogger(__name__)


class ModelCache:
    """Each user's current model, in memory. The newest version is looked up at most once per
    `check_every` seconds per user, so a new model is picked up without a restart."""

    def __init__(self, db: Database, *, check_every: float = 1.0, max_users: int = 1000, clock=time.monotonic):
        self.db, self.check_every, self.max_users, self.clock = db, check_every, max_users, clock
        self._entries: OrderedDict[str, tuple[int, float, Model]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: str) -> Model | None:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(user_id)
        if entry and now - entry[1] < self.check_every:
            return entry[2]
        head = self.db.models.find_one({"user_id": user_id}, {"version": 1}, sort=[("version", -1)])
        if head is None:
            return None
        if entry and entry[0] == head["version"]:
            model = entry[2]
        else:
            doc = self.db.models.find_one({"_id": head["_id"]})
            if doc is None:  # deleted since the line above
                return None
            model = Model(doc)
        with self._lock:
            self._entries[user_id] = (head["version"], now, model)
            self._entries.move_to_end(user_id)
            while len(self._entries) > self.max_users:
                self._entries.popitem(last=False)
        return model


def error(code: str, message: str) -> InferReply:
    return InferReply(ok=False, error_code=code, error_message=message)


def infer(msg: InferRequest, *, store: storage.ImageStore, labeler, models: ModelCache) -> InferReply:
    if storage.key_owner(msg.image_key) != msg.user_id:
        return error("forbidden", "That image belongs to someone else.")
    model = models.get(msg.user_id)
    if model is None:
        return error("model_not_trained", "You have no model yet: connect Instagram and train one.")
    labels = labeler.cached(msg.sha256) if msg.sha256 and hasattr(labeler, "cached") else None
    if labels is None:
        try:
            data = store.get(msg.image_key)
        except KeyError:
            return error("image_not_found", "The uploaded image is gone.")
        try:
            labels = labeler.label(data)
        except ImageRejected as exc:
            return error(exc.code, exc.message)
    # v1 names no format and no caption: a photo in the feed, the image alone
    media_type, product_type = post_format(getattr(msg, "media_type", None), getattr(msg, "product_type", None))
    pairs = [(lab.name, lab.confidence) for lab in labels.labels]
    caption = getattr(msg, "caption", None)
    try:
        out = model.predict(pairs, kind=msg.model_kind, media_type=media_type, product_type=product_type,
                            caption=caption)
    except ValueError as exc:
        return error("unknown_model_kind", str(exc))
    # reach, views, saves, shares: each the model has, or why not (shared.model.post_metrics)
    out["metrics"] = predict_metrics(model.doc, pairs, media_type=media_type, product_type=product_type,
                                     caption=caption)
    parents = {lab.name: list(lab.parents) for lab in labels.labels}
    for entry in out["labels"]:
        entry["parents"] = parents.get(entry["name"], [])
    doc = model.doc
    result = {
        **out, "model_version": doc["version"], "model_kind": out.get("kind", msg.model_kind or model.kind),
        "labeler": labels.labeler,
    }
    if doc.get("labelers") and labels.labeler not in doc["labelers"]:
        result["warning"] = (f"This image was labelled by {labels.labeler} but the model learnt labels from "
                             f"{', '.join(doc['labelers'])}: retrain so the vocabularies match.")
    return InferReply(ok=True, result=result)


def handle_infer(msg: InferRequest, delivery: Delivery, *, store, labeler, models: ModelCache,
                 reply: Callable[[str, str, InferReply], None], clock=time.time) -> InferReply | None:
    if msg.deadline is not None and clock() > msg.deadline:
        log.info("dropping %s: its caller stopped waiting", msg.message_id)
        return None
    try:
        answer = infer(msg, store=store, labeler=labeler, models=models)
    except Exception as exc:  # the caller always gets an answer, never a silent timeout
        log.exception("inference of %s failed", msg.message_id)
        answer = error("inference_failed", f"The prediction failed on our side ({exc.__class__.__name__}); try again.")
    if delivery.reply_to:
        reply(delivery.reply_to, delivery.correlation_id or "", answer)
    return answer
