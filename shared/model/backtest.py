"""Backtest the model kinds on accounts' post histories.

    python -m shared.model.backtest POSTS.jsonl [--models a,b,c] [--per-account]

POSTS.jsonl: one JSON object a line, {"account", "id", "timestamp" (ISO 8601), "likes",
"comments" (may be null), "labels": [{"name", "confidence"}], and optionally "media_type"
(IMAGE, VIDEO, CAROUSEL_ALBUM), "product_type" (FEED, REELS), "caption" (text)}.
`--labels hashtags` (the default: the real development sets' labels are their captions'
hashtags) reads each label as the hashtag '#name', as the product learns it from a caption;
`--labels image` reads them as an image's labels (the generated set's).

Per account, posts sorted by time: the oldest int(0.8 n) train, the rest test; accounts with
fewer than 10 posts are skipped; labels below confidence 50 are dropped. For each model the
last line is one JSON object {model: {"mae", "mae_log", "spearman", "accounts",
"coverage_80", "comments": {...}}}: means over accounts of the account's MAE of likes, MAE of
log1p(likes), Spearman's rank correlation within its test posts (0 where either side is
constant), and the share of test posts inside the predicted 80% range. Under "default": the
kind the builder serves (the same for every account, DEFAULT_KIND); "picked" counts it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import DEFAULT_KIND, KINDS, backtest_encoded, single_threaded
from .backtest_metrics import (
    MIN_BACKTEST_POSTS,
    coverage,
    mae,
    mae_log,
    rankdata,
    scores,
    spearman,
    split_index,
    time_split,
)
from .caption import hashtag
from .data import TrainingPost, encode

__all__ = ["split_index", "time_split", "mae", "mae_log", "spearman", "rankdata", "scores", "coverage",
           "parse_post", "read_posts", "backtest_account", "run", "main"]


def real_data_dir() -> Path | None:
    """Where real account histories are kept on this machine (read in place, never copied into
    the repository): $LIKELY_REAL_DATA, else shared/data/real beside the checkout, else
    /work/shared/data/real (a clone made elsewhere on the same machine). None if none exists."""
    env = os.environ.get("LIKELY_REAL_DATA")
    here = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
    for cand in ([Path(env)] if env else []) + [here, Path("/work/shared/data/real")]:
        if cand.is_dir():
            return cand
    return None


def _ts(s: str) -> datetime:
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


LABEL_KINDS = ("image", "hashtags")


def parse_post(obj: dict, labels_are: str = "image") -> tuple[str, TrainingPost]:
    """labels_are 'hashtags': each label is a caption's hashtag ('#name', confidence 100, as
    shared.model.caption reads it from a caption); 'image': an image's labels as given."""
    if labels_are == "hashtags":
        labels = tuple(dict.fromkeys((hashtag(str(lab["name"])), 100.0) for lab in obj.get("labels") or ()))
    else:
        labels = tuple((str(lab["name"]), float(lab.get("confidence", 100.0))) for lab in obj.get("labels") or ())
    comments = obj.get("comments")
    return str(obj.get("account", "")), TrainingPost(
        media_id=str(obj.get("id", "")), timestamp=_ts(obj["timestamp"]), likes=int(obj["likes"]),
        comments=None if comments is None else int(comments), labels=labels,
        product_type=obj.get("product_type"), media_type=obj.get("media_type"), caption=obj.get("caption"))


def read_posts(path: str, labels_are: str = "image") -> dict[str, list[TrainingPost]]:
    if labels_are not in LABEL_KINDS:
        raise ValueError(f"labels_are: one of {', '.join(LABEL_KINDS)}, not {labels_are!r}")
    accounts: dict[str, list[TrainingPost]] = defaultdict(list)
    with (sys.stdin if path == "-" else open(path)) as f:
        for line in f:
            line = line.strip()
            if line:
                acc, post = parse_post(json.loads(line), labels_are)
                accounts[acc].append(post)
    return accounts


def backtest_account(posts: list[TrainingPost], kinds=KINDS) -> dict | None:
    """{kind: figures} on this account's time split, plus "default": the kind the builder
    serves, scored on the test posts. None if too few posts."""
    enc = encode(posts)
    if enc.n < MIN_BACKTEST_POSTS:
        return None
    figures, _ = backtest_encoded(enc, tuple(dict.fromkeys(tuple(kinds) + (DEFAULT_KIND,))))
    assert figures is not None  # enough posts: checked above
    out = {k: figures[k] for k in kinds}
    out["default"] = dict(figures[DEFAULT_KIND], kind=DEFAULT_KIND)
    return out


def _mean(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return float(np.mean(vals)) if vals else None


@single_threaded
def run(accounts: dict[str, list[TrainingPost]], kinds=KINDS, per_account=None) -> dict:
    results = {}
    for name in sorted(accounts):
        r = backtest_account(accounts[name], kinds)
        if r is not None:
            results[name] = r
            if per_account:
                per_account(name, r)
    summary = {}
    for kind in list(kinds) + ["default"]:
        rows = [r[kind] for r in results.values()]
        crows = [r[kind]["comments"] for r in results.values() if r[kind].get("comments")]
        summary[kind] = {
            "mae": _mean(rows, "mae"), "mae_log": _mean(rows, "mae_log"), "spearman": _mean(rows, "spearman"),
            "accounts": len(rows), "coverage_80": _mean(rows, "coverage_80"),
            "comments": {"mae": _mean(crows, "mae"), "mae_log": _mean(crows, "mae_log"),
                         "spearman": _mean(crows, "spearman"), "coverage_80": _mean(crows, "coverage_80"),
                         "accounts": len(crows)},
        }
    summary["default"]["picked"] = dict(Counter(r["default"]["kind"] for r in results.values()))
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Backtest Likely's model kinds on post histories (JSONL).")
    ap.add_argument("posts", help="posts JSONL file, or - for standard input")
    ap.add_argument("--models", default=",".join(KINDS), help=f"comma-separated kinds (default: {','.join(KINDS)})")
    ap.add_argument("--per-account", action="store_true", help="print each account's figures too")
    ap.add_argument("--labels", choices=LABEL_KINDS, default="hashtags",
                    help="what the labels are: captions' hashtags (the real sets', default) or an image's")
    a = ap.parse_args(argv)
    kinds = [k.strip() for k in a.models.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        ap.error(f"unknown model kind(s): {', '.join(unknown)}; known: {', '.join(KINDS)}")
    accounts = read_posts(a.posts, a.labels)

    def show(name, r):
        if a.per_account:
            cells = "  ".join(f"{k}={r[k]['mae']:.1f}/{r[k]['spearman']:+.2f}" for k in kinds)
            print(f"{name}: (mae/spearman) {cells}  default={r['default']['kind']} "
                  f"{r['default']['mae']:.1f}/{r['default']['spearman']:+.2f}")

    summary = run(accounts, kinds, show)
    print(f"{'model':<14} {'accounts':>8} {'mae':>10} {'mae_log':>8} {'spearman':>8} {'cover80':>8}")
    for k, v in summary.items():
        if v["accounts"]:
            print(f"{k:<14} {v['accounts']:>8} {v['mae']:>10.2f} {v['mae_log']:>8.3f} {v['spearman']:>8.3f} "
                  f"{(v['coverage_80'] or 0):>8.2f}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
