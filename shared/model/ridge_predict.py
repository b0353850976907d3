"""The default model's predictions: one image (with its explanation), a batch (the backtest),
and the level through time (the model card's chart)."""
from __future__ import annotations

import math

import numpy as np

from .caption import CaptionFeatures
from .data import Encoded
from .features import MAX_GAP_HOURS, caption_columns, caption_values, gap_feature, gap_hours, hour_features
from .formats import BASE_MEDIA, BASE_PRODUCT, FORMATS, format_key, media_of, product_of
from .ridge_fit import MAX_WINDOW, _half_life_weights
from .solve import _weighted_medians

KIND = "ridge"


class _Part:
    """One target's fitted part, prepared; a document from before a feature existed predicts
    as if that feature had no effect."""

    def __init__(self, d: dict):
        self.level = float(d["level"])
        self.index = {e["label"]: i for i, e in enumerate(d["effects"])}
        self.eff = np.array([e["effect"] for e in d["effects"]], dtype=np.float64)
        self._eff_l = self.eff.tolist()
        self.gap = float(d["gap_effect"])
        self.typical = float(d["typical_gap_hours"])
        self.types = dict(d.get("type_effects") or {})
        self.media = dict(d.get("media_effects") or {})
        self.formats = dict(d.get("format_posts") or {})
        self.last = float(d["last_post_days"])
        self.hour = np.asarray(d.get("hour_effect") or [0.0, 0.0], dtype=np.float64)
        cap, typ = d.get("caption_effect") or {}, d.get("caption_typical") or {}
        self.cap = np.array([cap.get("mentions", 0.0), cap.get("length", 0.0)], dtype=np.float64)
        self.cap_typical = [typ.get("mentions", 0.0), typ.get("length", 0.0)]
        self.tags_typical = float(d.get("hashtags_typical") or 0.0)
        self.spread = d.get("spread")

    def hour_part(self, when_days: float | None) -> float:
        """The time of day's effect; 0 when the time is unknown (the curve's mean over a day)."""
        return 0.0 if when_days is None else float(hour_features([when_days])[0] @ self.hour)

    def gap_part(self, hours: float | None) -> float:
        h = self.typical if hours is None or not math.isfinite(hours) else hours
        return self.gap * math.log1p(min(max(h, 0.0), MAX_GAP_HOURS))

    def format_part(self, media_type: str | None, product_type: str | None) -> float:
        product = product_of(product_type)
        typ = self.types.get(product, 0.0) if product != BASE_PRODUCT else 0.0
        return typ + self.media.get(media_of(media_type, product_type), 0.0)

    def caption_part(self, caption: CaptionFeatures | None) -> float:
        """Mentions and length against the typical caption's; no caption: the typical caption,
        hashtags included (the image's prediction for the way this account captions)."""
        if caption is None:
            return self.tags_typical
        vals = caption_values([caption.mentions], [caption.length])
        return float(caption_columns(vals, self.cap_typical)[0] @ self.cap)


def _batch(part: _Part, enc: Encoded) -> np.ndarray:
    """log1p predictions for the posts of enc (the first one's gap from the part's last post).
    A post's hashtags are among its labels; an unknown caption's numbers count as typical."""
    vmap = np.array([part.index.get(v, -1) for v in enc.vocab], dtype=np.int64)
    j = vmap[enc.lab] if enc.lab.size else np.zeros(0, dtype=np.int64)
    m = j >= 0
    lab = np.bincount(enc.post_of[m], weights=enc.conf[m] * part.eff[j[m]], minlength=enc.n)
    gap = part.gap * gap_feature(gap_hours(enc.t, part.last), part.typical)
    fmt = np.array([part.format_part(mt, pt) for mt, pt in zip(enc.mtype.tolist(), enc.ptype.tolist(), strict=True)])
    cap = caption_columns(caption_values(enc.mentions, enc.caplen), part.cap_typical) @ part.cap
    return part.level + lab + gap + fmt + cap + hour_features(enc.t) @ part.hour


def _range(y: float, spread) -> list[float] | None:
    """An 80% range of counts: whole numbers, rounded outwards."""
    if spread is None:
        return None
    return [float(max(math.floor(math.expm1(y + spread[0])), 0)), float(max(math.ceil(math.expm1(y + spread[1])), 0))]


