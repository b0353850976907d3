"""Likely's popularity model: fit candidates on a user's posts, backtest them, serve the best.

    doc = build_model(posts)                 # a MongoDB-storable document
    predict(doc, [("Dog", 98.0), ...])       # {"likes", "comments", ranges, per-label figures}

See docs/model.md for the default model (`ridge`) and the measured figures.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime, timezone

import numpy as np

from .backtest_metrics import BASELINES, MIN_BACKTEST_POSTS, best_baseline, count_range, coverage, scores, split_index
from .caption import caption_features
from .chart import chart_data
from .data import MIN_CONFIDENCE, Encoded, NotEnoughPosts, TrainingPost, encode, to_days
from .explain import caption_section, same_for_every_format
from .formats import BASE_MEDIA, BASE_PRODUCT
from .models import FITTERS, PREDICTORS, _spread
from .ridge_predict import level_path
from .threads import single_threaded

__all__ = [
    "TrainingPost", "KINDS", "DEFAULT_KIND_CANDIDATES", "DEFAULT_KIND", "NotEnoughPosts",
    "build_model", "predict", "load", "coefficients", "backtest_encoded", "choose_kind", "BASELINES",
]

KINDS: tuple[str, ...] = ("ridge", "label_mean", "user_mean", "recent_median", "trend")
#: The kind served. It is not chosen per account: with 10-20 posts an account, a choice by an
#: inner backtest of a handful of posts picks noise (docs/model.md). The other kinds are
#: fitted and backtested beside it, so the card can show how it compares.
DEFAULT_KIND = "ridge"
DEFAULT_KIND_CANDIDATES: tuple[str, ...] = (DEFAULT_KIND,)
TOP_LABELS = 10


# ----------------------------------------------------------------------------- backtest

def backtest_encoded(enc: Encoded, kinds=KINDS, held_out: dict | None = None) -> tuple[dict | None, dict]:
    """Fit each kind on the oldest 80% of the posts, score it on the newest 20%.

    Returns ({kind: figures} or None when there are fewer than MIN_BACKTEST_POSTS posts,
             {kind: (likes log-errors, comments log-errors)} for calibrating ranges).
    `held_out`, when given, receives each kind's likes predictions for the newest 20% and
    their 80% range: {kind: (predicted, low, high)} (low/high None without a range).
    """
    n = enc.n
    if n < MIN_BACKTEST_POSTS:
        return None, {}
    cut = split_index(n)
    train, test = enc.subset(cut), enc.tail(cut)
    out, errors = {}, {}
    cm = ~np.isnan(test.comments)
    for kind in kinds:
        pred = PREDICTORS[kind](FITTERS[kind](train))
        pl, pc = pred.predict_batch(test)
        s = scores(test.likes, pl)
        fig = {"mae": s["mae"], "mae_log": s["mae_log"], "spearman": s["spearman"],
               "test_posts": int(test.n), "train_posts": int(cut)}
        sp = getattr(pred, "spread", {}) or {}
        lo, hi = count_range(pl, sp.get("likes"))
        if lo is not None:
            fig["coverage_80"] = coverage(test.likes, lo, hi)
        if held_out is not None:
            held_out[kind] = (pl, lo, hi)
        ok = cm & ~np.isnan(pc)
        if ok.any():
            c = scores(test.comments[ok], pc[ok])
            fig["comments"] = {"mae": c["mae"], "mae_log": c["mae_log"], "spearman": c["spearman"],
                               "test_posts": c["n"]}
            clo, chi = count_range(pc[ok], sp.get("comments"))
            if clo is not None:
                fig["comments"]["coverage_80"] = coverage(test.comments[ok], clo, chi)
        else:
            fig["comments"] = None
        out[kind] = fig
        errors[kind] = (np.log1p(test.likes) - np.log1p(pl),
                        np.log1p(test.comments[ok]) - np.log1p(pc[ok]))
    return out, errors


def choose_kind(backtest: dict | None, candidates=DEFAULT_KIND_CANDIDATES) -> tuple[str, str]:
    """The kind to serve, and why: always DEFAULT_KIND; the reason gives its backtest beside
    the best baseline's when there is one."""
    kind = candidates[0] if candidates else DEFAULT_KIND
    if not backtest or kind not in backtest:
        return kind, (f"fewer than {MIN_BACKTEST_POSTS} posts, too few to backtest: {kind} leans on "
                      f"the account's recent level, with a wide range")
    n = backtest[kind]["test_posts"]
    best = best_baseline(backtest)
    why = (f"{kind}, fixed settings for every account; on your newest {n} posts, held out, "
           f"typical error x{math.exp(backtest[kind]['mae_log']):.2f}")
    if best:
        why += f" (best simple baseline, {best}: x{math.exp(backtest[best]['mae_log']):.2f})"
    return kind, why


