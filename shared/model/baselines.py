"""The constant baselines: the user's mean (user_mean) and the median of the last 10 posts
(recent_median)."""
from __future__ import annotations

import numpy as np

from .common import _label_entries, _log_resid, _range, _spread
from .data import Encoded

RECENT = 10  # posts in recent_median

def fit_user_mean(enc: Encoded) -> dict:
    cm = ~np.isnan(enc.comments)
    doc = {"kind": "user_mean", "likes": float(enc.likes.mean()),
           "comments": float(enc.comments[cm].mean()) if cm.any() else None}
    doc["spread"] = {"likes": _spread(_log_resid(enc.likes, np.full(enc.n, doc["likes"]))),
                     "comments": _spread(_log_resid(enc.comments[cm], np.full(int(cm.sum()), doc["comments"])))
                     if cm.any() else None}
    return doc


def fit_recent_median(enc: Encoded) -> dict:
    cm = ~np.isnan(enc.comments)
    rc = enc.comments[cm][-RECENT:]
    doc = {"kind": "recent_median", "posts": RECENT, "likes": float(np.median(enc.likes[-RECENT:])),
           "comments": float(np.median(rc)) if rc.size else None}
    doc["spread"] = {"likes": _spread(_log_resid(enc.likes[-RECENT:], np.full(min(RECENT, enc.n), doc["likes"])),
                                      inflate=1.25),
                     "comments": _spread(_log_resid(rc, np.full(rc.size, doc["comments"])), inflate=1.25)
                     if rc.size else None}
    return doc


class ConstantPredictor:
    """user_mean and recent_median: one figure whatever the image."""

    uses_labels = False

    def __init__(self, doc: dict):
        self.kind = doc["kind"]
        self.likes = float(doc["likes"])
        self.comments = None if doc.get("comments") is None else float(doc["comments"])
        self.spread = doc.get("spread") or {}

    def predict(self, labels, when_days=None) -> dict:
        return {"kind": self.kind, "likes": self.likes, "comments": self.comments,
                "likes_range": _range(self.likes, self.spread.get("likes")),
                "comments_range": _range(self.comments, self.spread.get("comments")),
                "fallback": False, "labels": _label_entries(labels, [False] * len(labels))}

    def predict_batch(self, enc: Encoded):
        return (np.full(enc.n, self.likes),
                np.full(enc.n, np.nan if self.comments is None else self.comments))
