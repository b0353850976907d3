"""The default model: a recency-weighted ridge regression of log1p(likes), averaged over half-lives.

For one post, in log space (y = log1p(likes)):

    ŷ = level + Σ_labels β_j·c_j + β_gap·log1p(hours since the previous post) + β_type[product type]
          + β_sin·sin(2π·hour/24) + β_cos·cos(2π·hour/24)

Every setting is fixed, the same for every account (no per-account search over a handful of
posts, which picks noise): labels shrunk by a ridge penalty of LABEL_PENALTY, the spacing of
posts and the product type (FEED, REELS) by their own penalties. Posts are weighted by
recency, halving every h posts; rather than choose h per account, the model averages the
fits for every h in HALF_LIVES (5, 10, 20, 40 posts and no decay). As each fit is linear,
the average is one linear model: level = mean of the fits' levels, β = mean of their
coefficients, so a prediction still lists what each label contributed. Each fit also draws
a heavily shrunk line through its posts and reads its level at the newest post (no
extrapolation beyond it): a long window does not lag a steadily growing account. The hour of posting (UTC:
a user's time zone only shifts the curve's phase) enters as one smooth daily curve. Each fit's level is
the weighted median of y − Xβ (the point prediction is a median: it minimises absolute error).

The 80% range is conformal: residuals of the account's own posts predicted from the posts
before them (origins at 60–90% of the history, each predicting the next 20%, the horizon a
model serves before it is retrained), their 10th and 90th percentiles pooled with a prior
range (SPREAD_PRIOR, worth SPREAD_PRIOR_WEIGHT residuals) where an account has few.

Measured on real accounts: docs/model.md (`python bench/model_quality.py`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, cg

from .data import Encoded
from .threads import single_threaded

KIND = "ridge"
HALF_LIVES: tuple[float | None, ...] = (5.0, 10.0, 20.0, 40.0, None)  # in posts; None: all alike
LABEL_PENALTY = 3.0  # ridge penalty of a label's effect (confidence 1.0 counts 1)
GAP_PENALTY = 100.0  # the spacing of posts matters a little, never much
TYPE_PENALTY = 3.0
HOUR_PENALTY = 100.0  # like the spacing: a small effect, kept small
MAX_GAP_HOURS = 60 * 24.0
#: Weight 0.5**(age/h) falls under 1e-9 past 30 h posts: those rows are left out of the fit.
HORIZON_HALF_LIVES = 30
#: "No decay" means the newest MAX_WINDOW posts alike: a history of years is not one level, and
#: it keeps a fit of 100k posts to seconds.
MAX_WINDOW = 2000
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
GAP = "gap"  # feature names besides the labels
TYPE_PREFIX = "type:"
HOUR = ["hour_sin", "hour_cos"]
#: Each fit also draws a line through its posts and reads its level at the newest one (never
#: extrapolated beyond), so a long window does not lag a growing account. The slope is per
#: TREND_SCALE posts and shrunk hard: only a long, steady trend moves it.
TREND_PENALTY = 100.0
TREND_SCALE = 20.0


# ----------------------------------------------------------------------------- features

def gap_hours(t_days: np.ndarray, previous_days: float | None = None) -> np.ndarray:
    """Hours since the previous post (the first post: since previous_days, else unknown = nan)."""
    t = np.asarray(t_days, dtype=np.float64)
    if t.size == 0:
        return t.copy()
    first = np.nan if previous_days is None else (t[0] - previous_days) * 24.0
    return np.concatenate(([first], np.diff(t) * 24.0))


def gap_feature(hours: np.ndarray, typical_hours: float) -> np.ndarray:
    h = np.where(np.isfinite(hours), hours, typical_hours)
    return np.log1p(np.clip(h, 0.0, MAX_GAP_HOURS))


def hour_features(t_days) -> np.ndarray:
    """(n, 2): sin and cos of the UTC time of day of each post."""
    ang = 2.0 * np.pi * (np.asarray(t_days, dtype=np.float64) % 1.0)
    return np.column_stack((np.sin(ang), np.cos(ang)))


def typical_gap(hours: np.ndarray) -> float:
    h = np.asarray(hours, dtype=np.float64)
    h = h[np.isfinite(h)]
    return float(np.median(h)) if h.size else 24.0


def _weighted_median(v: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(v, kind="mergesort")
    cw = np.cumsum(w[o])
    return float(v[o][min(int(np.searchsorted(cw, 0.5 * cw[-1])), v.size - 1)])


def _weighted_medians(v: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """`_weighted_median(v, w)` for each row w of `weights`, sorting v once."""
    o = np.argsort(v, kind="mergesort")
    cw = np.cumsum(weights[:, o], axis=1)
    return v[o][np.minimum((cw < 0.5 * cw[:, -1:]).sum(axis=1), v.size - 1)]


def _half_life_weights(n: int) -> np.ndarray:
    """One row per HALF_LIVES entry: the weights of n posts, the newest last."""
    age = np.arange(n - 1, -1, -1, dtype=np.float64)
    return np.vstack([np.ones(n) if h is None else np.power(0.5, age / h) for h in HALF_LIVES])


class _Design:
    """The columns of one target's fit: the labels seen on its posts, the gap, the types."""

    def __init__(self, enc: Encoded, rows: np.ndarray):
        lab_rows = np.isin(enc.post_of, rows) if enc.lab.size else np.zeros(0, dtype=bool)
        used = np.unique(enc.lab[lab_rows]) if enc.lab.size else np.zeros(0, dtype=np.int64)
        self.labels = [enc.vocab[j] for j in used.tolist()]
        types = sorted({p for p in enc.ptype[rows].tolist() if p and p != "FEED"})
        self.types = types
        self.names = self.labels + [GAP] + [TYPE_PREFIX + p for p in types] + HOUR
        self.penalty = np.concatenate((np.full(len(self.labels), LABEL_PENALTY), [GAP_PENALTY],
                                       np.full(len(types), TYPE_PENALTY), np.full(len(HOUR), HOUR_PENALTY)))

    def matrix(self, enc: Encoded, gap: np.ndarray) -> sparse.csr_matrix:
        """Rows: every post of enc; columns: self.names."""
        index = {name: i for i, name in enumerate(self.labels)}
        vmap = np.array([index.get(v, -1) for v in enc.vocab], dtype=np.int64)
        col = vmap[enc.lab] if enc.lab.size else np.zeros(0, dtype=np.int64)
        keep = col >= 0
        rows = [enc.post_of[keep], np.arange(enc.n)]
        cols = [col[keep], np.full(enc.n, len(self.labels))]
        vals = [enc.conf[keep], gap]
        for k, p in enumerate(self.types):
            hit = np.nonzero(enc.ptype == p)[0]
            rows.append(hit)
            cols.append(np.full(hit.size, len(self.labels) + 1 + k))
            vals.append(np.ones(hit.size))
        first_hour = len(self.labels) + 1 + len(self.types)
        for k, v in enumerate(hour_features(enc.t).T):
            rows.append(np.arange(enc.n))
            cols.append(np.full(enc.n, first_hour + k))
            vals.append(v)
        return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                 shape=(enc.n, len(self.names)))