class RidgePredictor:
    kind = KIND
    uses_labels = True

    def __init__(self, doc: dict):
        self.parts = {t: (_Part(doc[t]) if doc.get(t) else None) for t in ("likes", "comments")}
        self.spread = {t: (p.spread if p else None) for t, p in self.parts.items()}

    def _one(self, part: _Part, labels, when_days, media_type, product_type, caption):
        contrib = []
        for name, c in labels:
            i = part.index.get(name)
            contrib.append(None if i is None else part._eff_l[i] * (c / 100.0))
        hours = None if when_days is None else (when_days - part.last) * 24.0
        gap = part.gap_part(hours)
        fmt = part.format_part(media_type, product_type)
        hour = part.hour_part(when_days)
        cap = part.caption_part(caption)
        base = part.level + gap + hour + cap  # all but the labels and the format
        y = base + fmt + sum(v for v in contrib if v is not None)
        point = max(math.expm1(y), 0.0)
        # a label's share: the likes the prediction would lose without it, and its factor
        lost = [None if v is None else point - max(math.expm1(y - v), 0.0) for v in contrib]
        factors = [None if v is None else math.exp(v) for v in contrib]
        others = {}
        for m, p in FORMATS:  # the same image as each format
            yf = y - fmt + part.format_part(m, p)
            others[(m, p)] = {"point": max(math.expm1(yf), 0.0), "range": _range(yf, part.spread),
                              "factor": math.exp(part.format_part(m, p))}
        return {"point": point, "range": _range(y, part.spread), "lost": lost, "factors": factors,
                "level": max(math.expm1(base + fmt), 0.0), "format_factor": math.exp(fmt), "formats": others,
                "features": {"gap_factor": math.exp(gap - part.gap_part(None)), "hour_factor": math.exp(hour),
                             "format_factor": math.exp(fmt), "caption_factor": math.exp(cap)}}

    def predict(self, labels, when_days=None, product_type=None, media_type=None,
                caption: CaptionFeatures | None = None) -> dict:
        """labels: the image's and the caption's hashtags ('#name'), as (name, confidence)."""
        media_type = media_type or BASE_MEDIA
        product_type = product_type or BASE_PRODUCT
        lp, cp = self.parts["likes"], self.parts["comments"]
        assert lp is not None  # a model has a likes part
        matched = [lp.index.get(name) is not None for name, _ in labels]
        lk = self._one(lp, labels, when_days, media_type, product_type, caption)
        cm = self._one(cp, labels, when_days, media_type, product_type, caption) if cp is not None else None
        entries = []
        for i, (name, c) in enumerate(labels):
            entries.append({"name": name, "confidence": float(c), "matched": matched[i],
                            "likes": lk["lost"][i], "comments": cm["lost"][i] if cm else None,
                            "likes_factor": lk["factors"][i], "comments_factor": cm["factors"][i] if cm else None})
        formats = []
        for m, p in FORMATS:
            f, g = lk["formats"][(m, p)], (cm["formats"][(m, p)] if cm else None)
            formats.append({"media_type": m, "product_type": p, "likes": f["point"],
                            "comments": g["point"] if g else None, "likes_range": f["range"],
                            "comments_range": g["range"] if g else None, "likes_factor": f["factor"],
                            "posts": int(lp.formats.get(format_key(m, p), 0))})
        return {"kind": self.kind, "likes": lk["point"], "comments": cm["point"] if cm else None,
                "likes_range": lk["range"], "comments_range": cm["range"] if cm else None,
                "fallback": not any(matched), "labels": entries,
                "level": {"likes": lk["level"], "comments": cm["level"] if cm else None},
                "factors": lk["features"],
                "format": {"media_type": media_type, "product_type": product_type,
                           "likes_factor": lk["format_factor"], "comments_factor": cm["format_factor"] if cm else None},
                "formats": formats}

    def predict_batch(self, enc: Encoded):
        lp = self.parts["likes"]
        assert lp is not None  # a model has a likes part
        pl = np.maximum(np.expm1(_batch(lp, enc)), 0.0)
        cp = self.parts["comments"]
        pc = np.maximum(np.expm1(_batch(cp, enc)), 0.0) if cp is not None else np.full(enc.n, np.nan)
        return pl, pc


def level_path(doc: dict, enc: Encoded, limit: int = 300) -> list[tuple[float, float]]:
    """(epoch days, likes) of the model's level as it stood at each of the newest `limit` posts:
    the label, gap and type parts taken out with the final coefficients, the level read off the
    posts up to that one as the fit reads it (mean over half-lives of weighted medians)."""
    part = doc.get("likes")
    if not part:
        return []
    p = _Part(part)
    first = max(0, enc.n - limit - MAX_WINDOW)  # no fit reads further back than MAX_WINDOW posts
    enc = enc.tail(first)
    mask = ~np.isnan(enc.likes)
    z = np.log1p(enc.likes) - (_batch(p, enc) - p.level)
    z, t = z[mask], enc.t[mask]
    out = []
    weights = _half_life_weights(min(z.size, MAX_WINDOW))  # a window of n posts: its last n columns
    for i in range(max(0, z.size - limit), z.size):
        zi = z[max(0, i + 1 - MAX_WINDOW): i + 1]
        lv = _weighted_medians(zi, weights[:, weights.shape[1] - zi.size:])
        out.append((float(t[i]), max(math.expm1(float(np.mean(lv))), 0.0)))
    return out
