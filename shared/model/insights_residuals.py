"""What the default model leaves unexplained in an account's own posts: the insights' raw material.

A post's residual is log1p(likes) minus the ridge model's in-sample prediction of it, with the
model's own time-of-day curve added back (the timing insight re-estimates time of day, by
weekday and hour, in the person's time zone) and the account's slow drift taken out: the
median residual of the post's neighbours (LOCAL_LEVEL_POSTS on each side), so an account that
grew, or whose newest posts are under-counted, does not make its older posting habits look
worse than its newer ones.
"""
from __future__ import annotations

import numpy as np

from .data import Encoded
from .features import hour_features
from .ridge_predict import _batch, _Part

#: Neighbours on each side whose median residual is the post's local level.
LOCAL_LEVEL_POSTS = 10
#: Residuals beyond this many robust standard deviations (1.4826 MAD) are clipped: one viral
#: post must not make its weekday and hour the best of the week.
CLIP_SD = 3.0


def local_level(r: np.ndarray, half: int = LOCAL_LEVEL_POSTS) -> np.ndarray:
    """For each post, the median of its neighbours' residuals (itself left out)."""
    n = r.size
    out = np.zeros(n)
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        around = np.concatenate((r[lo:i], r[i + 1:hi]))
        out[i] = float(np.median(around)) if around.size else 0.0
    return out


def clip_robust(r: np.ndarray, k: float = CLIP_SD) -> np.ndarray:
    if r.size < 3:
        return r.copy()
    med = float(np.median(r))
    mad = 1.4826 * float(np.median(np.abs(r - med)))
    if mad <= 0:
        return r.copy()
    return np.clip(r, med - k * mad, med + k * mad)


def model_residuals(part: dict, enc: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """(rows, residuals): the posts of enc with a like count, and each one's detrended residual
    (not clipped: clip_robust before averaging them) against the fitted ridge part (`doc["models"]["ridge"]["likes"]`),
    the model's time-of-day curve added back."""
    p = _Part(part)
    rows = np.nonzero(~np.isnan(enc.likes))[0]
    pred = _batch(p, enc)[rows] - hour_features(enc.t[rows]) @ p.hour
    r = np.log1p(enc.likes[rows]) - pred
    return rows, r - local_level(r)