def _fit_member(X, y: np.ndarray, penalty: np.ndarray, half_life: float | None):
    """(level at the newest post, β) of one recency-weighted ridge fit (X: numpy or scipy.sparse)."""
    n = y.size
    window = MAX_WINDOW if half_life is None else min(MAX_WINDOW, int(HORIZON_HALF_LIVES * half_life))
    start = max(0, n - window)
    X, y = X[start:], y[start:]
    age = np.arange(y.size - 1, -1, -1, dtype=np.float64)
    w = np.ones(y.size) if half_life is None else np.power(0.5, age / half_life)
    slope = (-age / TREND_SCALE)[:, None]  # 0 at the newest post: the level is read there
    X = sparse.hstack([X, sparse.csr_matrix(slope)]).tocsr() if sparse.issparse(X) else np.hstack([X, slope])
    penalty = np.append(penalty, TREND_PENALTY)
    sw = w.sum()
    xm = np.ravel(X.T @ w) / sw
    ym = float(w @ y) / sw
    rhs = np.ravel(X.T @ (w * y)) - sw * xm * ym
    beta = _solve(X, w, sw, xm, penalty, rhs)
    level = _weighted_median(y - X @ beta, w)
    return level, beta[:-1]


DIRECT_MAX = 400  # columns up to which the normal equations are solved directly
DENSE_MAX = 2_000_000  # cells up to which the design matrix is kept dense (and solved directly)


