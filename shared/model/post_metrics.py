"""The metrics Instagram reports beside likes (reach, views, saves, shares), fitted and
predicted as likes are: for each metric an account has enough posts of, the default model
(`build_model`, the same fixed settings) fitted on those posts' counts, with its backtest, its
80% range and its accuracy chart; for each other metric, why not.

    fit_metrics(posts, readings)   # the builder: {metric: {"available", "posts", "missing", ...}}
    predict_metrics(doc, labels, media_type=..., product_type=..., caption=...)   # the inferer

A post's metric is trained on only when it was read and settled (48 hours or more after the
post): a missing metric is never 0 (shared.instagram.media_insights says why it is missing).
The model document keeps, per metric, the served kind's parameters only.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from shared.instagram.media_insights import METRICS as METRIC_NAMES
from shared.instagram.media_insights import REASON_WORDS, PostInsights

from . import DEFAULT_KIND, TrainingPost, build_model, load

#: Likely's names of the metrics, in the order they are shown.
METRICS: tuple[str, ...] = tuple(METRIC_NAMES)
#: What a person may rank candidate photos by.
RANK_BY: tuple[str, ...] = ("likes", *METRICS)
#: Posts with a settled count a metric needs before it is fitted (the backtest's minimum too).
MIN_POSTS = 10
#: Why a metric is not in a model, beside the readings' own reasons.
NOT_READ = "not_read"  # no reading at all: insights off, or a model built before Likely read them
NOT_ENOUGH_POSTS = "not_enough_posts"
WORDS = {**REASON_WORDS, NOT_READ: "its insights were not read"}


def _why(metric: str, known: int, missing: Counter) -> str:
    parts = [f"{n} {WORDS.get(reason, reason)}" for reason, n in missing.most_common()]
    head = f"{metric}: {known} of your posts have it, {MIN_POSTS} needed"
    return head + (f" ({'; '.join(parts)})" if parts else "")


def _reason(known: int, missing: Counter) -> str:
    """The one reason a person reads first: the readings' own when no post has the metric."""
    if known or not missing:
        return NOT_ENOUGH_POSTS
    return missing.most_common(1)[0][0]


def _slim(doc: dict) -> dict:
    """The metric's model document with the served kind alone (the others were only backtested)."""
    keep = ("kind", "backtest", "selection", "training_size", "mean_likes", "first_post", "last_post", "chart",
            "min_confidence")
    return {**{k: doc[k] for k in keep if k in doc}, "models": {doc["kind"]: doc["models"][doc["kind"]]}}


def fit_metrics(posts: list[TrainingPost], readings: dict[str, PostInsights], *,
                now: datetime | None = None) -> dict:
    """{metric: entry} for the posts the likes model trains on; `readings`: media id → its
    reading (absent: never read). An entry: {"available", "posts" (with a settled count),
    "missing": {reason: posts}, and "model" (available) or "reason" and "why" (not)}."""
    out = {}
    for metric in METRICS:
        known: list[TrainingPost] = []
        missing: Counter = Counter()
        for p in posts:
            reading = readings.get(p.media_id)
            value = reading.value(metric) if reading else None
            if value is None:
                missing[str(reading.reason(metric)) if reading else NOT_READ] += 1
            else:
                known.append(replace(p, likes=value, comments=None))
        entry: dict = {"posts": len(known), "missing": dict(missing)}
        if len(known) >= MIN_POSTS:
            entry.update(available=True, model=_slim(build_model(known, now=now, unit=metric)))
        else:
            entry.update(available=False, reason=_reason(len(known), missing), why=_why(metric, len(known), missing))
        out[metric] = entry
    return out


def unavailable(reason: str, why: str) -> dict:
    return {"available": False, "reason": reason, "why": why, "posts": 0}


def _effects(entries: list[dict]) -> list[dict]:
    return [{"name": e["name"], "matched": e.get("matched", False), "effect": e.get("likes"),
             "factor": e.get("likes_factor")} for e in entries if not e.get("dropped")]


def _backtest(model: dict) -> dict | None:
    bt = (model.get("backtest") or {}).get(model["kind"])
    if not bt:
        return None
    return {k: bt.get(k) for k in ("mae", "mae_log", "spearman", "coverage_80", "test_posts", "train_posts")}


def predict_metrics(doc: dict, labels: list[tuple[str, float]], *, media_type: str | None = None,
                    product_type: str | None = None, caption: str | None = None) -> dict:
    """{metric: prediction} for an image with these labels, as this format and caption:
    {"available": true, "value", "range", "level", "labels": [{name, matched, effect, factor}],
    "hashtags": [...], "factors", "format_factor", "posts", "backtest"} or {"available": false,
    "reason", "why", "posts"}."""
    entries = doc.get("metrics")
    if entries is None:
        return {m: unavailable(NOT_READ, f"{m}: this model was built before Likely read insights; train again")
                for m in METRICS}
    out = {}
    for metric in METRICS:
        entry = entries.get(metric) or {}
        if not entry.get("available"):
            out[metric] = {**unavailable(entry.get("reason", NOT_READ), entry.get("why") or WORDS[NOT_READ]),
                           "posts": int(entry.get("posts") or 0)}
            continue
        model = entry["model"]
        p = load(model).predict(labels, kind=DEFAULT_KIND, media_type=media_type, product_type=product_type,
                                caption=caption)
        out[metric] = {
            "available": True, "value": p["likes"], "range": p["likes_range"], "level": p["level"]["likes"],
            "labels": _effects(p["labels"]), "hashtags": _effects(p["caption"]["hashtags"]),
            "factors": p["factors"], "format_factor": p["format"]["likes_factor"], "posts": int(entry["posts"]),
            "backtest": _backtest(model),
        }
    return out


def summary(doc: dict) -> dict | None:
    """GET /api/v1/model's `metrics`: per metric, what it was trained on, its backtest and its
    accuracy chart, or why it is not there; None for a model built before insights were read."""
    entries = doc.get("metrics")
    if entries is None:
        return None
    out = {}
    for metric in METRICS:
        entry = entries.get(metric) or {}
        base = {"available": bool(entry.get("available")), "posts": int(entry.get("posts") or 0),
                "missing": entry.get("missing") or {}}
        if entry.get("available"):
            model = entry["model"]
            out[metric] = {**base, "kind": model["kind"], "backtest": _backtest(model),
                           "selection": model.get("selection"), "mean": model.get("mean_likes"),
                           "chart": model.get("chart")}
        else:
            out[metric] = {**base, "reason": entry.get("reason", NOT_READ), "why": entry.get("why")}
    return out
