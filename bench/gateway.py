"""The gateway's status path against its ceiling: `/healthz` and the authenticated run status
under wrk, side by side in one run.

    python bench/gateway.py [--duration 5] [--rounds 3] [--connections 16] [--threads 2]

The gateway runs as `make up` runs it (gunicorn, LIKELY_GATEWAY_WORKERS workers × 4 threads) on
a namespace of the benchmark's own (bench/_harness.py). Two users, signed up and logged in
through the API: one whose run is live (running, 400 of 1,000 posts counted, the run document
its 1,000 posts listed in run_media as the ingestor stores them), one whose run is over. wrk
(`--threads` threads, `--connections` connections, `--duration` seconds) measures, round after
round so that each route sees the same machine:

  healthz        GET /healthz (no authentication, no database: the framework's ceiling here)
  status_live    GET /api/v1/training-runs/current, the live run (Bearer token)
  status_done    the same, the finished run
  status_304     status_live with If-None-Match: the page's poll when nothing changed (304)

Figures are medians over the rounds: req/s, p50 and p99 latency; `ratio` is each route's req/s
÷ /healthz's in the same round (issue 12's target: status ≥ 0.6); `cpu_ms_per_request` is the
gateway's own CPU (all its processes, from /proc) per request, which other load on the machine
changes less than req/s. Also the cost of one session
check, read by this process: Redis (the cache the gateway reads) against MongoDB (what every
request read before). The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

TMP = _harness.isolate("gateway")

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> dict:
    """req/s, p50/p99 (ms), requests and errors from wrk's --latency report."""
    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * UNITS[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"), "requests": requests, "errors": errors}


def gateway_cpu(pgid: int) -> float:
    """CPU seconds used so far by the gateway (gunicorn's master and workers: one process group)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wrk(url: str, args, headers: dict[str, str], pgid: int) -> dict:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cpu = gateway_cpu(pgid)
    out = parse_wrk(subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout)
    out["cpu_ms_per_request"] = (gateway_cpu(pgid) - cpu) / max(out["requests"], 1) * 1000
    return out


def session_check_us(mongo, redis, token_hash: str, n: int = 2000) -> dict:
    """Microseconds per session check from this process: the gateway's Redis GET against MongoDB."""
    from services.gateway.accounts.sessions import cache_key

    def per_call(fn) -> float:
        fn()
        started = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - started) / n * 1e6

    return {"redis": round(per_call(lambda: redis.get(cache_key(token_hash))), 1),
            "mongodb": round(per_call(lambda: mongo.sessions.find_one({"token_hash": token_hash},
                                                                      {"user_id": 1, "expires_at": 1})), 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    import hashlib

    import requests

    from shared import progress as progressmod
    from tests.support.runs import live_run

    with _harness.namespace(TMP) as (settings, mongo):
        progress = progressmod.Progress(progressmod.connect(settings.redis_url))
        gw = _harness.stack(TMP, settings, "http://127.0.0.1:9", gateway_only=True)
        try:
            live, done = _harness.new_user(gw.gateway_url), _harness.new_user(gw.gateway_url)
            live_run(mongo, progress, _user_id(live), total=1000, counted=400)
            _harness.finished_run(mongo, progress, _user_id(done))
            url = gw.gateway_url + "/api/v1/training-runs/current"
            etag = requests.get(url, headers={"Authorization": f"Bearer {live.token}"}, timeout=10).headers.get("ETag")
            targets = {
                "healthz": (gw.gateway_url + "/healthz", {}),
                "status_live": (url, {"Authorization": f"Bearer {live.token}"}),
                "status_done": (url, {"Authorization": f"Bearer {done.token}"}),
            }
            if etag:  # (a gateway without ETags, measured for comparison, has no 304 to measure)
                targets["status_304"] = (url, {"Authorization": f"Bearer {live.token}", "If-None-Match": etag})
            for name, (u, h) in targets.items():  # each answers as it should before it is measured
                resp = requests.get(u, headers=h, timeout=10)
                if resp.status_code != (304 if "If-None-Match" in h else 200):
                    raise SystemExit(f"{name}: {resp.status_code} {resp.text[:300]}\n{gw.log('gateway')[-3000:]}")
            rounds = []
            for r in range(args.rounds):
                names = list(targets)[r % len(targets):] + list(targets)[:r % len(targets)]  # each goes first in turn
                row = {name: wrk(targets[name][0], args, targets[name][1], gw.procs["gateway"].pid) for name in names}
                rounds.append(row)
                print(f"round {r + 1}: " + ", ".join(f"{k} {v['rps']:.0f} req/s" for k, v in row.items()), flush=True)
            checks = session_check_us(mongo, progress.r, hashlib.sha256(live.token.encode()).hexdigest())
        finally:
            gw.stop()
    out = {}
    for name in targets:
        out[name] = {k: round(statistics.median(r[name][k] for r in rounds), 3)
                     for k in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")}
        out[name]["requests"] = sum(r[name]["requests"] for r in rounds)
        out[name]["errors"] = sum(r[name]["errors"] for r in rounds)
        out[name]["ratio"] = round(statistics.median(r[name]["rps"] / r["healthz"]["rps"] for r in rounds), 3)
    print(f"{'route':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'CPU ms/req':>10} {'errors':>6}")
    for name, v in out.items():
        print(f"{name:<12} {v['rps']:>8.0f} {v['p50_ms']:>8.2f} {v['p99_ms']:>8.2f} {v['ratio']:>6.2f} "
              f"{v['cpu_ms_per_request']:>10.3f} {v['errors']:>6}")
    print(f"session check from one client: Redis {checks['redis']} µs, MongoDB {checks['mongodb']} µs")
    print(json.dumps({"benchmark": "gateway", "wrk": {"threads": args.threads, "connections": args.connections,
                                                      "duration_s": args.duration, "rounds": args.rounds},
                      "workers": settings.gateway_workers, "routes": out, "session_check_us": checks,
                      "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}))
    errors = sum(v["errors"] for v in out.values())
    return 1 if errors else 0


def _user_id(client) -> str:
    return client.request("GET", "/api/v1/me")["user_id"]


if __name__ == "__main__":
    sys.exit(main())
