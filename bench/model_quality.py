"""Model quality: the backtest of every model kind on every real post history and on the
generated evaluation set, side by side.

    python bench/model_quality.py [--data DIR] [--generated-accounts 72] [--limit N]

DIR (default: $LIKELY_REAL_DATA, else ../shared/data/real beside the checkout) holds real
account histories as JSONL (shared/model/backtest.py's format); they are read in place, never
copied into the repository. Per account: posts sorted by time, the oldest 80% train, the
newest 20% test; accounts under 10 posts skipped; figures are means over accounts. Columns:
mae_log (mean |log1p(actual) - log1p(predicted)|), Spearman within the account's test posts,
cover80 (share of test posts inside the 80% range), the same for comments, and for the
default kind whether it meets the bar: mae_log no worse than the best of label_mean,
user_mean and recent_median, and (where labels exist) Spearman at least label_mean's.
The real sets' labels are their captions' hashtags: they are read as hashtags ('#name'), as
the product learns them from a caption; the generated set's are an image's labels.

Then an ablation of the default on every set: its figures without the format (media and
product type dropped from the posts), without the caption (hashtags dropped: on the real sets
that is every label), without growth (no line through the posts: each fit's level flat), and
with the fixed label penalty (no choice by generalised cross-validation).
The last line printed is one JSON object {set: {kind: figures, "ablation": {name: figures}}}.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.model import (  # noqa: E402
    DEFAULT_KIND,
    KINDS,
    ridge_fit,
)
from shared.model.backtest import read_posts, real_data_dir, run  # noqa: E402
from shared.model.backtest_metrics import best_baseline  # noqa: E402
from shared.model.evaldata import generate  # noqa: E402

DEFAULT_DATA = str(real_data_dir() or ROOT.parent / "shared" / "data" / "real")


def verdict(summary: dict, has_labels: bool) -> dict:
    d = summary["default"]
    best = best_baseline(summary)
    out = {"best_baseline": best, "best_baseline_mae_log": summary[best]["mae_log"],
           "mae_log_ok": d["mae_log"] <= summary[best]["mae_log"] + 1e-12,
           "coverage_ok": d["coverage_80"] is not None and 0.75 <= d["coverage_80"] <= 0.85}
    if has_labels:
        out["spearman_ok"] = d["spearman"] >= summary["label_mean"]["spearman"]
    c = d["comments"]
    if c["accounts"]:
        cbest = best_baseline(summary, key=lambda fig: fig["comments"]["mae_log"])
        out["comments_best_baseline"] = cbest
        out["comments_mae_log_ok"] = c["mae_log"] <= summary[cbest]["comments"]["mae_log"] + 1e-12
    return out


def show(name: str, summary: dict, seconds: float, v: dict) -> None:
    print(f"\n== {name} ({summary['default']['accounts']} accounts, {seconds:.0f} s)")
    print(
        f"{'model':<14} {'mae_log':>8} {'spearman':>8} {'cover80':>8} | {'comments':>8} {'spearman':>8} {'cover80':>8}"
    )
    for kind in list(KINDS) + ["default"]:
        s = summary[kind]
        c = s["comments"]
        cells = [f"{s['mae_log']:>8.3f}", f"{s['spearman']:>8.3f}", f"{(s['coverage_80'] or 0):>8.2f}"]
        ccells = ([f"{c['mae_log']:>8.3f}", f"{c['spearman']:>8.3f}", f"{(c.get('coverage_80') or 0):>8.2f}"]
                  if c["accounts"] else [f"{'-':>8}"] * 3)
        label = f"default={DEFAULT_KIND}" if kind == "default" else kind
        print(f"{label:<14} {' '.join(cells)} | {' '.join(ccells)}")
    print("default vs baselines: " + ", ".join(f"{k}={val}" for k, val in v.items()))


def sets(data_dir: str, generated_accounts: int):
    """(name, path, what the labels are) of every set."""
    for path in sorted(Path(data_dir).glob("*.jsonl")) if Path(data_dir).is_dir() else []:
        yield path.stem, str(path), "hashtags"
    tmp = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
    with tmp:
        for post in generate(generated_accounts, 2):
            tmp.write(json.dumps(post) + "\n")
    yield f"generated (shared.model.evaldata, {generated_accounts} accounts)", tmp.name, "image"


@contextlib.contextmanager
def setting(name: str, value):
    """A constant of shared.model.ridge_fit changed for the duration (the ablation only)."""
    old = getattr(ridge_fit, name)
    setattr(ridge_fit, name, value)
    try:
        yield
    finally:
        setattr(ridge_fit, name, old)


def _strip(accounts: dict, **fields) -> dict:
    return {k: [dataclasses.replace(p, **fields) for p in posts] for k, posts in accounts.items()}


def _no_hashtags(accounts: dict) -> dict:
    return {
        k: [
            dataclasses.replace(p, caption=None, labels=tuple(lab for lab in p.labels if not lab[0].startswith("#")))
            for p in posts
        ]
        for k, posts in accounts.items()
    }


#: name -> (how the posts change, the setting changed or None)
ABLATIONS = {
    "without format": (lambda a: _strip(a, media_type=None, product_type=None), None),
    "without caption": (_no_hashtags, None),
    "without growth": (lambda a: a, ("TREND_PENALTY", 1e12)),
    "fixed label penalty": (lambda a: a, ("LABEL_PENALTY_GRID", (1.0,))),
}


def ablation(accounts: dict) -> dict:
    out = {}
    for name, (change, constant) in ABLATIONS.items():
        with setting(*constant) if constant else contextlib.nullcontext():
            s = run(change(accounts), (DEFAULT_KIND,))[DEFAULT_KIND]
        out[name] = {"mae_log": s["mae_log"], "spearman": s["spearman"], "coverage_80": s["coverage_80"]}
    return out


def show_ablation(summary: dict, ab: dict) -> None:
    d = summary["default"]
    print(f"{'default':<22} {d['mae_log']:>8.3f} {d['spearman']:>8.3f} {(d['coverage_80'] or 0):>8.2f}")
    for name, f in ab.items():
        print(f"{name:<22} {f['mae_log']:>8.3f} {f['spearman']:>8.3f} {(f['coverage_80'] or 0):>8.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help=f"folder of real histories (default {DEFAULT_DATA})")
    ap.add_argument("--generated-accounts", type=int, default=72)
    ap.add_argument("--limit", type=int, default=0, help="first N accounts of each set only (0: all)")
    a = ap.parse_args(argv)
    if not Path(a.data).is_dir():
        print(f"note: {a.data} does not exist: only the generated set is measured")
    result = {}
    for name, path, labels_are in sets(a.data, a.generated_accounts):
        accounts = read_posts(path, labels_are)
        if a.limit:
            accounts = {k: accounts[k] for k in sorted(accounts)[: a.limit]}
        has_labels = any(p.labels for posts in accounts.values() for p in posts)
        t = time.perf_counter()
        summary = run(accounts, KINDS)
        v = verdict(summary, has_labels)
        show(name, summary, time.perf_counter() - t, v)
        ab = ablation(accounts)
        show_ablation(summary, ab)
        result[name] = {**summary, "verdict": v, "ablation": ab}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
