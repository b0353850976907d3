"""When to post: the weekday × hour effect on likes in the person's time zone, from what the
model leaves unexplained in the account's own posts (insights_residuals).

168 cells and a few hundred posts cannot be estimated cell by cell, so the effect of a cell is
a weekday effect plus an hour-of-day effect, both fitted together on the residuals as one small
Bayesian ridge regression: each effect shrunk toward "no effect" (a prior worth PRIOR_POSTS
posts), the 24 hours also toward a smooth daily curve (a circular second-difference penalty,
SMOOTH_POSTS), so hours the account rarely posts at borrow from their neighbours. The 90%
interval of a cell is centred on the posterior mean with the posterior sd (σ² A⁻¹, σ from the
fit's residuals), against the account's typical post (the posts' own mix of weekdays and
hours), and simultaneous over its family (fit_timing): with 168 cells, the best of them
clears a pointwise 90% interval by chance most of the time. Post times are stored
in UTC; the time zone (IANA) is applied when asked, daylight saving included.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np

#: Prior strength of a weekday or hour effect, in posts' worth of "no effect".
PRIOR_POSTS = 10.0
#: How strongly neighbouring hours are pulled toward a smooth curve, in posts' worth.
SMOOTH_POSTS = 20.0
#: Under this many posts the answer is "not enough evidence" whatever the intervals say.
MIN_TIMING_POSTS = 20
#: The interval's level and its normal quantile.
LEVEL = 0.90
Z = 1.6449
#: The few best slots shown, no two on one weekday within this many hours of each other, each
#: one the account posted at MIN_SLOT_POSTS times at least (the heatmap shows every cell; a
#: slot never tried is not recommended on the strength of its weekday and hour alone).
BEST_SLOTS = 3
MIN_SLOT_POSTS = 3
#: Draws of the estimates under "no effect at all" that set the simultaneous intervals' width.
NULL_DRAWS = 2000
NULL_SEED = 0
SLOT_GAP_HOURS = 2
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def local_slots(t_seconds, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(weekday 0 = Monday, hour 0-23) of each UTC time (Unix seconds) in the IANA zone tz."""
    zone = ZoneInfo(tz)
    local = [datetime.fromtimestamp(int(s), tz=timezone.utc).astimezone(zone) for s in t_seconds]
    return (np.array([d.weekday() for d in local], dtype=np.int64),
            np.array([d.hour for d in local], dtype=np.int64))


def _penalty() -> np.ndarray:
    p = np.zeros((31, 31))
    p[np.diag_indices(31)] = PRIOR_POSTS
    d = np.zeros((24, 24))
    for h in range(24):  # circular second differences: 23:00 and 00:00 are neighbours
        d[h, (h - 1) % 24] += 1.0
        d[h, h] -= 2.0
        d[h, (h + 1) % 24] += 1.0
    p[7:, 7:] += SMOOTH_POSTS * d.T @ d
    return p


def _interval(effect: float, sd: float, z: float) -> dict:
    low, high = effect - z * sd, effect + z * sd
    return {"effect": effect, "low": low, "high": high, "factor": float(np.exp(effect)),
            "factor_low": float(np.exp(low)), "factor_high": float(np.exp(high)),
            "evidence": bool(low > 0 or high < 0)}


def _contrasts(xbar: np.ndarray) -> np.ndarray:
    """Rows: the 168 cells (weekday-major), the 7 weekdays, the 24 hours, each against the
    typical post (the posts' own mix of weekdays and hours)."""
    rows = []
    for d in range(7):
        for h in range(24):
            c = -xbar.copy()
            c[d] += 1.0
            c[7 + h] += 1.0
            rows.append(c)
    for k in range(31):
        group = slice(0, 7) if k < 7 else slice(7, 31)
        c = np.zeros(31)
        c[k] = 1.0
        c[group] -= xbar[group]
        rows.append(c)
    return np.array(rows)


def family_z(contrasts: np.ndarray, sampling_cov: np.ndarray, sd: np.ndarray) -> float:
    """The multiplier k of a simultaneous interval over a family of contrasts: under no effect
    at all, the largest |estimate| / sd among them stays under k in LEVEL of NULL_DRAWS draws
    from the estimates' sampling distribution (never under the pointwise Z)."""
    if contrasts.shape[0] == 0:
        return Z
    vals, vecs = np.linalg.eigh(sampling_cov)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    draws = np.random.default_rng(NULL_SEED).standard_normal((NULL_DRAWS, root.shape[1])) @ root.T
    z = np.abs(draws @ contrasts.T) / np.maximum(sd, 1e-12)
    return max(Z, float(np.quantile(z.max(axis=1), LEVEL)))


