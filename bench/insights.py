"""Insights, judged out of sample: on every real post history, the insights computed from each
account's oldest 80% of posts and checked against its newest 20%.

    python bench/insights.py [--data DIR] [--limit N] [--time-zone UTC]

DIR (default: $LIKELY_REAL_DATA, else ../shared/data/real beside the checkout) holds real
account histories as JSONL (shared/model/backtest.py's format), read in place, never copied.
Per account (10 posts or more): the ridge fit of likes on the older 80% (the model the builder
serves) and its insights (shared/model/insights.py); the newer 20% are predicted by that fit
and their residuals (log1p(likes) − prediction, the model's hour curve added back, less
their median: the newest posts' level drifts) give the later estimates:

- timing: posts in the recommended slots (best slots whose 90% interval lies above no effect)
  against the account's other newer posts: how often they did better, and by how much (mean
  residual difference, log scale); the same for the top slots of accounts told "not enough
  evidence", for contrast. Each weekday's effect: its later estimate is the mean residual of
  the newer posts on that weekday less the others' (2 posts at least on each side).
- what works: for each listed label, hashtag and format, its later estimate is the mean of
  (residual + the model's own contribution of it) over newer posts carrying it less the mean
  residual of those without it.
- for both: how often a significant effect (90% interval excluding no effect) keeps its sign
  later; how often the 90% interval covers the later estimate; and, since the later estimate
  is noisy itself, how often |earlier − later| < 1.645·√(sd_earlier² + sd_later²) (90% expected).
- accounts told "not enough evidence", for timing and for effects.
- the timing's errors on the real accounts' own posts (20 posts at least, older 80%): with the
  residuals shuffled across posts (no time effect left), how often it still says "evidence" (a
  false finding); with x1.35 planted on the most used weekday × hour and the hours beside it, how
  often its best slot is there, with evidence (a real effect found).

The last line printed is one JSON object {set: figures}.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.model.backtest import read_posts, real_data_dir  # noqa: E402
from shared.model.backtest_metrics import MIN_BACKTEST_POSTS, spearman, split_index  # noqa: E402
from shared.model.data import encode  # noqa: E402
from shared.model.features import hour_features  # noqa: E402
from shared.model.insights import compute_insights, insights_answer  # noqa: E402
from shared.model.insights_residuals import clip_robust  # noqa: E402
from shared.model.insights_timing import MIN_TIMING_POSTS, Z, local_slots, timing_answer  # noqa: E402
from shared.model.ridge_fit import MEDIA_PREFIX, TYPE_PREFIX, fit_target  # noqa: E402
from shared.model.ridge_predict import _batch, _Part  # noqa: E402
from shared.model.threads import single_threaded  # noqa: E402

DEFAULT_DATA = str(real_data_dir() or ROOT.parent / "shared" / "data" / "real")
MIN_SIDE = 2  # newer posts needed on each side of a weekday's later estimate
MIN_RANKED = 5  # newer posts needed to rank them against the heatmap
PLANTED = 0.3  # the lift planted (log scale, x1.35) to measure whether a real effect is found


def planted_checks(stored: dict, tz: str, rng: np.random.Generator) -> tuple[bool, bool]:
    """(evidence with the residuals shuffled across the posts: no time effect left, a false
    finding; evidence at the planted slot, within an hour, after adding PLANTED to the posts
    of the account's most used weekday × hour and the hours beside it: a real effect found)."""
    t, r = stored["timing"]["t"], np.asarray(stored["timing"]["r"], dtype=np.float64)
    shuffled = timing_answer(t, rng.permutation(r).tolist(), tz)
    wd, hr = local_slots(t, tz)
    cells = np.bincount(wd * 24 + hr, minlength=168)
    day, hour = divmod(int(np.argmax(cells)), 24)
    near = (wd == day) & (np.minimum(np.abs(hr - hour), 24 - np.abs(hr - hour)) <= 1)
    best = timing_answer(t, (r + PLANTED * near).tolist(), tz)["best"]
    found = bool(best) and best[0]["evidence"] and best[0]["weekday"] == day and \
        min(abs(best[0]["hour"] - hour), 24 - abs(best[0]["hour"] - hour)) <= 1
    return shuffled["verdict"] == "evidence", found


def _test_residuals(part: dict, test) -> np.ndarray:
    p = _Part(part)
    r = np.log1p(test.likes) - (_batch(p, test) - hour_features(test.t) @ p.hour)
    return clip_robust(r - np.median(r))


def _columns_of(test) -> list[set[str]]:
    out = []
    for i in range(test.n):
        cols = {name for name, _ in test.labels_of(i)}
        if test.mtype[i]:
            cols.add(MEDIA_PREFIX + str(test.mtype[i]))
        if test.ptype[i]:
            cols.add(TYPE_PREFIX + str(test.ptype[i]))
        out.append(cols)
    return out


def _contrast(r: np.ndarray, inside: np.ndarray, plus: np.ndarray | None = None):
    """(later estimate, its sd) of the posts inside against the others; None if a side is short."""
    a, b = r[inside] + (0.0 if plus is None else plus[inside]), r[~inside]
    if a.size < 1 or b.size < 1:
        return None
    s = float(np.std(r, ddof=1)) if r.size > 2 else 0.5
    return float(a.mean() - b.mean()), s * float(np.sqrt(1.0 / a.size + 1.0 / b.size))


class Tally:
    """Sign kept, coverage and calibration of (earlier interval, later estimate) pairs."""

    def __init__(self):
        self.sig = self.kept = self.pairs = self.covered = self.calibrated = 0

    def add(self, entry: dict, later: tuple[float, float]):
        est, sd_later = later
        self.pairs += 1
        self.covered += int(entry["low"] <= est <= entry["high"])
        sd = (entry["high"] - entry["low"]) / (2 * Z)
        self.calibrated += int(abs(entry["effect"] - est) < Z * np.hypot(sd, sd_later))
        if entry["evidence"]:
            self.sig += 1
            self.kept += int(np.sign(est) == np.sign(entry["effect"]))

    def figures(self) -> dict:
        return {"significant": self.sig, "sign_kept": self.kept / self.sig if self.sig else None,
                "pairs": self.pairs, "coverage_90": self.covered / self.pairs if self.pairs else None,
                "calibration_90": self.calibrated / self.pairs if self.pairs else None}


def _summary(values: list[float]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    return {"accounts": int(v.size), "better_share": float(np.mean(v > 0)) if v.size else None,
            "mean_diff_log": float(v.mean()) if v.size else None,
            "median_diff_log": float(np.median(v)) if v.size else None}


@single_threaded
def judge(accounts: dict, tz: str = "UTC") -> dict:
    weekdays, effects = Tally(), Tally()
    recommended, near, unsupported = [], [], []
    ranking: dict[str, list[float]] = {"evidence": [], "not_enough_evidence": []}
    false_found, planted_found = [], []
    rng = np.random.default_rng(0)
    counts = {"accounts": 0, "timing_evidence": 0, "timing_not_enough": 0, "effects_evidence": 0,
              "effects_not_enough": 0, "effects_none_listed": 0}
    for name in sorted(accounts):
        enc = encode(accounts[name])
        if enc.n < MIN_BACKTEST_POSTS:
            continue
        cut = split_index(enc.n)
        train, test = enc.subset(cut), enc.tail(cut)
        posts = sorted(accounts[name], key=lambda p: p.timestamp)[:cut]
        part = fit_target(train, train.likes)
        if part is None:
            continue
        stored = compute_insights({"models": {"ridge": {"likes": part}}}, posts)
        if stored is None:
            continue
        answer = insights_answer(stored, tz)
        counts["accounts"] += 1
        if stored["posts"] >= MIN_TIMING_POSTS:
            shuffled, found = planted_checks(stored, tz, rng)
            false_found.append(shuffled)
            planted_found.append(found)
        timing = answer["timing"]
        counts["timing_evidence" if timing["verdict"] == "evidence" else "timing_not_enough"] += 1
        items = answer["effects"]["items"]
        if not items:
            counts["effects_none_listed"] += 1
        counts["effects_evidence" if answer["effects"]["verdict"] == "evidence" else "effects_not_enough"] += 1
        r = _test_residuals(part, test)
        wd, hr = local_slots(np.round(test.t * 86400.0), tz)
        slots = {(b["weekday"], b["hour"]) for b in timing["best"] if b["evidence"]}
        top = {(b["weekday"], b["hour"]) for b in timing["best"]}
        around = {(d, (h + k) % 24) for d, h in slots for k in (-1, 0, 1)}
        for chosen, into in ((slots, recommended), (around, near), (top if not slots else set(), unsupported)):
            if chosen:
                inside = np.array([(d, h) in chosen for d, h in zip(wd.tolist(), hr.tolist(), strict=True)])
                later = _contrast(r, inside)
                if later is not None:
                    into.append(later[0])
        if test.n >= MIN_RANKED:  # the whole heatmap: did slots estimated better do better later?
            effect = {(c["weekday"], c["hour"]): c["effect"] for c in timing["cells"]}
            ranking[timing["verdict"]].append(spearman(r, [effect[(d, h)] for d, h in zip(wd.tolist(), hr.tolist(),
                                                                                         strict=True)]))
        for entry in timing["weekdays"]:
            inside = wd == entry["weekday"]
            if inside.sum() >= MIN_SIDE and (~inside).sum() >= MIN_SIDE:
                later = _contrast(r, inside)
                assert later is not None
                weekdays.add(entry, later)
        cols = _columns_of(test)
        conf = [dict(test.labels_of(i)) for i in range(test.n)]
        for entry in items:
            col = entry["column"]
            inside = np.array([col in c for c in cols])
            plus = np.array([entry["effect"] * (conf[i].get(col, 100.0) / 100.0) for i in range(test.n)])
            later = _contrast(r, inside, plus)
            if later is not None:
                effects.add(entry, later)
    return {**counts, "recommended_slots": _summary(recommended), "recommended_slots_within_1h": _summary(near),
            "heatmap_spearman": {v: {"accounts": len(x), "mean": float(np.mean(x)) if x else None,
                                     "median": float(np.median(x)) if x else None,
                                     "positive_share": float(np.mean(np.asarray(x) > 0)) if x else None}
                                 for v, x in ranking.items()},
            "top_slots_without_evidence": _summary(unsupported),
            "timing_shuffled": {"accounts": len(false_found),
                                "evidence_share": float(np.mean(false_found)) if false_found else None},
            "timing_planted_x1_35": {"accounts": len(planted_found),
                                     "found_share": float(np.mean(planted_found)) if planted_found else None},
            "weekday_effects": weekdays.figures(), "effects": effects.figures()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=0, help="at most this many accounts a set (0: all)")
    ap.add_argument("--time-zone", default="UTC")
    a = ap.parse_args(argv)
    out = {}
    for path in sorted(Path(a.data).glob("*.jsonl")):
        accounts = read_posts(str(path), "hashtags")
        if a.limit:
            accounts = dict(sorted(accounts.items())[:a.limit])
        out[path.stem] = figures = judge(accounts, a.time_zone)
        print(path.stem, json.dumps(figures), flush=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
