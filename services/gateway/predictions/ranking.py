"""Ranking several candidate photos by what the person cares about: likes (the default), or
reach, views, saves or shares where their model has that metric (shared.model.post_metrics)."""
from __future__ import annotations

from services.gateway.http.errors import ApiError
from shared.model.post_metrics import METRICS, WORDS

#: What check() reads of the newest model (not the metrics' own models and charts).
PROJECTION = {f"metrics.{m}.{key}": 1 for m in METRICS for key in ("available", "reason", "why")}


def check(model: dict | None, rank_by: str) -> None:
    """Before anything is stored: 409 when the newest model cannot rank by `rank_by`."""
    if model is None or rank_by == "likes":
        return
    entry = (model.get("metrics") or {}).get(rank_by)
    if entry is None:
        raise ApiError(409, "metric_not_predicted", f"Your model does not predict {rank_by}: it was built before "
                                                    "Likely read insights. Train again.")
    if not entry.get("available"):
        why = entry.get("why") or WORDS.get(entry.get("reason", ""), "")
        raise ApiError(409, "metric_not_predicted", f"Your model does not predict {rank_by}: {why}.")


def score(view: dict, rank_by: str) -> float | None:
    if rank_by == "likes":
        return view.get("likes")
    metric = (view.get("metrics") or {}).get(rank_by) or {}
    return metric.get("value") if metric.get("available") else None


def rank(views: list[dict], rank_by: str) -> list[dict]:
    """Best first by `rank_by` (a prediction without it last), each with its `rank` and `rank_by`."""
    scores = {id(v): score(v, rank_by) for v in views}
    ranked = sorted(views, key=lambda v: (scores[id(v)] is not None, scores[id(v)] or 0), reverse=True)
    for n, v in enumerate(ranked, 1):
        v["rank"], v["rank_by"] = n, rank_by
    return ranked
