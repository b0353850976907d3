"""`make demo`'s main job, over the HTTP API of the running stack: sign up a demo user,
connect the sandbox's demo Instagram account through the real OAuth flow, train with a
progress bar, print the model summary and a prediction or two, and keep the stack running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sandbox.photos import jpeg
from services.cli.__main__ import progress_bar
from services.cli.client import ApiError, LikelyClient
from shared.settings import load

ROOT = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "demo@likely.example", "likely-demo-password"


def main() -> int:
    s = load()
    client = LikelyClient(s.public_url)
    try:
        client.sign_up(EMAIL, PASSWORD)
        print(f"signed up {EMAIL}")
    except ApiError as exc:
        if exc.code != "email_taken":
            raise
    client.log_in(EMAIL, PASSWORD)
    ig = client.connect_instagram("demo")
    print(f"connected Instagram account @{ig['username']} (token valid until {ig['expires_at']})")
    run_id, _ = client.train_or_follow()
    print(f"training run {run_id}")
    status = client.wait_for_run(
        run_id, timeout=900, on_progress=lambda st: print(progress_bar(st), end="", flush=True)
    )
    print()
    if status["state"] != "done":
        print(f"the run ended {status['state']}: {status.get('reason')}")
        return 1
    model = client.model()
    print(f"model v{model['version']} ({model['kind']}) from {model['posts']} posts, {model['labels']} labels")
    for top in model.get("top_labels", [])[:5]:
        print(
            f"  {top['label']:<24} {top['likes']:8.1f} likes  {top.get('comments') or 0:6.1f} comments  "
            f"({top['count']} posts)"
        )
    if model.get("backtest"):
        for kind, fig in model["backtest"].items():
            if isinstance(fig, dict) and "mae" in fig:
                print(f"  backtest {kind:<14} MAE {fig['mae']:.1f} likes, Spearman {fig.get('spearman', 0):.2f}")
    candidates = ("cat", "coffee", "astronaut", "rocket")
    files = [("image", (f"{name}.jpg", jpeg(name, (1080, 1080)), "image/jpeg")) for name in candidates]
    ranked = client.request("POST", "/api/v1/predictions", files=files)["predictions"]
    print("\nwhich of these should I post? (real photographs shipped in packages, ranked)")
    for p in ranked:
        labels = ", ".join(lab["name"] for lab in p["labels"] if lab["matched"])[:60] or "(no known label: your mean)"
        print(
            f"  {p['rank']}. {p['filename']:<14} {p['likes']:7.1f} likes "
            f"(80%: {p['likes_range'][0]:.0f}–{p['likes_range'][1]:.0f})"
            f"  {p['comments'] or 0:5.1f} comments   {labels}"
        )
    print(f"\nLikely is running: web app {s.public_url}  (log in as {EMAIL} / {PASSWORD})")
    print("RabbitMQ management UI http://127.0.0.1:15672 (guest/guest). Ctrl-C stops the stack.")
    return 0


if __name__ == "__main__":
    code = main()
    if code == 0 and sys.stdin.isatty() and not os.environ.get("LIKELY_DEMO_EXIT"):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while True:
                time.sleep(3600)
        except (KeyboardInterrupt, SystemExit):
            print("\nstopping the stack")
            subprocess.run(["bash", str(ROOT / "scripts" / "stack.sh"), "down"], check=False)
    sys.exit(code)
