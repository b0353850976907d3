"""The default model: a recency-weighted ridge regression of log1p(likes), averaged over half-lives.

For one post, in log space (y = log1p(likes)):

    ŷ = level + Σ_labels β_j·c_j + Σ_hashtags β_h + β_gap·log1p(hours since the previous post)
          + β_media[media type] + β_type[product type] + β_mentions·m + β_length·l
          + β_sin·sin(2π·hour/24) + β_cos·cos(2π·hour/24)

Every setting is fixed, the same for every account (no per-account search over a handful of
posts, which picks noise): labels and hashtags shrunk by a ridge penalty, the spacing of
posts, the format (media type IMAGE/VIDEO/CAROUSEL_ALBUM, product type FEED/REELS: IMAGE/FEED
the base, an effect shrunk toward 0 where an account has few posts of a format) and the
caption's numbers (mentions and length, log, centred at the account's typical caption) by
their own. Posts are weighted by recency, halving every h posts; rather than choose h per
account, the model averages the fits for every h in HALF_LIVES (5, 10, 20, 40 posts and no
decay). As each fit is linear, the average is one linear model: level = mean of the fits'
levels, β = mean of their coefficients, so a prediction still lists what each label
contributed. Each fit also draws a heavily shrunk line through its posts and reads its level
at the newest post (no extrapolation beyond it): a long window does not lag a steadily growing
account. The hour of posting (UTC: a user's time zone only shifts the curve's phase) enters as
one smooth daily curve. Each fit's level is the weighted median of y − Xβ (the point
prediction is a median: it minimises absolute error).

The 80% range is conformal: residuals of the account's own posts predicted from the posts
before them (origins at 60–90% of the history, each predicting the next 20%, the horizon a
model serves before it is retrained), their CONFORMAL_LEVELS percentiles pooled with a prior
range (SPREAD_PRIOR, worth SPREAD_PRIOR_WEIGHT residuals) where an account has few.

The fit is in ridge_fit.py, predictions in ridge_predict.py. Measured on real accounts:
docs/model.md (`python bench/model_quality.py`).
"""
from __future__ import annotations

import math

import numpy as np

from .data import Encoded
from .ridge_fit import (
    FORMAT_PENALTY,
    GAP_PENALTY,
    HALF_LIVES,
    HASHTAG_PENALTY,
    LABEL_PENALTY,
    _half_life_weights,
    fit_target,
)
from .ridge_predict import KIND, RidgePredictor, _batch, _Part, level_path
from .solve import _solve, _weighted_median, _weighted_medians
from .threads import single_threaded

__all__ = ["KIND", "HALF_LIVES", "SPREAD_PRIOR", "fit_ridge", "RidgePredictor", "level_path",
           "_half_life_weights", "_weighted_median", "_weighted_medians", "_solve"]

#: The prior 80% range in log space (×0.5 to ×1.8 around the prediction) and its weight, in
#: residuals' worth: wide on purpose, an account with few posts earns a narrower range.
SPREAD_PRIOR = (-0.7, 0.6)
SPREAD_PRIOR_WEIGHT = 10.0
#: Percentiles of the held-out errors taken as the 80% range. Wider than 10/90 on purpose: a
#: history drifts, so the posts after it are further off than its own held-out posts were
#: (10/90 covered 70% of the newest posts on real accounts, 4/96 covers 76-83%: docs/model.md).
CONFORMAL_LEVELS = (0.04, 0.96)
CONFORMAL_ORIGINS = (0.6, 0.7, 0.8, 0.9)
CONFORMAL_HORIZON = 0.2
MIN_ORIGIN_POSTS = 3


def _conformal_spread(enc: Encoded, values: np.ndarray) -> list[float]:
    """CONFORMAL_LEVELS percentiles of held-out log errors, pooled with SPREAD_PRIOR."""
    n = enc.n
    origins = CONFORMAL_ORIGINS if n < 200 else CONFORMAL_ORIGINS[-2:]
    horizon = max(1, math.ceil(CONFORMAL_HORIZON * n))
    res = []
    for cut in sorted({int(f * n) for f in origins}):
        if cut < MIN_ORIGIN_POSTS or cut >= n:
            continue
        train = enc.subset(cut)
        tv = values[:cut]
        if np.count_nonzero(~np.isnan(tv)) < MIN_ORIGIN_POSTS:
            continue
        part = fit_target(train, tv)
        assert part is not None  # enough posts: checked above
        test = enc.tail(cut).subset(min(horizon, n - cut))
        actual = values[cut:cut + test.n]
        pred = _batch(_Part(part), test)
        ok = ~np.isnan(actual)
        res.append(np.log1p(actual[ok]) - pred[ok])
    r = np.concatenate(res) if res else np.zeros(0)
    m = float(r.size)
    lo_a, hi_a = (np.quantile(r, CONFORMAL_LEVELS) if r.size >= 2 else SPREAD_PRIOR)
    lo = (m * float(lo_a) + SPREAD_PRIOR_WEIGHT * SPREAD_PRIOR[0]) / (m + SPREAD_PRIOR_WEIGHT)
    hi = (m * float(hi_a) + SPREAD_PRIOR_WEIGHT * SPREAD_PRIOR[1]) / (m + SPREAD_PRIOR_WEIGHT)
    return [min(lo, -0.05), max(hi, 0.05)]


@single_threaded
def fit_ridge(enc: Encoded) -> dict:
    doc: dict = {"kind": KIND, "half_lives": [h for h in HALF_LIVES],
           "penalties": {"label": LABEL_PENALTY, "hashtag": HASHTAG_PENALTY, "gap": GAP_PENALTY,
                         "format": FORMAT_PENALTY}}
    for target, values in (("likes", enc.likes), ("comments", enc.comments)):
        part = fit_target(enc, values)
        if part is not None:
            part["spread"] = _conformal_spread(enc, values)
        doc[target] = part
    doc["spread"] = {t: (doc[t]["spread"] if doc[t] else None) for t in ("likes", "comments")}
    return doc
