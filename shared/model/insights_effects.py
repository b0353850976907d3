"""What works: the labels, hashtags and formats that lift or lower an account's posts, with the
ridge model's own coefficients (no second model) and intervals for them.

The model's coefficient of a column is the mean of its recency-weighted ridge fits
(ridge_fit.HALF_LIVES). Read as Bayesian fits (a ridge penalty of λ posts' worth is a prior
"no effect", sd σ/√λ), each fit's posterior variance of a coefficient is σ²·[(Xcᵀ W Xc + P)⁻¹]_jj
(σ: the spread of the model's detrended residuals); the interval takes the mean of the fits'
variances: β̄ ± 1.645·sd. It is wide for a label seen on few posts or only on old ones (the
short half-lives barely see them), it accounts for the shrinkage toward 0 (a sampling
interval around a shrunk estimate would not), and the point is the very coefficient the
model predicts with.
Past DIRECT_MAX columns (a vocabulary of hundreds of labels) the variances are computed on the
non-label columns and the DIRECT_MAX labels seen on most posts; the others are left out of
the insights.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from .data import Encoded
from .features import gap_feature, gap_hours, typical_gap
from .ridge_fit import (
    HALF_LIVES,
    HORIZON_HALF_LIVES,
    MAX_WINDOW,
    MEDIA_PREFIX,
    TREND_PENALTY,
    TREND_SCALE,
    TYPE_PREFIX,
    _Design,
)
from .solve import DIRECT_MAX

#: A label or hashtag on fewer posts is not listed: too little to tell anything.
MIN_EFFECT_POSTS = 3
#: The entries kept (ranked by evidence) in the stored insights.
MAX_EFFECTS = 60
Z = 1.6449  # 90% interval


def _posterior_variances(X: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """Per column, the mean over the recency-weighted fits (ridge_fit._fit_member) of
    [(Xcᵀ W Xc + P)⁻¹]_jj: times σ², the coefficient's posterior variance."""
    n, p = X.shape
    out = np.zeros(p)
    for h in HALF_LIVES:
        window = MAX_WINDOW if h is None else min(MAX_WINDOW, int(HORIZON_HALF_LIVES * h))
        start = max(0, n - window)
        m = n - start
        age = np.arange(m - 1, -1, -1, dtype=np.float64)
        w = np.ones(m) if h is None else np.power(0.5, age / h)
        xa = np.hstack([X[start:], (-age / TREND_SCALE)[:, None]])
        xc = xa - (xa.T @ w) / w.sum()
        a = xc.T @ (xc * w[:, None])
        a[np.diag_indices_from(a)] += np.append(penalty, TREND_PENALTY)
        out += np.diag(np.linalg.inv(a))[:-1]
    return out / len(HALF_LIVES)


def _design(part: dict, enc: Encoded):
    """(names, X dense, penalties, label mask, y) of the likes fit as ridge_fit.fit_target built it."""
    rows = np.nonzero(~np.isnan(enc.likes))[0]
    previous = None
    if rows.size > MAX_WINDOW:
        first = int(rows[-MAX_WINDOW])
        previous = float(enc.t[first - 1]) if first > 0 else None
        enc = enc.tail(first)
        rows = np.nonzero(~np.isnan(enc.likes))[0]
    design = _Design(enc, rows)
    hours = gap_hours(enc.t, previous)
    X = design.matrix(enc, gap_feature(hours, typical_gap(hours[rows])))[rows]
    labels = np.zeros(len(design.names), dtype=bool)
    labels[:len(design.labels)] = True
    scale = part.get("label_penalty_scale")
    penalty = np.where(labels, (scale or 1.0) * design.penalty, design.penalty)
    return design.names, X, penalty, labels, np.log1p(enc.likes[rows])


def effect_sds(part: dict, enc: Encoded, sigma: float) -> dict[str, tuple[float, int]]:
    """{column name: (the sd of its coefficient, posts carrying it)} for the labels, hashtags and
    formats of the account's likes fit."""
    names, X, penalty, labels, _ = _design(part, enc)
    counts = np.diff(X.tocsc().indptr) if sparse.issparse(X) else np.count_nonzero(X, axis=0)
    keep = np.ones(len(names), dtype=bool)
    if len(names) > DIRECT_MAX:  # the labels on most posts, and every other column
        label_idx = np.nonzero(labels)[0]
        top = label_idx[np.argsort(-counts[label_idx], kind="mergesort")[:DIRECT_MAX - int((~labels).sum())]]
        keep = ~labels
        keep[top] = True
    cols = np.nonzero(keep)[0]
    Xk = X[:, cols]
    Xk = Xk.toarray() if sparse.issparse(Xk) else np.asarray(Xk)
    sd = sigma * np.sqrt(_posterior_variances(Xk, penalty[cols]))
    return {names[c]: (float(s), int(counts[c])) for c, s in zip(cols.tolist(), sd.tolist(), strict=True)
            if labels[c] or names[c].startswith((MEDIA_PREFIX, TYPE_PREFIX))}


def _entry(name: str, effect: float, sd: float, posts: int) -> dict:
    if name.startswith(MEDIA_PREFIX) or name.startswith(TYPE_PREFIX):
        kind, shown = "format", name.split(":", 1)[1]
    else:
        kind, shown = ("hashtag" if name.startswith("#") else "label"), name
    low, high = effect - Z * sd, effect + Z * sd
    return {"name": shown, "kind": kind, "column": name, "effect": effect, "low": low, "high": high, "sd": sd,
            "factor": float(np.exp(effect)), "factor_low": float(np.exp(low)), "factor_high": float(np.exp(high)),
            "posts": posts, "evidence": bool(low > 0 or high < 0),
            "z": abs(effect) / sd if sd > 0 else 0.0}


def what_works(part: dict, enc: Encoded, sigma: float, limit: int = MAX_EFFECTS) -> list[dict]:
    """The model's label, hashtag and format effects with 90% intervals, ranked by evidence
    (|effect| / sd), those on fewer than MIN_EFFECT_POSTS posts left out."""
    sds = effect_sds(part, enc, sigma)
    coef = {e["label"]: float(e["effect"]) for e in part.get("effects") or []}
    coef.update({MEDIA_PREFIX + m: float(b) for m, b in (part.get("media_effects") or {}).items()})
    coef.update({TYPE_PREFIX + p: float(b) for p, b in (part.get("type_effects") or {}).items()})
    out = [_entry(name, coef[name], sd, posts) for name, (sd, posts) in sds.items()
           if name in coef and posts >= MIN_EFFECT_POSTS]
    out.sort(key=lambda e: (-e["z"], e["name"]))
    return out[:limit]
