"""Reach, views, saves and shares on the demo account: each post's insights read as the
ingestor reads them (services.ingestor.insights over the sandbox's answers), fitted beside likes
(shared.model.post_metrics) and backtested the same way (oldest 80% train, newest 20% test).

    python bench/post_metrics.py [--accounts DIR] [--name demo] [--now 2026-12-04]

No real data set of ours has these metrics: the sandbox derives them from each post's likes and
format (sandbox.instagram.media_insights), so these figures prove the path (read, missing with a
reason, fitted, backtested, charted), not the accuracy of the model on real reach or saves.
Labels are the captions' hashtags (no image labeler runs here). The last line is one JSON
object {target: {"posts", "missing", kind: {"mae_log", "spearman", "coverage_80"}}}.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.instagram import media_insights as sandbox_insights  # noqa: E402
from sandbox.instagram.accounts import load_account, parse_timestamp  # noqa: E402
from sandbox.instagram.errors import IGError  # noqa: E402
from sandbox.instagram.state import AccountControl  # noqa: E402
from services.ingestor.insights import read_one  # noqa: E402
from shared.instagram import InstagramError, Media  # noqa: E402
from shared.model import TrainingPost, build_model  # noqa: E402
from shared.model.post_metrics import METRICS, fit_metrics  # noqa: E402

KINDS = ("ridge", "user_mean", "recent_median", "label_mean")


def main(argv=None) -> int:
    from shared.settings import load

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", default=load().sandbox_accounts)
    ap.add_argument("--name", default="demo")
    ap.add_argument("--now", default="2026-12-04",
                    help="the day the insights are read (the 2-year limit counts from it)")
    a = ap.parse_args(argv)
    now = datetime.fromisoformat(a.now).replace(tzinfo=timezone.utc)
    acct = load_account(a.accounts, a.name)
    ctl = AccountControl()

    def fetch(token: str, media_id: str, metrics: tuple) -> dict:
        try:  # the sandbox's own answer, its errors as Instagram's
            return sandbox_insights.answer(acct, ctl, media_id, acct.posts, ",".join(metrics), now)
        except IGError as e:
            raise InstagramError(f"Instagram error: {e.message}", code=e.code, subcode=e.subcode) from None

    posts, readings = [], {}
    for p in acct.posts:
        if p["like_count"] is None or not (p["media_type"] != "VIDEO" or p.get("thumbnail")):
            continue  # what Likely trains on: likes shown, a picture to label
        ts = parse_timestamp(p["timestamp"])
        posts.append(TrainingPost(p["id"], ts, p["like_count"], p["comments_count"], (),
                                  product_type=sandbox_insights.product_type(p), media_type=p["media_type"],
                                  caption=p.get("caption")))
        media = Media(p["id"], p["media_type"], None, ts, p.get("caption"), None, p["like_count"],
                      p["comments_count"], product_type=sandbox_insights.product_type(p))
        readings[p["id"]] = read_one(fetch, "token", media, now)
    likes = build_model(posts, now=now)
    metrics = fit_metrics(posts, readings, now=now)
    out = {"likes": {"posts": likes["training_size"], "missing": {}, **_figures(likes["backtest"])}}
    for m in METRICS:
        e = metrics[m]
        out[m] = {"posts": e["posts"], "missing": e["missing"],
                  **(_figures(e["model"]["backtest"]) if e["available"] else {"why": e["why"]})}
    print(f"{a.name}: {len(posts)} posts Likely trains on, insights read on {a.now}. No real data set has these "
          "metrics: the figures prove the path, not the accuracy.")
    print(f"{'target':<7} {'posts':>5}  {'missing (reason: posts)':<40} " + " ".join(f"{k:>22}" for k in KINDS))
    for target, row in out.items():
        missing = ", ".join(f"{r}: {n}" for r, n in row["missing"].items()) or "-"
        cells = " ".join(f"{_cell(row.get(k)):>22}" for k in KINDS) if "why" not in row else row["why"]
        print(f"{target:<7} {row['posts']:>5}  {missing:<40} {cells}")
    print("cells: mae_log / Spearman / share of test posts inside the 80% range")
    print(json.dumps(out))
    return 0


def _figures(backtest: dict | None) -> dict:
    if not backtest:
        return {}
    return {k: {f: backtest[k].get(f) for f in ("mae_log", "spearman", "coverage_80", "test_posts")}
            for k in KINDS if k in backtest}


def _cell(fig: dict | None) -> str:
    if not fig:
        return "-"
    cover = fig.get("coverage_80")
    return f"{fig['mae_log']:.3f} / {fig['spearman']:+.2f} / {'-' if cover is None else f'{cover:.2f}'}"


if __name__ == "__main__":
    raise SystemExit(main())
