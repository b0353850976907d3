"""The seed's model (docs/design.md, the seed report's section 3.3): per label the mean likes (comments) of the
posts carrying it; an image gets the plain mean of its matched labels' coefficients, or the
user's mean when none matches. A baseline."""
from __future__ import annotations

import numpy as np

from .common import _f, _label_entries, _log_resid, _range, _spread
from .data import Encoded


def fit_label_mean(enc: Encoded) -> dict:
    n, V = enc.n, len(enc.vocab)
    cnt = np.bincount(enc.lab, minlength=V).astype(np.float64)
    sl = np.bincount(enc.lab, weights=enc.likes[enc.post_of], minlength=V)
    cm = ~np.isnan(enc.comments)
    flat_c = cm[enc.post_of]
    cc = np.bincount(enc.lab[flat_c], minlength=V).astype(np.float64)
    sc = np.bincount(enc.lab[flat_c], weights=enc.comments[enc.post_of][flat_c], minlength=V)
    with np.errstate(invalid="ignore", divide="ignore"):
        gl = sl / cnt
        ga = np.where(cc > 0, sc / np.maximum(cc, 1), np.nan)
    mean_likes = float(enc.likes.mean()) if n else 0.0
    mean_comments = float(np.nanmean(enc.comments)) if cm.any() else None
    seen = np.nonzero(cnt > 0)[0]
    labels = [{"label": enc.vocab[j], "likes": float(gl[j]), "comments": _f(ga[j]), "count": int(cnt[j])}
              for j in seen.tolist()]
    doc = {"kind": "label_mean", "labels": labels, "mean_likes": mean_likes, "mean_comments": mean_comments}
    # in-sample errors give a (narrow) first range; the builder widens it to the backtest's errors
    p = LabelMeanPredictor(doc)
    pl, pc = p.predict_batch(enc)
    doc["spread"] = {"likes": _spread(_log_resid(enc.likes, pl)),
                     "comments": _spread(_log_resid(enc.comments, pc)) if mean_comments is not None else None}
    return doc


class LabelMeanPredictor:
    kind = "label_mean"
    uses_labels = True

    def __init__(self, doc: dict):
        labels = doc.get("labels") or []
        self.index = {e["label"]: i for i, e in enumerate(labels)}
        self.likes = np.array([e["likes"] for e in labels], dtype=np.float64)
        self.comments = np.array([np.nan if e.get("comments") is None else e["comments"] for e in labels],
                                 dtype=np.float64)
        self._likes_l = self.likes.tolist()
        self._comments_l = [None if e.get("comments") is None else float(e["comments"]) for e in labels]
        self.mean_likes = float(doc.get("mean_likes") or 0.0)
        self.mean_comments = doc.get("mean_comments")
        self.spread = doc.get("spread") or {}

    def predict(self, labels, when_days=None) -> dict:
        idx = [self.index.get(name) for name, _ in labels]
        matched = [i is not None for i in idx]
        gl = [self._likes_l[i] if i is not None else None for i in idx]
        ga = [self._comments_l[i] if i is not None else None for i in idx]
        ml = [v for v in gl if v is not None]
        mc = [v for v in ga if v is not None]
        fallback = not ml
        likes = sum(ml) / len(ml) if ml else self.mean_likes
        if mc:
            comments: float | None = sum(mc) / len(mc)
        else:
            comments = None if self.mean_comments is None else float(self.mean_comments)
        return {"kind": self.kind, "likes": float(likes), "comments": comments,
                "likes_range": _range(likes, self.spread.get("likes")),
                "comments_range": _range(comments, self.spread.get("comments")),
                "fallback": fallback, "labels": _label_entries(labels, matched, gl, ga)}

    def predict_batch(self, enc: Encoded) -> tuple[np.ndarray, np.ndarray]:
        vmap = np.array([self.index.get(v, -1) for v in enc.vocab], dtype=np.int64)
        j = vmap[enc.lab] if enc.lab.size else enc.lab
        m = j >= 0
        po = enc.post_of[m]
        cnt = np.bincount(po, minlength=enc.n)
        sl = np.bincount(po, weights=self.likes[j[m]], minlength=enc.n)
        cv = self.comments[j[m]]
        okc = ~np.isnan(cv)
        ccnt = np.bincount(po[okc], minlength=enc.n)
        sc = np.bincount(po[okc], weights=cv[okc], minlength=enc.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            pl = np.where(cnt > 0, sl / np.maximum(cnt, 1), self.mean_likes)
            mcomm = np.nan if self.mean_comments is None else float(self.mean_comments)
            pc = np.where(ccnt > 0, sc / np.maximum(ccnt, 1), mcomm)
        return pl, pc
