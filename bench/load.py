"""Issue 10's load: clients polling a run's status twice a second while the run goes on, plus
clients predicting at once, through the whole stack as `make up` runs it.

    python bench/load.py [--seconds 60] [--pollers 200] [--predictors 20] [--posts 2000]

On a namespace of the benchmark's own (bench/_harness.py) with the Instagram sandbox: one user
trains a model on 12 posts, then predicts; another connects an account of --posts image posts
and starts training; --pollers clients (each a session of that user, as many people or tabs
watching the run) poll GET /api/v1/training-runs/current every 0.5 s, keeping the ETag and
sending If-None-Match as the browser does, while --predictors clients predict one photo after
another (four sample photographs, so after the first of each the inferer answers from its label
cache: the RPC path, not the labeling). Errors are any answer but 200/304 (polls) or 201
(predictions), and any failed request (30 s timeout). It prints requests, req/s, p50/p99 of
each, how far the run went, and last one JSON object; it exits 1 on any error.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

TMP = _harness.isolate("load")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--pollers", type=int, default=200)
    ap.add_argument("--predictors", type=int, default=20)
    ap.add_argument("--posts", type=int, default=2000, help="posts of the account trained during the load")
    args = ap.parse_args(argv)
    from sandbox.instagram.testing import SandboxServer, sample_account
    from sandbox.photos import NAMES, jpeg
    from tests.support import load

    with _harness.namespace(TMP) as (settings, mongo):
        accounts = TMP / "accounts"
        sample_account(accounts, "model", n_posts=12)
        sample_account(accounts, "big", n_posts=args.posts, carousel=False, video=False)
        with SandboxServer(accounts, settings.instagram_client_id, settings.instagram_client_secret) as sandbox:
            stack = _harness.stack(TMP, settings, sandbox.url, extra_env={
                "LIKELY_INSTAGRAM_PAGE_SIZE": "100", "LIKELY_RPC_TIMEOUT": "15"})
            try:
                predicting = _harness.new_user(stack.gateway_url, "model")
                model_run = predicting.wait_for_run(predicting.train()["run_id"], timeout=600)
                if model_run["state"] != "done":
                    raise SystemExit(f"the predicting user's model was not trained: {model_run}")
                training = _harness.new_user(stack.gateway_url, "big")
                started = time.monotonic()
                tokens = load.sessions(stack.gateway_url, training.email, _harness.PASSWORD, args.pollers)
                print(f"{args.pollers} sessions logged in in {time.monotonic() - started:.1f} s", flush=True)
                run_id = training.train()["run_id"]
                figures = load.run(stack.gateway_url, poll_tokens=tokens, predict_token=predicting.token,
                                   photos=[(f"{n}.jpg", jpeg(n)) for n in NAMES[:4]], predictors=args.predictors,
                                   duration=args.seconds)
                after = training.run(run_id)
            finally:
                stack.stop()
    for kind in ("polls", "predictions"):
        f = figures[kind]
        print(f"{kind:<12} {f['requests']:>7} requests {f['per_s']:>7} /s  p50 {f['p50_ms']} ms  p99 {f['p99_ms']} ms  "
              f"errors {f['errors']}  {f['statuses']}")
    print(f"the run meanwhile: {after['state']}, {after['done'] + after['failed']}/{after['total']} posts")
    out = {"benchmark": "load", **{k: v for k, v in figures.items() if k != "run_last_seen"},
           "run_after": {k: after[k] for k in ("state", "total", "done", "failed")},
           "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    print(json.dumps(out))
    return 1 if figures["polls"]["errors"] or figures["predictions"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
