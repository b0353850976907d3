"""The data of the model card's accuracy chart (GET /api/v1/model → "chart").

    {"posts":   [{"t", "likes"}],              the account's posts (newest MAX_POINTS), likes
     "level":   [{"t", "likes"}],              the served model's level as it stood at each post
     "holdout": {"train_posts", "test_posts", "covered", "mae_log", "baseline": {"kind", "mae_log"},
                 "points": [{"t", "actual", "predicted", "low", "high"}]} | None,
     "summary": "..."}                         the same in words (screen readers, the text beside it)

Holdout: the served kind fitted on the oldest 80% of the posts and asked for the newest 20%,
with its 80% range: the backtest the card reports, drawn point by point.
"""
from __future__ import annotations

import math

import numpy as np

from .backtest_metrics import MIN_BACKTEST_POSTS, best_baseline, mae_log, split_index
from .data import Encoded, from_days

MAX_POINTS = 300


def _iso(days: float) -> str:
    return from_days(days).isoformat().replace("+00:00", "Z")


def holdout(enc: Encoded, predicted, backtest: dict | None) -> dict | None:
    """predicted: the backtest's (likes, low, high) for the newest 20% (backtest_encoded's
    held_out), None when there was no backtest."""
    if enc.n < MIN_BACKTEST_POSTS or predicted is None:
        return None
    cut = split_index(enc.n)
    test = enc.tail(cut)
    pl, lo, hi = predicted
    points = []
    covered = 0
    for i in range(test.n):
        p: dict = {"t": _iso(float(test.t[i])), "actual": int(test.likes[i]), "predicted": round(float(pl[i]), 1),
             "low": None if lo is None else round(float(lo[i]), 1),
             "high": None if hi is None else round(float(hi[i]), 1)}
        covered += int(lo is not None and p["low"] <= p["actual"] <= p["high"])
        points.append(p)
    out = {"train_posts": cut, "test_posts": test.n, "covered": covered,
           "mae_log": mae_log(test.likes, pl), "points": points[-MAX_POINTS:], "baseline": None}
    best = best_baseline(backtest) if backtest else None
    if best and backtest:
        out["baseline"] = {"kind": best, "mae_log": backtest[best]["mae_log"]}
    return out


def summary(enc: Encoded, level: list, ho: dict | None, unit: str = "likes") -> str:
    """In words; `unit`: what the counts are (likes, or reach, views, saves, shares: shared.model.post_metrics)."""
    words = [f"{enc.n} posts from {_iso(float(enc.t[0]))[:10]} to {_iso(float(enc.t[-1]))[:10]}, "
             f"median {int(np.median(enc.likes))} {unit}."]
    if level:
        first, last = level[0][1], level[-1][1]
        words.append(f"The model's level went from about {first:.0f} to {last:.0f} {unit} a post.")
    if ho:
        words.append(f"Trained on the oldest {ho['train_posts']} posts, it predicted the newest {ho['test_posts']}: "
                     f"typically within x{math.exp(ho['mae_log']):.2f} of the actual {unit}, and "
                     f"{ho['covered']} of {ho['test_posts']} inside the 80% range.")
        if ho.get("baseline"):
            b = ho["baseline"]
            words.append(
                f"The best simple rule ({b['kind'].replace('_', ' ')}) was within x{math.exp(b['mae_log']):.2f}."
            )
    else:
        words.append(f"Too few posts (under {MIN_BACKTEST_POSTS}) to hold any out and check the predictions.")
    return " ".join(words)


def chart_data(enc: Encoded, level: list[tuple[float, float]], held_out, backtest: dict | None,
               unit: str = "likes") -> dict:
    first = max(0, enc.n - MAX_POINTS)
    ho = holdout(enc, held_out, backtest)
    return {
        "posts": [{"t": _iso(float(t)), "likes": int(v)}
                  for t, v in zip(enc.t[first:], enc.likes[first:], strict=True)],
        "level": [{"t": _iso(t), "likes": round(v, 1)} for t, v in level],
        "holdout": ho,
        "summary": summary(enc, level, ho, unit),
    }
