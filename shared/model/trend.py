"""The former default (`trend`): in log space, a damped local trend of the account's level plus
shrunken, confidence-weighted label effects and hour/day-of-week effects, each part's strength
calibrated by leave-one-out on the user's own posts; the level rule chosen among nine by an
inner backtest. Kept for comparison: it lost to the baselines on real accounts (docs/model.md).
"""
from __future__ import annotations

import math

import numpy as np

from .baselines import RECENT
from .common import _label_entries, _range, _spread
from .data import Encoded, from_days, hour_dow

LABEL_SHRINK = (0.5, 2.0, 8.0, 32.0)  # prior strength of a label effect, in posts' worth
TIME_SHRINK = (10.0, 40.0, 160.0)
MAX_EXTRAPOLATION = 0.5  # at most x1.65 growth (or /1.65 decline) extrapolated beyond the last post
MAX_TIME_EFFECT = 0.25  # an hour's or a weekday's effect, at most x1.28 (or /1.28)
MIN_SLOPE_POSTS = 5
MAX_SCALE = 3.0  # a part's leave-one-out scale is kept in [0, MAX_SCALE]


def _rolling_level(z: np.ndarray, k: int) -> np.ndarray:
    """Mean of z over the k posts either side of each post, the post itself left out."""
    n = z.size
    if n <= 1:
        return z.copy()
    c = np.concatenate(([0.0], np.cumsum(z)))
    i = np.arange(n)
    lo = np.maximum(i - k, 0)
    hi = np.minimum(i + k + 1, n)
    cnt = hi - lo - 1
    s = c[hi] - c[lo] - z
    return np.where(cnt > 0, s / np.maximum(cnt, 1), z)


def _group_effects(r, g, w, post_of, wsum, G, shrinks):
    """Shrunken mean residual per group (a label, an hour, a weekday), and its strength.

    beta_g = sum(w r) / (sum(w) + k): a group seen once or twice stays near 0. A post's
    score is the w-weighted mean of its groups' betas. The shrinkage k and a scale s
    (0 = the groups tell nothing) are chosen by leave-one-out: each post scored with betas
    computed without it, so a label seen only on that post counts for nothing.
    """
    n = r.size
    wr = w * r[post_of]
    S = np.bincount(g, weights=wr, minlength=G)
    W = np.bincount(g, weights=w, minlength=G)
    safe = np.where(wsum > 0, wsum, 1.0)
    best = (np.inf, 0.0, shrinks[0])
    num, den = S[g] - wr, W[g] - w  # each post's groups without the post itself
    for k in shrinks:
        b_loo = num / (den + k)
        p = np.bincount(post_of, weights=w * b_loo, minlength=n) / safe
        pp = float(p @ p)
        s = min(max(float(p @ r) / pp, 0.0), MAX_SCALE) if pp > 1e-12 else 0.0
        err = float(np.sum((r - s * p) ** 2))
        if err < best[0] - 1e-12:
            best = (err, s, k)
    _, s, k = best
    beta = S / (W + k)
    part = s * np.bincount(post_of, weights=w * beta[g], minlength=n) / safe
    return beta, s, k, part


def _damp(d, tau):
    """Time past the last post counted for the trend: linear inside, damped beyond."""
    d = np.asarray(d, dtype=np.float64)
    return np.where(d <= 0, d, tau * (1.0 - np.exp(-np.maximum(d, 0) / tau)))


def _fit_line(t, z, t_ref, half_life, slope):
    """Weighted least squares z ~ a + b (t - t_ref), weights halving every half_life days."""
    x = t - t_ref
    w = np.ones_like(z) if half_life is None else np.power(0.5, -x / half_life)
    sw = w.sum()
    a = float(w @ z / sw)
    b = 0.0
    if slope and z.size >= MIN_SLOPE_POSTS:
        xm = float(w @ x / sw)
        vx = float(w @ (x - xm) ** 2)
        if vx > 1e-9:
            b = float(w @ ((x - xm) * (z - a)) / vx)
            a = a - b * xm
    return a, b


#: How the level at the last post is read off the history: a half-life (as a fraction of
#: the history's span), "all" posts alike, or the "recent" median; with or without a slope.
LEVEL_RULES = [(h, sl) for h in ("0.1", "0.25", "0.5", "all") for sl in (False, True)] + [("recent", False)]


def _level(t, z, t_ref, rule, slope, span):
    """(level at t_ref, slope per day, damping time) by one of LEVEL_RULES."""
    if rule == "recent":
        return float(np.median(z[-RECENT:])), 0.0, span
    hl = None if rule == "all" else float(rule) * span
    a, b = _fit_line(t, z, t_ref, hl, slope)
    return a, b, (span if hl is None else max(hl, 0.3 * span))


def _forecast(a, b, tau, d):
    ext = b * _damp(d, tau)
    ext = np.where(np.asarray(d) > 0, np.clip(ext, -MAX_EXTRAPOLATION, MAX_EXTRAPOLATION), ext)
    return a + ext


