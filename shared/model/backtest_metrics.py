"""The backtest's time split and metrics (numpy only)."""
from __future__ import annotations

import numpy as np

#: Accounts (users) with fewer posts than this are not backtested.
MIN_BACKTEST_POSTS = 10
TRAIN_FRACTION = 0.8


def split_index(n: int) -> int:
    """Posts sorted by time: the first int(0.8 n) train, the rest test."""
    return int(TRAIN_FRACTION * n)


def time_split(items: list, key=None) -> tuple[list, list]:
    """Sort by time (key, default .timestamp) and split oldest 80% / newest 20%."""
    key = key or (lambda p: p.timestamp)
    items = sorted(items, key=key)
    cut = split_index(len(items))
    return items[:cut], items[cut:]


def mae(actual, predicted) -> float:
    a, p = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    return float(np.mean(np.abs(a - p))) if a.size else 0.0


def mae_log(actual, predicted) -> float:
    a, p = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if not a.size:
        return 0.0
    return float(np.mean(np.abs(np.log1p(np.maximum(a, 0)) - np.log1p(np.maximum(p, 0)))))


def rankdata(x) -> np.ndarray:
    """Ranks 1..n, ties given their average rank."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(n, dtype=np.float64)
    if n == 0:
        return ranks
    # boundaries of runs of equal values
    new = np.concatenate(([True], xs[1:] != xs[:-1]))
    starts = np.nonzero(new)[0]
    ends = np.concatenate((starts[1:], [n]))
    avg = (starts + ends - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def spearman(actual, predicted) -> float:
    """Spearman's rank correlation; 0 when either side is constant (or fewer than 2 values)."""
    a, p = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if a.size < 2 or np.all(a == a[0]) or np.all(p == p[0]):
        return 0.0
    ra, rp = rankdata(a), rankdata(p)
    ra -= ra.mean()
    rp -= rp.mean()
    den = float(np.sqrt((ra @ ra) * (rp @ rp)))
    return float(ra @ rp / den) if den > 0 else 0.0


#: The simple rules every model must beat (docs/model.md).
BASELINES: tuple[str, ...] = ("label_mean", "user_mean", "recent_median")


def best_baseline(figures: dict, key=lambda fig: fig["mae_log"]) -> str | None:
    """The baseline kind with the lowest key(figures[kind]) among those present, or None."""
    present = [k for k in BASELINES if k in figures]
    return min(present, key=lambda k: key(figures[k])) if present else None


def count_range(pred, spread) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """The 80% range of counts around predictions: a log-space spread, whole numbers rounded outwards."""
    if not spread:
        return None, None
    base = np.log1p(np.asarray(pred, dtype=np.float64))
    return (np.maximum(np.floor(np.expm1(base + spread[0])), 0.0),
            np.maximum(np.ceil(np.expm1(base + spread[1])), 0.0))


def coverage(actual, lo, hi) -> float:
    """Share of actual counts inside [lo, hi]; a range of counts is whole numbers (rounded outwards)."""
    a = np.asarray(actual, dtype=np.float64)
    if not a.size:
        return 0.0
    return float(np.mean((a >= np.floor(np.asarray(lo))) & (a <= np.ceil(np.asarray(hi)))))


def scores(actual, predicted) -> dict:
    """{"mae", "mae_log", "spearman"} of one account's test posts (nan actuals ignored)."""
    a, p = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    ok = ~np.isnan(a) & ~np.isnan(p)
    a, p = a[ok], p[ok]
    return {"mae": mae(a, p), "mae_log": mae_log(a, p), "spearman": spearman(a, p), "n": int(a.size)}
