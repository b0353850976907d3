"""The default model's fit of one target (likes or comments): the design matrix and the
recency-weighted ridge fits averaged over half-lives (shared.model.ridge says why)."""
from __future__ import annotations

import numpy as np
from scipy import sparse

from .data import Encoded
from .features import (
    CAPTION,
    GAP,
    HOUR,
    caption_columns,
    caption_values,
    gap_feature,
    gap_hours,
    hour_features,
    typical_caption,
    typical_gap,
)
from .formats import BASE_MEDIA, BASE_PRODUCT, format_key
from .solve import DENSE_MAX, DIRECT_MAX, _solve, _weighted_median

HALF_LIVES: tuple[float | None, ...] = (5.0, 10.0, 20.0, 40.0, None)  # in posts; None: all alike
LABEL_PENALTY = 3.0  # ridge penalty of a label's effect (confidence 1.0 counts 1)
HASHTAG_PENALTY = 3.0  # the same for a caption's hashtag
GAP_PENALTY = 100.0  # the spacing of posts matters a little, never much
#: A format's effect (media type, product type) is shrunk toward 0, the prior, by this penalty
#: (in posts' worth of evidence): one format column gathers many posts, so a light prior; a
#: format seen on a post or two of the recency-weighted window stays near 0. 3 -> 1 -> 0.3
#: measured nike2020 0.573 -> 0.551 -> 0.533 and greek2017 0.346 -> 0.343 -> 0.341 (docs/model.md).
FORMAT_PENALTY = 0.3
#: The labels' and hashtags' penalties are scaled, per account, by the multiplier of this grid
#: whose fit has the lowest generalised cross-validation error: an account whose labels tell
#: consistently earns less shrinkage. Under GCV_MIN_POSTS posts the fixed penalties stand.
LABEL_PENALTY_GRID: tuple[float, ...] = (1 / 3, 1.0, 3.0, 10.0)
GCV_MIN_POSTS = 20
HOUR_PENALTY = 100.0  # like the spacing: a small effect, kept small
CAPTION_PENALTY = 100.0  # mentions and caption length: small effects, kept small
#: Weight 0.5**(age/h) falls under 1e-9 past 30 h posts: those rows are left out of the fit.
HORIZON_HALF_LIVES = 30
#: "No decay" means the newest MAX_WINDOW posts alike: a history of years is not one level, and
#: it keeps a fit of 100k posts to seconds.
MAX_WINDOW = 2000
TYPE_PREFIX = "type:"
MEDIA_PREFIX = "media:"
#: Each fit also draws a line through its posts and reads its level at the newest one (never
#: extrapolated beyond), so a long window does not lag a growing account. The slope is per
#: TREND_SCALE posts and shrunk hard: only a long, steady trend moves it.
TREND_PENALTY = 100.0
TREND_SCALE = 20.0
#: A prediction without a caption gets the account's typical caption: the mean effect of the
#: hashtags of its newest TYPICAL_POSTS posts.
TYPICAL_POSTS = 20


def _half_life_weights(n: int) -> np.ndarray:
    """One row per HALF_LIVES entry: the weights of n posts, the newest last."""
    age = np.arange(n - 1, -1, -1, dtype=np.float64)
    return np.vstack([np.ones(n) if h is None else np.power(0.5, age / h) for h in HALF_LIVES])


class _Design:
    """The columns of one target's fit: the labels and hashtags seen on its posts, the gap, the
    format (product types but FEED, media types but IMAGE), the hour, the caption numbers."""

    def __init__(self, enc: Encoded, rows: np.ndarray):
        lab_rows = np.isin(enc.post_of, rows) if enc.lab.size else np.zeros(0, dtype=bool)
        used = np.unique(enc.lab[lab_rows]) if enc.lab.size else np.zeros(0, dtype=np.int64)
        self.labels = [enc.vocab[j] for j in used.tolist()]
        self.types = sorted({p for p in enc.ptype[rows].tolist() if p and p != BASE_PRODUCT})
        self.media = sorted({m for m in enc.mtype[rows].tolist() if m and m != BASE_MEDIA})
        self.caption_typical = typical_caption(caption_values(enc.mentions[rows], enc.caplen[rows]))
        self.names = (self.labels + [GAP] + [TYPE_PREFIX + p for p in self.types]
                      + [MEDIA_PREFIX + m for m in self.media] + HOUR + CAPTION)
        self.hashtags = np.array([name.startswith("#") for name in self.labels], dtype=bool)
        self.penalty = np.concatenate(
            (
                np.where(self.hashtags, HASHTAG_PENALTY, LABEL_PENALTY),
                [GAP_PENALTY],
                np.full(len(self.types) + len(self.media), FORMAT_PENALTY),
                np.full(len(HOUR), HOUR_PENALTY),
                np.full(len(CAPTION), CAPTION_PENALTY),
            )
        )

    def matrix(self, enc: Encoded, gap: np.ndarray) -> sparse.csr_matrix:
        """Rows: every post of enc; columns: self.names."""
        index = {name: i for i, name in enumerate(self.labels)}
        vmap = np.array([index.get(v, -1) for v in enc.vocab], dtype=np.int64)
        col = vmap[enc.lab] if enc.lab.size else np.zeros(0, dtype=np.int64)
        keep = col >= 0
        rows = [enc.post_of[keep], np.arange(enc.n)]
        cols = [col[keep], np.full(enc.n, len(self.labels))]
        vals = [enc.conf[keep], gap]
        at = len(self.labels) + 1
        for values, kinds in ((enc.ptype, self.types), (enc.mtype, self.media)):
            for k, p in enumerate(kinds):
                hit = np.nonzero(values == p)[0]
                rows.append(hit)
                cols.append(np.full(hit.size, at + k))
                vals.append(np.ones(hit.size))
            at += len(kinds)
        dense = np.hstack((hour_features(enc.t),
                           caption_columns(caption_values(enc.mentions, enc.caplen), self.caption_typical)))
        for k, v in enumerate(dense.T):
            rows.append(np.arange(enc.n))
            cols.append(np.full(enc.n, at + k))
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