def _fit_trend_target(t, y, lab, conf, post_of, V, hour, dow):
    n = y.size
    span = float(t[-1] - t[0]) if n > 1 else 0.0
    span = max(span, 1.0)
    wsum = np.bincount(post_of, weights=conf, minlength=n)
    lab_part = np.zeros(n)
    time_part = np.zeros(n)
    beta = np.zeros(V)
    s_lab, k_lab = 0.0, LABEL_SHRINK[0]
    hour_eff, dow_eff = np.zeros(24), np.zeros(7)
    s_hour = s_dow = 0.0
    K = int(min(max(round(0.1 * n), 6), 40))
    ones = np.ones(n)
    ar = np.arange(n)
    if n >= 3:
        for rnd in range(2):  # backfitting: level, labels, time of week
            level = _rolling_level(y - lab_part - time_part, K)
            r = y - level - time_part
            if lab.size:  # (the first round only needs a rough label part: one shrinkage)
                shrinks = LABEL_SHRINK if rnd else (LABEL_SHRINK[1],)
                beta, s_lab, k_lab, lab_part = _group_effects(r, lab, conf, post_of, wsum, V, shrinks)
            r = y - level - lab_part
            if n >= 20:
                hb, s_hour, _, hp = _group_effects(r, hour, ones, ar, ones, 24, TIME_SHRINK)
                db, s_dow, _, dp = _group_effects(r - hp, dow, ones, ar, ones, 7, TIME_SHRINK)
                hour_eff = np.clip(s_hour * hb, -MAX_TIME_EFFECT, MAX_TIME_EFFECT)
                dow_eff = np.clip(s_dow * db, -MAX_TIME_EFFECT, MAX_TIME_EFFECT)
                time_part = hour_eff[hour] + dow_eff[dow]
    z = y - lab_part - time_part
    if n >= 5:  # outliers (a post gone viral) must not bend the trend: winsorize around the level
        dev = z - _rolling_level(z, K)
        c = 2.5 * 1.4826 * float(np.median(np.abs(dev))) + 1e-9
        z = z - dev + np.clip(dev, -c, c)
    # the trend: choose how fast to forget and whether to follow a slope, on the newest 20%
    t_end = float(t[-1])
    choice = ("0.5", False)
    hold_resid = np.array([])
    if n >= 10:
        cut = int(0.8 * n)
        best = np.inf
        for rule, sl in LEVEL_RULES:
            a, b, tau = _level(t[:cut], z[:cut], float(t[cut - 1]), rule, sl, span)
            res = z[cut:] - _forecast(a, b, tau, t[cut:] - t[cut - 1])
            err = float(np.mean(np.abs(res)))
            if err < best - 1e-12:
                best, choice, hold_resid = err, (rule, sl), res
    rule, sl = choice
    a, b, tau = _level(t, z, t_end, rule, sl, span)
    hl = None if rule in ("all", "recent") else float(rule) * span
    fit_resid = z - _forecast(a, b, tau, t - t_end)
    if hold_resid.size >= 8:
        spread = _spread(hold_resid, inflate=1.5)  # the future is further off than the holdout
    else:
        spread = _spread(fit_resid[-max(n // 2, 1):], inflate=1.5)
    seen = np.bincount(lab, minlength=V) if lab.size else np.zeros(V, dtype=np.int64)
    return {
        "level": a, "slope_per_day": b, "t_ref_days": t_end, "t_ref": from_days(t_end).isoformat(),
        "level_rule": {"recent": f"median of the last {RECENT} posts", "all": "all posts alike"}.get(
            rule, f"weights halving every {rule} of the history"), "follows_slope": bool(sl and b != 0.0),
        "half_life_days": hl, "tau_days": tau, "max_extrapolation": MAX_EXTRAPOLATION,
        "label_scale": s_lab, "label_shrinkage": k_lab,
        "effects": [(int(j), float(beta[j] * s_lab), int(seen[j])) for j in np.nonzero(seen)[0].tolist()],
        "hour": [float(v) for v in hour_eff], "dow": [float(v) for v in dow_eff],
        "spread": spread, "posts": int(n),
    }


def _restrict(enc: Encoded, mask: np.ndarray):
    """Flat label arrays of the posts in mask, re-indexed to those posts."""
    if mask.all():
        return enc.lab, enc.conf, enc.post_of
    newidx = np.cumsum(mask) - 1
    fm = mask[enc.post_of] if enc.lab.size else np.zeros(0, dtype=bool)
    return enc.lab[fm], enc.conf[fm], newidx[enc.post_of[fm]]


def fit_trend(enc: Encoded) -> dict:
    V = len(enc.vocab)
    hour, dow = hour_dow(enc.t)
    doc: dict = {"kind": "trend"}
    for target, values in (("likes", enc.likes), ("comments", enc.comments)):
        mask = ~np.isnan(values)
        if not mask.any():
            doc[target] = None
            continue
        lab, conf, po = _restrict(enc, mask)
        part = _fit_trend_target(enc.t[mask], np.log1p(values[mask]), lab, conf, po, V, hour[mask], dow[mask])
        part["effects"] = [{"label": enc.vocab[j], "effect": e, "count": c} for j, e, c in part["effects"]]
        doc[target] = part
    return doc


class _TrendPart:
    def __init__(self, d: dict):
        self.a = float(d["level"])
        self.b = float(d["slope_per_day"])
        self.t_ref = float(d["t_ref_days"])
        self.tau = float(d["tau_days"])
        self.cap = float(d.get("max_extrapolation", MAX_EXTRAPOLATION))
        self.index = {e["label"]: i for i, e in enumerate(d["effects"])}
        self.eff = np.array([e["effect"] for e in d["effects"]], dtype=np.float64)
        self._eff_l = self.eff.tolist()
        self.hour = np.asarray(d["hour"], dtype=np.float64)
        self.dow = np.asarray(d["dow"], dtype=np.float64)
        self.spread = d.get("spread")

    def base(self, when_days):
        d = when_days - self.t_ref
        if d <= 0:
            return self.a + self.b * d
        ext = self.b * self.tau * (1.0 - math.exp(-d / self.tau))
        return self.a + max(-self.cap, min(self.cap, ext))

    def time_effect(self, when_days):
        h, w = hour_dow(np.array([when_days]))
        return float(self.hour[h[0]] + self.dow[w[0]])


class TrendPredictor:
    kind = "trend"
    uses_labels = True

    def __init__(self, doc: dict):
        self.parts = {t: (_TrendPart(doc[t]) if doc.get(t) else None) for t in ("likes", "comments")}
        self.spread = {t: (p.spread if p else None) for t, p in self.parts.items()}
        sp = doc.get("spread")
        if sp:  # the builder may widen the ranges to the backtest's errors
            self.spread.update({k: v for k, v in sp.items() if v})

    def _one(self, part: _TrendPart, labels, when_days, time_known, spread):
        wsum = sum(c for _, c in labels) / 100.0
        contrib = []
        for name, c in labels:
            i = part.index.get(name)
            contrib.append(None if i is None else part._eff_l[i] * (c / 100.0) / wsum)
        lab_part = sum(v for v in contrib if v is not None)
        tpart = part.time_effect(when_days) if time_known else 0.0
        y = part.base(when_days) + lab_part + tpart
        point = max(math.expm1(y), 0.0)
        # a label's share: the likes the prediction would lose without it, and its factor
        likes = [None if v is None else point - max(math.expm1(y - v), 0.0) for v in contrib]
        factors = [None if v is None else math.exp(v) for v in contrib]
        return point, _range(point, spread), likes, factors, contrib

    def predict(self, labels, when_days=None, time_known=True) -> dict:
        lp = self.parts["likes"]
        assert lp is not None  # a model has a likes part
        when = lp.t_ref if when_days is None else when_days
        matched = [lp.index.get(name) is not None for name, _ in labels]
        likes, lrange, l_lab, l_fac, _ = self._one(lp, labels, when, time_known, self.spread["likes"])
        cp = self.parts["comments"]
        if cp is not None:
            comments, crange, c_lab, c_fac, _ = self._one(cp, labels, when, time_known, self.spread["comments"])
        else:
            comments, crange, c_lab, c_fac = None, None, None, None
        entries = _label_entries(labels, matched, l_lab, c_lab,
                                 {"likes_factor": l_fac, "comments_factor": c_fac or [None] * len(labels)})
        return {"kind": self.kind, "likes": likes, "comments": comments, "likes_range": lrange,
                "comments_range": crange, "fallback": not any(matched), "labels": entries,
                "trend": {"likes": max(math.expm1(lp.base(when)), 0.0),
                          "comments": None if cp is None else max(math.expm1(cp.base(when)), 0.0)}}

    def _batch(self, part: _TrendPart, enc: Encoded) -> np.ndarray:
        n = enc.n
        d = enc.t - part.t_ref
        base = np.where(d <= 0, part.a + part.b * d,
                        part.a + np.clip(part.b * part.tau * (1 - np.exp(-np.maximum(d, 0) / part.tau)),
                                         -part.cap, part.cap))
        vmap = np.array([part.index.get(v, -1) for v in enc.vocab], dtype=np.int64)
        j = vmap[enc.lab] if enc.lab.size else enc.lab
        m = j >= 0
        wsum = np.bincount(enc.post_of, weights=enc.conf, minlength=n)
        lp: np.ndarray = np.bincount(enc.post_of[m], weights=enc.conf[m] * part.eff[j[m]], minlength=n)
        lp = lp / np.where(wsum > 0, wsum, 1.0)
        h, w = hour_dow(enc.t)
        y = base + lp + part.hour[h] + part.dow[w]
        return np.maximum(np.expm1(y), 0.0)

    def predict_batch(self, enc: Encoded):
        lp = self.parts["likes"]
        assert lp is not None  # a model has a likes part
        pl = self._batch(lp, enc)
        cp = self.parts["comments"]
        pc = self._batch(cp, enc) if cp is not None else np.full(enc.n, np.nan)
        return pl, pc