def _solve(X, w, sw, xm, penalty, rhs) -> np.ndarray:
    """β of the centred, weighted ridge: (Xᵀ W X − sw·x̄x̄ᵀ + diag(penalty)) β = rhs.

    Few columns: a dense solve. Many (a vocabulary of thousands of labels): conjugate
    gradients on the sparse operator, never forming the p×p matrix (the system is positive
    definite: every penalty is > 0)."""
    p = rhs.size
    if p == 0:
        return np.zeros(0)
    if p <= DIRECT_MAX:
        xtwx = (X.T @ X.multiply(w[:, None])).toarray() if sparse.issparse(X) else X.T @ (X * w[:, None])
        gram = xtwx - sw * np.outer(xm, xm)
        gram[np.diag_indices_from(gram)] += penalty
        return np.linalg.solve(gram, rhs)
    Xt = X.T.tocsr() if sparse.issparse(X) else X.T

    def matvec(v):
        v = np.ravel(v)
        return Xt @ (w * (X @ v)) - sw * xm * float(xm @ v) + penalty * v

    # Jacobi preconditioner: the diagonal of the system (label counts vary by orders of magnitude)
    sq = X.multiply(X) if sparse.issparse(X) else X * X
    diag = np.ravel(sq.T @ w) - sw * xm * xm + penalty
    inv = 1.0 / np.maximum(diag, 1e-12)
    op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
    pre = LinearOperator((p, p), matvec=lambda v: inv * np.ravel(v), dtype=np.float64)
    beta, _ = cg(op, rhs, rtol=1e-9, atol=0.0, maxiter=2000, M=pre)
    return beta


def _fit_target(enc: Encoded, values: np.ndarray, residuals: bool = True) -> dict | None:
    rows = np.nonzero(~np.isnan(values))[0]
    if rows.size == 0:
        return None
    total, whole_values = int(rows.size), values
    if rows.size > MAX_WINDOW:  # no fit reads further back: leave the older posts out
        first = int(rows[-MAX_WINDOW])
        previous = float(enc.t[first - 1]) if first > 0 else None
        whole, enc, values = enc, enc.tail(first), values[first:]
        rows = np.nonzero(~np.isnan(values))[0]
    else:
        whole, previous = enc, None
    design = _Design(enc, rows)
    hours = gap_hours(enc.t, previous)
    typical = typical_gap(hours[rows])
    X = design.matrix(enc, gap_feature(hours, typical))[rows]
    if X.shape[0] * X.shape[1] <= DENSE_MAX and X.shape[1] <= DIRECT_MAX:
        X = X.toarray()  # small accounts: plain numpy beats sparse bookkeeping
    y = np.log1p(values[rows])
    members = [_fit_member(X, y, design.penalty, h) for h in HALF_LIVES]
    level = float(np.mean([m[0] for m in members]))
    beta = np.mean([m[1] for m in members], axis=0) if design.names else np.zeros(0)
    nl, nt = len(design.labels), len(design.types)
    counts = (np.count_nonzero(X[:, :nl], axis=0) if not sparse.issparse(X) else np.diff(X[:, :nl].tocsc().indptr)) \
        if nl else np.zeros(0, dtype=int)
    part = {
        "level": level, "posts": total, "window_posts": int(rows.size),
        "effects": [{"label": name, "effect": float(b), "count": int(c)}
                    for name, b, c in zip(design.labels, beta[:nl].tolist(), counts.tolist())],
        "gap_effect": float(beta[nl]), "typical_gap_hours": typical,
        "type_effects": {p: float(b) for p, b in zip(design.types, beta[nl + 1:nl + 1 + nt].tolist())},
        "hour_effect": [float(b) for b in beta[nl + 1 + nt:nl + 3 + nt]],
        "last_post_days": float(enc.t[rows[-1]]),
    }
    if residuals:
        part["spread"] = _conformal_spread(whole, whole_values)
    return part


def _conformal_spread(enc: Encoded, values: np.ndarray) -> list[float]:
    """10th/90th percentiles of held-out log errors, pooled with SPREAD_PRIOR."""
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
        part = _fit_target(train, tv, residuals=False)
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
    doc = {"kind": KIND, "half_lives": [h for h in HALF_LIVES],
           "penalties": {"label": LABEL_PENALTY, "gap": GAP_PENALTY, "type": TYPE_PENALTY}}
    for target, values in (("likes", enc.likes), ("comments", enc.comments)):
        doc[target] = _fit_target(enc, values)
    doc["spread"] = {t: (doc[t]["spread"] if doc[t] else None) for t in ("likes", "comments")}
    return doc


# ----------------------------------------------------------------------------- predict