def fit_timing(weekday: np.ndarray, hour: np.ndarray, r: np.ndarray) -> dict:
    """Effects of every weekday, hour and weekday × hour cell against the typical post, with
    intervals simultaneous over each family (the cells tried MIN_SLOT_POSTS times, the
    weekdays, the hours): picking the best of many cells must not make chance look like a
    finding."""
    n = r.size
    X = np.zeros((n, 31))
    X[np.arange(n), weekday] = 1.0
    X[np.arange(n), 7 + hour] = 1.0
    xbar = X.mean(axis=0) if n else np.zeros(31)
    Xc, rc = X - xbar, r - (r.mean() if n else 0.0)
    gram = Xc.T @ Xc
    a_inv = np.linalg.inv(gram + _penalty())
    beta = a_inv @ (Xc.T @ rc)
    df = float(np.trace(a_inv @ gram)) + 1.0
    rss = float(np.sum((rc - Xc @ beta) ** 2))
    sigma2 = rss / max(n - df, 1.0) if n > 2 else 0.25  # a prior spread when there is next to nothing
    C = _contrasts(xbar)
    effect = C @ beta
    sd = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", C, sigma2 * a_inv, C), 0.0, None))
    sampling = sigma2 * a_inv @ gram @ a_inv
    counts = np.zeros((7, 24), dtype=np.int64)
    np.add.at(counts, (weekday, hour), 1)
    tried = np.nonzero(counts.ravel() >= MIN_SLOT_POSTS)[0]
    z_cells = family_z(C[tried], sampling, sd[tried])
    z_days = family_z(C[168:175], sampling, sd[168:175])
    z_hours = family_z(C[175:], sampling, sd[175:])
    cells = [{"weekday": i // 24, "hour": i % 24, "posts": int(counts.ravel()[i]),
              **_interval(float(effect[i]), float(sd[i]), z_cells)} for i in range(168)]
    for i in set(range(168)) - set(tried.tolist()):
        cells[i]["evidence"] = False  # a cell tried less often is drawn, not judged
    weekdays = [{"weekday": d, "posts": int(counts[d].sum()), **_interval(float(effect[168 + d]),
                                                                          float(sd[168 + d]), z_days)}
                for d in range(7)]
    hours = [{"hour": h, "posts": int(counts[:, h].sum()), **_interval(float(effect[175 + h]),
                                                                       float(sd[175 + h]), z_hours)}
             for h in range(24)]
    return {"posts": n, "sigma": float(np.sqrt(sigma2)), "z": {"cells": z_cells, "weekdays": z_days,
                                                               "hours": z_hours},
            "cells": cells, "weekdays": weekdays, "hours": hours}


def best_slots(cells: list[dict], k: int = BEST_SLOTS) -> list[dict]:
    """The k cells with the largest effect among those with MIN_SLOT_POSTS posts, no two on one
    weekday within SLOT_GAP_HOURS."""
    out: list[dict] = []
    tried = (c for c in cells if c["posts"] >= MIN_SLOT_POSTS)
    for c in sorted(tried, key=lambda c: (-c["effect"], c["weekday"], c["hour"])):
        if all(o["weekday"] != c["weekday"] or min(abs(o["hour"] - c["hour"]), 24 - abs(o["hour"] - c["hour"]))
               > SLOT_GAP_HOURS for o in out):
            out.append(c)
        if len(out) == k:
            break
    return out


def slot_name(weekday: int, hour: int) -> str:
    return f"{WEEKDAYS[weekday]} {hour:02d}:00–{(hour + 1) % 24:02d}:00"


def timing_answer(t_seconds, residuals, tz: str) -> dict:
    """The best-time insight in the zone tz: every cell, weekday and hour, the best slots and a
    verdict, 'evidence' only where a best slot's 90% interval lies above no effect."""
    weekday, hour = local_slots(t_seconds, tz)
    fit = fit_timing(weekday, hour, np.asarray(residuals, dtype=np.float64))
    n = fit["posts"]
    if n < MIN_TIMING_POSTS:  # intervals or not, too few posts to say anything
        for entry in fit["cells"] + fit["weekdays"] + fit["hours"]:
            entry["evidence"] = False
    best = [dict(c) for c in best_slots(fit["cells"])]
    supported = [b for b in best if b["low"] > 0] if n >= MIN_TIMING_POSTS else []
    if n < MIN_TIMING_POSTS:
        verdict = "not_enough_evidence"
        message = (f"Not enough evidence: {n} posts are too few to tell one time of the week from another "
                   f"(at least {MIN_TIMING_POSTS} are needed). Post when it suits you.")
    elif not supported:
        verdict = "not_enough_evidence"
        message = (f"Not enough evidence: in your {n} posts no time of the week did clearly better than your "
                   f"typical post (every {LEVEL:.0%} interval includes no effect). Post when it suits you.")
    else:
        verdict = "evidence"
        b = supported[0]
        message = (f"Your posts on {slot_name(b['weekday'], b['hour'])} did x{b['factor']:.2f} the likes of your "
                   f"typical post ({LEVEL:.0%} interval x{b['factor_low']:.2f} to x{b['factor_high']:.2f}), "
                   f"judged from {n} posts. A correlation in your own history, not a promise.")
    for b in best:
        b["evidence"] = bool(b["low"] > 0 and n >= MIN_TIMING_POSTS)
        b["slot"] = slot_name(b["weekday"], b["hour"])
    return {"time_zone": tz, "level": LEVEL, "verdict": verdict, "message": message, **fit, "best": best}