# ----------------------------------------------------------------------------- build

def _widen(spread, errs):
    """Widen an in-sample 80% range to cover the backtest's errors as well."""
    if spread is None or errs is None or np.asarray(errs).size < 5:
        return spread
    lo, hi = _spread(errs)
    return [min(spread[0], lo), max(spread[1], hi)]


@single_threaded
def build_model(posts: list[TrainingPost], *, now: datetime | None = None, unit: str = "likes") -> dict:
    """Fit every kind on all the posts and backtest them; serve DEFAULT_KIND. See module doc.
    `unit`: what a post's `likes` count (shared.model.post_metrics fits reach, views, ... so)."""
    enc = encode(posts)
    if enc.n == 0:
        raise NotEnoughPosts("not enough posts: the model needs at least one post with a like count "
                             f"(got {len(posts)} posts, none usable)")
    models = {kind: FITTERS[kind](enc) for kind in KINDS}
    held_out: dict = {}
    backtest, errors = backtest_encoded(enc, held_out=held_out)
    for kind, (el, ec) in errors.items():
        doc = models[kind]
        if kind == DEFAULT_KIND:
            continue  # conformal ranges of its own (ridge.py)
        if kind == "trend":
            doc["spread"] = {
                "likes": _widen(doc["likes"]["spread"], el),
                "comments": _widen(doc["comments"]["spread"], ec) if doc.get("comments") else None}
        else:
            sp = doc.get("spread") or {}
            doc["spread"] = {"likes": _widen(sp.get("likes"), el), "comments": _widen(sp.get("comments"), ec)}
    kind, why = choose_kind(backtest)
    lm = models["label_mean"]
    top = sorted(lm["labels"], key=lambda e: (-e["likes"], -e["count"], e["label"]))[:TOP_LABELS]
    now = now or datetime.now(timezone.utc)
    return {
        "kind": kind,
        "models": models,
        "backtest": backtest,
        "selection": why,
        "training_size": enc.n,
        "labels": len(lm["labels"]),
        "top_labels": [dict(e) for e in top],
        "mean_likes": lm["mean_likes"],
        "mean_comments": lm["mean_comments"],
        "trained_at": now.isoformat(),
        "first_post": datetime.fromtimestamp(enc.t[0] * 86400.0, tz=timezone.utc).isoformat(),
        "last_post": datetime.fromtimestamp(enc.t[-1] * 86400.0, tz=timezone.utc).isoformat(),
        "min_confidence": MIN_CONFIDENCE,
        "chart": chart_data(enc, level_path(models[kind], enc), held_out.get(kind), backtest, unit),
    }


# ----------------------------------------------------------------------------- predict

