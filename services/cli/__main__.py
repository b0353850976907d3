"""`likely`: the command-line client, over the gateway's HTTP API.

    likely signup EMAIL            likely login EMAIL          likely logout
    likely connect [--account NAME]  (the sandbox approves NAME at once; otherwise open the URL)
    likely train                   (progress bar; Ctrl-C offers to cancel)
    likely predict IMAGE... [--as photo|carousel|reel] [--caption TEXT] [--rank-by likes|reach|views|saves|shares]
                                   (a table, best first; each format's figures, the hashtags' effects,
                                   reach, views, saves and shares where the model has them)
    likely model [--coefficients]
    likely insights [--tz ZONE] [--json]   (when to post and what works, from your own history)
    likely top [--once]            (operators: runs in progress, queues, labelers, dead letters; live)
    likely dead-letters [--replay ID ... | --all]   (operators: list, or publish again)
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from services.cli.client import ApiError, LikelyClient
from shared.contracts import FORMATS
from shared.model.post_metrics import RANK_BY
from shared.settings import load

SESSION = Path(os.environ.get("LIKELY_CLI_SESSION", Path.home() / ".config" / "likely" / "session.json"))


def _client(args) -> LikelyClient:
    token = None
    if SESSION.exists():
        saved = json.loads(SESSION.read_text())
        if saved.get("url") == args.url:
            token = saved.get("token")
    return LikelyClient(args.url, token)


def _save(url: str, token: str | None) -> None:
    SESSION.parent.mkdir(parents=True, exist_ok=True)
    SESSION.write_text(json.dumps({"url": url, "token": token}))
    SESSION.chmod(0o600)


def _password(args) -> str:
    return os.environ.get("LIKELY_PASSWORD") or getpass.getpass("Password: ")


def cmd_signup(args):
    c = _client(args)
    c.sign_up(args.email, _password(args))
    print(f"signed up {args.email}; now `likely login {args.email}`")


def cmd_login(args):
    c = _client(args)
    out = c.log_in(args.email, _password(args))
    _save(args.url, c.token)
    print(f"logged in until {out['expires_at']}")


def cmd_logout(args):
    c = _client(args)
    c.log_out()
    _save(args.url, None)
    print("logged out")


def cmd_connect(args):
    c = _client(args)
    if args.account:
        out = c.connect_instagram(args.account)
    else:
        auth = c.request("GET", "/api/v1/instagram/authorize")
        print(f"Open this page, approve Likely, then paste the address you land on:\n  {auth['url']}")
        landed = parse_qs(urlparse(input("> ").strip()).query)
        out = c.request("POST", "/api/v1/instagram", json={"code": landed["code"][0], "state": landed["state"][0]})
    print(f"connected @{out['username']}")


def progress_bar(st: dict, width: int = 40) -> str:
    """One line, redrawn in place: [####....] done+failed/total state."""
    total = max(st.get("total") or 0, 1)
    n = st.get("done", 0) + st.get("failed", 0)
    filled = int(width * n / total)
    failed = f", {st['failed']} failed" if st.get("failed") else ""
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{st.get('total', 0)} {st['state']}{failed}   "


def cmd_train(args):
    c = _client(args)
    run_id, following = c.train_or_follow()
    if following:
        print("a run is already going; following it")
    try:
        st = c.wait_for_run(run_id, timeout=3600, on_progress=lambda s: print(progress_bar(s), end="", flush=True))
    except KeyboardInterrupt:
        if input("\ncancel the run? [y/N] ").strip().lower() == "y":
            c.cancel(run_id)
            print("cancelled")
        return
    print()
    print(f"run {st['state']}" + (f": {st['reason']}" if st.get("reason") else ""))
    if st.get("likes_hidden"):
        print(f"{st['likes_hidden']} posts left out of training: their like counts are hidden")


def cmd_predict(args):
    from services.cli import predict

    c = _client(args)
    files, data = predict.request_parts(args.images, args.as_, args.caption)
    path = "/api/v1/predictions" + predict.query(args.model, args.rank_by)
    print(predict.report(c.request("POST", path, files=files, data=data)))


def cmd_model(args):
    c = _client(args)
    m = c.model(coefficients=args.coefficients)
    print(json.dumps(m, indent=2))


def cmd_insights(args):
    from services.cli import insights

    answer = _client(args).request("GET", insights.path(args.tz or insights.local_zone()))
    print(json.dumps(answer, indent=2) if args.json else insights.report(answer))


def cmd_top(args):
    from services.cli.top import top

    c = _client(args)
    c.admin_overview()  # a refusal (not an admin, logged out) is said once, before drawing
    top(c.admin_overview, once=args.once, interval=args.interval)


def cmd_dead_letters(args):
    from rich.console import Console

    from services.cli.top import dead_letters_table

    c = _client(args)
    if args.replay or args.all:
        out = c.replay_dead_letters(args.replay or None)
        for dl_id in out["replayed"]:
            print(f"replayed {dl_id}")
        for skipped in out["skipped"]:
            print(f"not replayed {skipped['id']}: {skipped.get('message') or skipped['code']}")
        if not out["replayed"] and not out["skipped"]:
            print("nothing to replay")
        return
    Console().print(dead_letters_table(c.dead_letters(args.limit)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="likely", description="How will this photo do on my Instagram?")
    ap.add_argument("--url", default=load().public_url, help="the gateway (default: LIKELY_PUBLIC_URL)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("signup", "login"):
        p = sub.add_parser(name)
        p.add_argument("email")
    sub.add_parser("logout")
    p = sub.add_parser("connect")
    p.add_argument("--account", help="sandbox account to approve at once")
    sub.add_parser("train")
    p = sub.add_parser("predict")
    p.add_argument("images", nargs="+")
    p.add_argument("--model", help="model kind, e.g. label_mean")
    p.add_argument("--as", dest="as_", choices=list(FORMATS), help="the format you will post (default: photo)")
    p.add_argument("--caption", help="the caption you will write: its hashtags count")
    p.add_argument("--rank-by", dest="rank_by", choices=list(RANK_BY), default="likes",
                   help="several images: rank them by this (default: likes)")
    p = sub.add_parser("model")
    p.add_argument("--coefficients", action="store_true")
    p = sub.add_parser("insights", help="when to post and what works, from your own history")
    p.add_argument("--tz", help="your time zone, an IANA name such as Europe/Athens (default: this machine's)")
    p.add_argument("--json", action="store_true", help="the API's answer as it came")
    p = sub.add_parser("top", help="operators: a live view of runs, queues and dead letters")
    p.add_argument("--once", action="store_true", help="draw once and exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes")
    p = sub.add_parser("dead-letters", help="operators: list dead letters, or replay them")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--replay", nargs="+", metavar="ID", help="publish these again to their work queues")
    group.add_argument("--all", action="store_true", help="replay every dead letter not replayed since it died")
    p.add_argument("--limit", type=int, default=50)
    args = ap.parse_args(argv)
    try:
        globals()[f"cmd_{args.cmd.replace('-', '_')}"](args)
    except ApiError as exc:
        print(f"error: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