def gcv_label_penalty(X: np.ndarray, y: np.ndarray, penalty: np.ndarray, labels: np.ndarray):
    """(penalties, the labels' multiplier): the multiplier of the label and hashtag penalties,
    among LABEL_PENALTY_GRID, whose fit (unweighted, with the line) has the lowest generalised
    cross-validation error, n·RSS/(n − df)²; the penalties as they are, and None, under
    GCV_MIN_POSTS posts or without labels (too few to choose from)."""
    n = y.size
    if n < GCV_MIN_POSTS or not labels.any():
        return penalty, None
    age = np.arange(n - 1, -1, -1, dtype=np.float64)
    Xa = np.hstack([X, (-age / TREND_SCALE)[:, None]])
    Xc, yc = Xa - Xa.mean(axis=0), y - y.mean()
    gram, rhs = Xc.T @ Xc, Xc.T @ yc
    best = None
    for lam in LABEL_PENALTY_GRID:
        a = gram.copy()
        a[np.diag_indices_from(a)] += np.append(np.where(labels, lam * penalty, penalty), TREND_PENALTY)
        r = yc - Xc @ np.linalg.solve(a, rhs)
        df = float(np.trace(np.linalg.solve(a, gram))) + 1.0  # + the intercept
        if df < n - 1:
            gcv = n * float(r @ r) / (n - df) ** 2
            if best is None or gcv < best[0]:
                best = (gcv, lam)
    if best is None:
        return penalty, None
    return np.where(labels, best[1] * penalty, penalty), best[1]


def fit_target(enc: Encoded, values: np.ndarray) -> dict | None:
    """One target's part of the model document (no range: ridge.py adds it), None without values."""
    rows = np.nonzero(~np.isnan(values))[0]
    if rows.size == 0:
        return None
    total = int(rows.size)
    formats = _format_counts(enc, rows)
    if rows.size > MAX_WINDOW:  # no fit reads further back: leave the older posts out
        first = int(rows[-MAX_WINDOW])
        previous = float(enc.t[first - 1]) if first > 0 else None
        enc, values = enc.tail(first), values[first:]
        rows = np.nonzero(~np.isnan(values))[0]
    else:
        previous = None
    design = _Design(enc, rows)
    hours = gap_hours(enc.t, previous)
    typical = typical_gap(hours[rows])
    X = design.matrix(enc, gap_feature(hours, typical))[rows]
    if X.shape[0] * X.shape[1] <= DENSE_MAX and X.shape[1] <= DIRECT_MAX:
        X = X.toarray()  # small accounts: plain numpy beats sparse bookkeeping
    y = np.log1p(values[rows])
    penalty, label_penalty = design.penalty, None
    if not sparse.issparse(X):  # a vocabulary of thousands (sparse): the fixed penalties
        labels = np.zeros(penalty.size, dtype=bool)
        labels[:len(design.labels)] = True
        penalty, label_penalty = gcv_label_penalty(X, y, penalty, labels)
    members = [_fit_member(X, y, penalty, h) for h in HALF_LIVES]
    beta = np.mean([m[1] for m in members], axis=0)
    level = float(np.mean([m[0] for m in members]))
    nl, nt, nm = len(design.labels), len(design.types), len(design.media)
    counts = (np.count_nonzero(X[:, :nl], axis=0) if not sparse.issparse(X) else np.diff(X[:, :nl].tocsc().indptr)) \
        if nl else np.zeros(0, dtype=int)
    recent = X[-TYPICAL_POSTS:, :nl]
    typical_tags = float(np.mean(recent @ np.where(design.hashtags, beta[:nl], 0.0))) if nl else 0.0
    at = nl + 1
    part = {
        "level": level, "posts": total, "window_posts": int(rows.size), "label_penalty_scale": label_penalty,
        "effects": [{"label": name, "effect": float(b), "count": int(c)}
                    for name, b, c in zip(design.labels, beta[:nl].tolist(), counts.tolist(), strict=True)],
        "gap_effect": float(beta[nl]), "typical_gap_hours": typical,
        "type_effects": {p: float(b) for p, b in zip(design.types, beta[at:at + nt].tolist(), strict=True)},
        "media_effects": {m: float(b) for m, b in zip(design.media, beta[at + nt:at + nt + nm].tolist(), strict=True)},
        "format_posts": formats,
        "hour_effect": [float(b) for b in beta[at + nt + nm:at + nt + nm + 2]],
        "caption_effect": dict(zip(CAPTION, (float(b) for b in beta[at + nt + nm + 2:]), strict=True)),
        "caption_typical": dict(zip(CAPTION, design.caption_typical, strict=True)),
        "hashtags_typical": typical_tags,
        "last_post_days": float(enc.t[rows[-1]]),
    }
    return part


def _format_counts(enc: Encoded, rows: np.ndarray) -> dict[str, int]:
    """{'IMAGE/FEED': n, ...}: the posts of each known format."""
    out: dict[str, int] = {}
    for m, p in zip(enc.mtype[rows].tolist(), enc.ptype[rows].tolist(), strict=True):
        key = format_key(m, p)
        if key is not None:
            out[key] = out.get(key, 0) + 1
    return out