class _Part:
    def __init__(self, d: dict):
        self.level = float(d["level"])
        self.index = {e["label"]: i for i, e in enumerate(d["effects"])}
        self.eff = np.array([e["effect"] for e in d["effects"]], dtype=np.float64)
        self._eff_l = self.eff.tolist()
        self.gap = float(d["gap_effect"])
        self.typical = float(d["typical_gap_hours"])
        self.types = dict(d.get("type_effects") or {})
        self.last = float(d["last_post_days"])
        self.hour = np.asarray(d.get("hour_effect") or [0.0, 0.0], dtype=np.float64)
        self.spread = d.get("spread")

    def hour_part(self, when_days: float | None) -> float:
        """The time of day's effect; 0 when the time is unknown (the curve's mean over a day)."""
        return 0.0 if when_days is None else float(hour_features([when_days])[0] @ self.hour)

    def gap_part(self, hours: float | None) -> float:
        h = self.typical if hours is None or not math.isfinite(hours) else hours
        return self.gap * math.log1p(min(max(h, 0.0), MAX_GAP_HOURS))


def _batch(part: _Part, enc: Encoded) -> np.ndarray:
    """log1p predictions for the posts of enc (the first one's gap from the part's last post)."""
    vmap = np.array([part.index.get(v, -1) for v in enc.vocab], dtype=np.int64)
    j = vmap[enc.lab] if enc.lab.size else np.zeros(0, dtype=np.int64)
    m = j >= 0
    lab = np.bincount(enc.post_of[m], weights=enc.conf[m] * part.eff[j[m]], minlength=enc.n)
    gap = part.gap * gap_feature(gap_hours(enc.t, part.last), part.typical)
    typ = np.array([part.types.get(p, 0.0) if p else 0.0 for p in enc.ptype.tolist()])
    return part.level + lab + gap + typ + hour_features(enc.t) @ part.hour


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

    def _one(self, part: _Part, labels, when_days, product_type):
        contrib = []
        for name, c in labels:
            i = part.index.get(name)
            contrib.append(None if i is None else part._eff_l[i] * (c / 100.0))
        hours = None if when_days is None else (when_days - part.last) * 24.0
        gap = part.gap_part(hours)
        typ = part.types.get(product_type, 0.0) if product_type else 0.0
        hour = part.hour_part(when_days)
        y = part.level + sum(v for v in contrib if v is not None) + gap + typ + hour
        point = max(math.expm1(y), 0.0)
        # a label's share: the likes the prediction would lose without it, and its factor
        lost = [None if v is None else point - max(math.expm1(y - v), 0.0) for v in contrib]
        factors = [None if v is None else math.exp(v) for v in contrib]
        return {"point": point, "range": _range(y, part.spread), "lost": lost, "factors": factors,
                "level": max(math.expm1(part.level + gap + typ + hour), 0.0),
                "features": {"gap_factor": math.exp(gap - part.gap_part(None)), "type_factor": math.exp(typ),
                             "hour_factor": math.exp(hour)}}

    def predict(self, labels, when_days=None, product_type=None) -> dict:
        lp, cp = self.parts["likes"], self.parts["comments"]
        matched = [lp.index.get(name) is not None for name, _ in labels]
        lk = self._one(lp, labels, when_days, product_type)
        cm = self._one(cp, labels, when_days, product_type) if cp is not None else None
        entries = []
        for i, (name, c) in enumerate(labels):
            entries.append({"name": name, "confidence": float(c), "matched": matched[i],
                            "likes": lk["lost"][i], "comments": cm["lost"][i] if cm else None,
                            "likes_factor": lk["factors"][i], "comments_factor": cm["factors"][i] if cm else None})
        return {"kind": self.kind, "likes": lk["point"], "comments": cm["point"] if cm else None,
                "likes_range": lk["range"], "comments_range": cm["range"] if cm else None,
                "fallback": not any(matched), "labels": entries,
                "level": {"likes": lk["level"], "comments": cm["level"] if cm else None},
                "factors": lk["features"]}

    def predict_batch(self, enc: Encoded):
        pl = np.maximum(np.expm1(_batch(self.parts["likes"], enc)), 0.0)
        cp = self.parts["comments"]
        pc = np.maximum(np.expm1(_batch(cp, enc)), 0.0) if cp is not None else np.full(enc.n, np.nan)
        return pl, pc


# ----------------------------------------------------------------------------- the level through time

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
