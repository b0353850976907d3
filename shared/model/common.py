"""Helpers shared by the model kinds: ranges in log space, prediction entries."""
from __future__ import annotations

import math

import numpy as np

Z80 = 1.2815515655446004  # the 90th percentile of the standard normal

def _f(x) -> float | None:
    """A float fit for a document (None for nan/inf)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _spread(residuals: np.ndarray, inflate: float = 1.0, default: float = 0.7) -> list[float]:
    """The 10th and 90th percentiles of log-space errors: an 80% range around a prediction."""
    r = np.asarray(residuals, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size >= 8:
        lo, hi = np.quantile(r, [0.1, 0.9])
    elif r.size >= 2:
        sd = float(np.std(r, ddof=1))
        lo, hi = -Z80 * sd, Z80 * sd
    else:
        lo, hi = -default, default
    lo, hi = min(float(lo) * inflate, -0.05), max(float(hi) * inflate, 0.05)
    return [lo, hi]


def _range(point: float | None, spread) -> list[float] | None:
    if point is None or spread is None:
        return None
    base = math.log1p(max(point, 0.0))
    return [max(math.expm1(base + spread[0]), 0.0), max(math.expm1(base + spread[1]), 0.0)]


def _log_resid(actual: np.ndarray, pred: np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(actual, 0)) - np.log1p(np.maximum(pred, 0))


def _label_entries(labels, matched, likes=None, comments=None, extra=None):
    out = []
    for i, (name, c) in enumerate(labels):
        e = {"name": name, "confidence": float(c), "matched": bool(matched[i]),
             "likes": None if likes is None else likes[i],
             "comments": None if comments is None else comments[i]}
        if extra:
            for key, vals in extra.items():
                e[key] = vals[i]
        out.append(e)
    return out