class Model:
    """A model document prepared for fast predictions (see load)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.kind = doc["kind"]
        self.models = doc.get("models") or {}
        self._predictors: dict = {}

    def predictor(self, kind: str):
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
        p = self._predictors.get(kind)
        if p is None:
            params = self.models.get(kind)
            if params is None:
                raise ValueError(f"model kind {kind!r} is not in this model document")
            p = self._predictors[kind] = PREDICTORS[kind](params)
        return p

    def predict(self, labels, *, kind: str | None = None, when: datetime | None = None,
                product_type: str | None = None, media_type: str | None = None,
                caption: str | None = None) -> dict:
        """Likes and comments of an image with these (name, confidence) labels, posted as this
        format (default IMAGE/FEED) with this caption (None: not given; its hashtags join the
        labels as '#name'). See docs/model.md for the answer's shape."""
        p = self.predictor(kind or self.kind)
        media_type = (media_type or BASE_MEDIA).upper()
        product_type = (product_type or BASE_PRODUCT).upper()
        kept: list[tuple[str, float]] = []
        dropped: list[tuple[str, float]] = []
        seen = set()
        for name, conf in labels or ():
            if name in seen:
                continue
            seen.add(name)
            conf = float(conf) if conf is not None else 0.0
            (kept if conf >= MIN_CONFIDENCE else dropped).append((name, conf))
        cap = None if caption is None else caption_features(caption)
        tags = [(t, 100.0) for t in (cap.hashtags if cap else ()) if t not in seen]
        features = kept + tags
        if p.kind == "trend":
            if when is None:
                out = p.predict(features, to_days(datetime.now(timezone.utc)), time_known=False)
            else:
                out = p.predict(features, to_days(when))
        elif p.kind == DEFAULT_KIND:
            out = p.predict(features, None if when is None else to_days(when), product_type=product_type,
                            media_type=media_type, caption=cap)
        else:
            out = p.predict(features, None if when is None else to_days(when))
        entries = out["labels"]
        out["labels"] = entries[:len(kept)]
        for name, conf in dropped:
            out["labels"].append({"name": name, "confidence": conf, "matched": False, "likes": None,
                                  "comments": None, "dropped": f"confidence below {MIN_CONFIDENCE:g}"})
        out["caption"] = caption_section(cap, entries[len(kept):])
        out.setdefault("factors", {}).setdefault("format_factor", 1.0)
        out["factors"].setdefault("caption_factor", 1.0)
        out.setdefault("format", {"media_type": media_type, "product_type": product_type,
                                  "likes_factor": 1.0, "comments_factor": 1.0})
        out.setdefault("formats", same_for_every_format(out, self.format_posts()))
        for key in ("likes", "comments"):
            v = out.get(key)
            if v is not None and not math.isfinite(v):
                out[key] = None
        return out

    def format_posts(self) -> dict:
        ridge = self.models.get(DEFAULT_KIND) or {}
        return (ridge.get("likes") or {}).get("format_posts") or {}


_CACHE: "OrderedDict[int, tuple[dict, Model]]" = OrderedDict()
_CACHE_SIZE = 64


def load(model_doc: dict) -> Model:
    """Prepare a model document for predictions (cached per document object; a document
    changed in place after its first use must be loaded anew with Model(doc))."""
    key = id(model_doc)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is model_doc:
        _CACHE.move_to_end(key)
        return hit[1]
    m = Model(model_doc)
    _CACHE[key] = (model_doc, m)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return m


def predict(model_doc: dict, labels: list[tuple[str, float]], *, kind: str | None = None,
            when: datetime | None = None, product_type: str | None = None, media_type: str | None = None,
            caption: str | None = None) -> dict:
    """Predict likes and comments for an image with these (name, confidence) labels, posted as
    this format (default IMAGE/FEED) with this caption text (None: not given)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    return load(model_doc).predict(labels, kind=kind, when=when, product_type=product_type,
                                   media_type=media_type, caption=caption)


def coefficients(model_doc: dict) -> dict:
    """The label_mean coefficients: {label: {"likes", "comments", "count"}}."""
    lm = (model_doc.get("models") or {}).get("label_mean") or {}
    return {e["label"]: {"likes": e["likes"], "comments": e["comments"], "count": e["count"]}
            for e in lm.get("labels") or []}
