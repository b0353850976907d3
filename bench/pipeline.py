"""Training at scale, end to end: how fast the pipeline labels and builds, for 1, 2, 4, 8 labelers.

    python bench/pipeline.py [--posts 1000] [--labelers 1,2,4,8] [--delay 150ms] [--repeat 3]
    python bench/pipeline.py --offline [--posts 300] [--labelers 1,2]

A sandbox Instagram account of --posts image posts (64×64 JPEGs, one per post) is trained end
to end through the real services, as `make up` runs them (tests/support/stack.py): the gateway
(sign-up, log-in, Instagram connection, POST /api/v1/training-runs, polling the run), RabbitMQ,
the ingestor (listing 100 posts a page), N labelers, the builder, Redis and the MongoDB-wire
server, on a database, Redis database (3) and RabbitMQ virtual host of the benchmark's own.
The labelers run `LIKELY_LABELER=delay:<delay>`: a stand-in for a remote labeler (it checks the
image, sleeps, and makes labels up; shared/labeling/delay.py), each with
LIKELY_LABELER_CONCURRENCY calls in flight (default: 8). Each labeler count gets a fresh stack;
each repeat a fresh user (nothing labeled before). Figures are medians over the repeats:

  posts_per_s     posts ÷ the labeling window (from the first label call's start, i.e. the first
                  post's labeled_at − delay, to the last post's labeled_at)
  efficiency      posts_per_s ÷ the ideal labelers × concurrency ÷ delay
  to_model_s      from the train request (client side) to the model's trained_at
  builder_s       from the last post's labeled_at to the model's trained_at (the build message's
                  hop, reading the posts, the fit, storing the model, finishing the run);
                  builder_share = builder_s ÷ to_model_s
  listing_s       from the train request to the first post's label call (sign-in to Instagram,
                  listing every page, publishing one message per post)
  cpu_busy        share of the machine's cores busy during the run (/proc/stat), anyone's
  cpu_ms_per_post CPU time per post of each service, this process (the sandbox serving images,
                  the client) and the infrastructure (anyone's use of it included)

With --offline the labelers run the offline model instead (one post at a time each), and the
ideal is a plain loop: this process labeling the same images with the same model, one after
another (`loop_images_per_s`); efficiency is then posts_per_s ÷ that loop's rate (issue 12's
target: ≥ 0.8 with 2 labelers).

The broker's per-message overhead is measured on its own, on the same virtual host before the
stack starts: --overhead-messages post.discovered messages published with confirms (as the
ingestor does), then consumed and acked by a Worker with 8 in flight and a handler that does
nothing (as a labeler does). The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

# Every process of the benchmark (this one and the services it starts) works in its own namespace
# (bench/_harness.py), with the offline labeler's model of the checkout (built by `make install`).
TMP = _harness.isolate("pipeline")
CLIENT_ID, CLIENT_SECRET = os.environ["LIKELY_INSTAGRAM_CLIENT_ID"], os.environ["LIKELY_INSTAGRAM_CLIENT_SECRET"]
ACCOUNT = "bench"
PASSWORD = _harness.PASSWORD
free_port = _harness.free_port


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--labelers", default="1,2,4,8", help="labeler counts, comma-separated")
    ap.add_argument("--delay", default="150ms", help="the stand-in labeler's delay per image")
    ap.add_argument("--concurrency", type=int, default=None,
                    help="labeling calls in flight per labeler (default: 8 with the delay, 1 offline)")
    ap.add_argument("--offline", action="store_true", help="the offline model instead of the delay stand-in")
    ap.add_argument("--repeat", type=int, default=3, help="runs per labeler count (figures are medians)")
    ap.add_argument("--overhead-messages", type=int, default=2000)
    args = ap.parse_args(argv)
    args.labeler_counts = [int(x) for x in args.labelers.split(",") if x.strip()]
    args.labeler = "offline" if args.offline else f"delay:{args.delay}"
    args.concurrency = args.concurrency or (1 if args.offline else 8)
    return args


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _listening_pid(port: int) -> int | None:
    import re
    import subprocess

    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


def group_cpu(groups: dict[str, set[int]]) -> dict[str, float]:
    """CPU seconds used so far by each named group of process groups (a service and its children)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = dict.fromkeys(groups, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pgrp, cpu = int(fields[2]), (int(fields[11]) + int(fields[12])) / tick
        for name, pgrps in groups.items():
            if pgrp in pgrps:
                out[name] += cpu
    return out


def cpu_groups(stack) -> dict[str, set[int]]:
    """Who uses the CPU: each service (its process group), this process (the sandbox serving the
    images, the client), and the infrastructure (shared with anything else on the machine)."""
    groups: dict[str, set[int]] = {"bench+sandbox": {os.getpgrp()}}
    for name, proc in stack.procs.items():
        groups.setdefault(name.split("-")[0], set()).add(proc.pid)
    for name, port in (("mongodb-wire", 27017), ("rabbitmq", 5672), ("redis", 6379)):
        pid = _listening_pid(port)
        if pid:
            groups[name] = {os.getpgid(pid)}
    return groups


def queue_state(amqp_url: str, queue) -> tuple[int, int]:
    from kombu import Connection

    with Connection(amqp_url) as conn:
        ok = queue(conn.channel()).queue_declare(passive=True)
        return ok.message_count, ok.consumer_count


def broker_overhead(settings, n: int) -> dict:
    """Per message: a confirmed publish, and a consume + ack with 8 in flight (handler: nothing)."""
    import threading

    from shared import broker
    from shared.broker import topology
    from shared.contracts import PostDiscovered

    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    msgs = [PostDiscovered(run_id="overhead", user_id="overhead", media_id=str(i), media_url=f"http://x/{i}",
                           timestamp=datetime.now(timezone.utc), likes=i) for i in range(n)]
    pub.publish(msgs[0])  # connect, declare
    started = time.perf_counter()
    for m in msgs[1:]:
        pub.publish(m)
    publish_s = time.perf_counter() - started
    pub.close()
    handled = []
    conn = broker.connect(settings)
    worker = broker.Worker(conn, topology.LABELER_POSTS, lambda m, d: handled.append(1), settings=settings,
                              concurrency=8)
    thread = threading.Thread(target=worker.run, daemon=True)
    started = time.perf_counter()
    thread.start()
    while len(handled) < n:
        time.sleep(0.001)
    while queue_state(settings.amqp_url, topology.LABELER_POSTS)[0]:
        time.sleep(0.01)
    consume_s = time.perf_counter() - started
    worker.should_stop = True
    thread.join(10)
    conn.release()
    return {"messages": n, "publish_confirmed_ms": round(publish_s / (n - 1) * 1000, 3),
            "consume_ack_ms": round(consume_s / n * 1000, 3)}


def one_run(stack, sandbox, mongo, n: int, delay: float) -> dict:
    from services.cli.client import LikelyClient

    client = LikelyClient(stack.gateway_url, timeout=60)
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    client.sign_up(email, PASSWORD)
    client.log_in(email, PASSWORD)
    client.connect_instagram(ACCOUNT)
    groups = cpu_groups(stack)
    cpu0, per0 = cpu_times(), group_cpu(groups)
    t_request = time.time()
    run_id = client.train()["run_id"]
    status = client.wait_for_run(run_id, timeout=max(600.0, n * delay))
    cpu1, per1 = cpu_times(), group_cpu(groups)
    if status["state"] != "done" or status["done"] != n or status["failed"]:
        raise SystemExit(f"the run did not label every post: {status}\n{stack.log('labeler-1')[-3000:]}")
    model = mongo.models.find_one({"source": run_id}, {"trained_at": 1})
    times = [p["labeled_at"] for p in mongo.posts.find({"run_id": run_id}, {"labeled_at": 1})]
    if len(times) != n or model is None:
        raise SystemExit(f"expected {n} posts and a model, found {len(times)} posts and model {model}")

    def ts(dt):  # stored as naive UTC
        return dt.replace(tzinfo=timezone.utc).timestamp() if dt.tzinfo is None else dt.timestamp()

    first, last, trained = ts(min(times)) - delay, ts(max(times)), ts(model["trained_at"])
    window = last - first
    to_model = trained - t_request
    return {
        "posts_per_s": n / window,
        "labeling_s": window,
        "to_model_s": to_model,
        "builder_s": trained - last,
        "listing_s": first - t_request,
        "cpu_busy": (cpu1[0] - cpu0[0]) / max(cpu1[1] - cpu0[1], 1e-9),
        "load_average": os.getloadavg()[0],  # the machine is shared: how busy it was besides us
        **{f"cpu_ms_per_post.{k}": (per1[k] - per0[k]) / n * 1000 for k in groups},
    }


def plain_loop(accounts: Path, settings) -> float:
    """Seconds per image of the offline model labeling the account's images one after another."""
    from shared.labeling import get_labeler

    labeler = get_labeler(settings, backend="offline")
    images = [p.read_bytes() for p in sorted((accounts / ACCOUNT).glob("*.jpg"))]
    for data in images[:10]:
        labeler.label(data)  # warm-up
    started = time.perf_counter()
    for data in images:
        labeler.label(data)
    return (time.perf_counter() - started) / len(images)


def bench_labelers(labelers: int, args, amqp_url, sandbox, mongo, delay: float) -> dict:
    from shared.broker import topology
    from tests.support.stack import Stack

    extra = {"LIKELY_LABELER": args.labeler, "LIKELY_LABELER_CONCURRENCY": str(args.concurrency),
             "LIKELY_INSTAGRAM_PAGE_SIZE": "100", "LIKELY_RPC_TIMEOUT": "15"}
    stack = Stack(amqp_url=amqp_url, sandbox_url=sandbox.url, gateway_port=free_port(),
                  log_dir=TMP / f"logs-{labelers}", labelers=labelers, inferers=0, extra_env=extra)
    try:
        stack.start()
        deadline = time.monotonic() + 60
        while queue_state(amqp_url, topology.LABELER_POSTS)[1] < labelers:  # every labeler consuming
            if time.monotonic() > deadline:
                raise SystemExit("the labelers did not start: " + stack.log("labeler-1")[-2000:])
            time.sleep(0.2)
        runs = [one_run(stack, sandbox, mongo, args.posts, delay) for _ in range(args.repeat)]
    finally:
        stack.stop()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    # offline: the ideal is the plain loop in one process (delay = its seconds per image)
    ideal = 1 / delay if args.offline else labelers * args.concurrency / delay
    out = {
        "labelers": labelers,
        "posts_per_s": round(med["posts_per_s"], 1),
        "ideal_posts_per_s": round(ideal, 1),
        "efficiency": round(med["posts_per_s"] / ideal, 3),
        "labeling_s": round(med["labeling_s"], 2),
        "to_model_s": round(med["to_model_s"], 2),
        "builder_s": round(med["builder_s"], 3),
        "builder_share": round(med["builder_s"] / med["to_model_s"], 3),
        "listing_s": round(med["listing_s"], 2),
        "cpu_busy": round(med["cpu_busy"], 2),
        "load_average": round(med["load_average"], 1),
        "runs_posts_per_s": [round(r["posts_per_s"], 1) for r in runs],
        "cpu_ms_per_post": {
            k.split(".", 1)[1]: round(v, 2) for k, v in med.items() if k.startswith("cpu_ms_per_post.")
        },
    }
    print(
        f"{labelers} labeler(s) × {args.concurrency}: {out['posts_per_s']} posts/s "
        f"(ideal {out['ideal_posts_per_s']}, efficiency {out['efficiency']}), train→model {out['to_model_s']} s, "
        f"builder {out['builder_s']} s ({out['builder_share']:.1%}), listing {out['listing_s']} s, "
        f"CPU {out['cpu_busy']:.0%} (load average {out['load_average']}); CPU ms per post: {out['cpu_ms_per_post']}",
        flush=True,
    )
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    from sandbox.instagram.testing import SandboxServer, sample_account
    from shared.labeling.delay import parse_delay

    delay = None if args.offline else parse_delay(args.delay)
    with _harness.namespace(TMP) as (settings, mongo):
        accounts = TMP / "accounts"
        start = (datetime(2025, 1, 1, 12, tzinfo=timezone.utc) - timedelta(days=args.posts)).strftime(
            "%Y-%m-%dT%H:%M:%S+0000"
        )
        sample_account(accounts, ACCOUNT, n_posts=args.posts, carousel=False, video=False, start=start)
        if args.offline:
            delay = plain_loop(accounts, settings)
            print(f"plain loop, offline model: {1 / delay:.1f} images/s", flush=True)
        overhead = broker_overhead(settings, args.overhead_messages)
        print(f"broker: {overhead['publish_confirmed_ms']} ms per confirmed publish, "
              f"{overhead['consume_ack_ms']} ms per consume + ack (8 in flight)", flush=True)
        results = []
        with SandboxServer(accounts, CLIENT_ID, CLIENT_SECRET) as sandbox:
            for labelers in args.labeler_counts:
                results.append(bench_labelers(labelers, args, settings.amqp_url, sandbox, mongo, delay))
    by = {r["labelers"]: r for r in results}
    scaling = {f"{b}_vs_{a}": round(by[b]["posts_per_s"] / by[a]["posts_per_s"], 2)
               for a, b in ((1, 2), (2, 4), (4, 8)) if a in by and b in by}
    print(json.dumps({"benchmark": "pipeline", "posts": args.posts, "labeler": args.labeler,
                      **({"loop_images_per_s": round(1 / delay, 1)} if args.offline else {"delay_s": delay}),
                      "concurrency": args.concurrency,
                      "repeat": args.repeat, "broker": overhead, "labelers": results, "scaling": scaling,
                      "cpus": os.cpu_count()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
