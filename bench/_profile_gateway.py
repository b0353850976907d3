"""Where the gateway's CPU goes per request, in one process (not a benchmark: `make bench`
skips `_*.py`): the Flask app (services.gateway.app.create_app) driven by its test client, on
the real Redis and MongoDB-wire server of a namespace of its own (bench/_harness.py), without
gunicorn, sockets or wrk. It prints the microseconds per request of /healthz and of the run
status (a live run, a finished one, a 304) and, with --profile, cProfile's top functions of
the status route.

    python bench/_profile_gateway.py [--requests 2000] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

TMP = _harness.isolate("profile")


def per_request_us(client, path: str, headers: dict, n: int, expect: int) -> float:
    for _ in range(20):  # warm: the caches of `RunStatusReader` and `SessionStore` filled
        assert client.get(path, headers=headers).status_code == expect
    started = time.process_time()
    for _ in range(n):
        client.get(path, headers=headers)
    return (time.process_time() - started) / n * 1e6


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--profile", action="store_true", help="cProfile one route (--profile-route)")
    ap.add_argument(
        "--profile-route", default="status_live", choices=("healthz", "status_live", "status_done", "status_304")
    )
    ap.add_argument("--profile-out", help="also write cProfile's stats to this file (pstats)")
    ap.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    args = ap.parse_args(argv)
    from services.gateway.app import create_app
    from shared import progress as progressmod
    from tests.support.runs import live_run

    with _harness.namespace(TMP) as (settings, mongo):
        progress = progressmod.Progress(progressmod.connect(settings.redis_url))
        client = create_app().test_client()
        tokens = []
        for i in range(2):
            email = f"profile-{i}-{TMP.name[-8:]}@example.com"
            assert client.post("/api/v1/users", json={"email": email, "password": _harness.PASSWORD}).status_code == 201
            resp = client.post("/api/v1/sessions", json={"email": email, "password": _harness.PASSWORD})
            tokens.append({"Authorization": f"Bearer {resp.get_json()['token']}"})
        live_id, done_id = (client.get("/api/v1/me", headers=t).get_json()["user_id"] for t in tokens)
        live_run(mongo, progress, live_id, total=1000, counted=400)
        _harness.finished_run(mongo, progress, done_id)
        url = "/api/v1/training-runs/current"
        etag = client.get(url, headers=tokens[0]).headers["ETag"]
        routes = {"healthz": ("/healthz", {}, 200), "status_live": (url, tokens[0], 200),
                  "status_done": (url, tokens[1], 200), "status_304": (url, {**tokens[0], "If-None-Match": etag}, 304)}
        out = {name: per_request_us(client, p, h, args.requests, code) for name, (p, h, code) in routes.items()}
        for name, us in out.items():
            print(f"{name:<12} {us:8.0f} µs of CPU per request ({us / out['healthz']:.2f}× /healthz)")
        if args.profile:
            name = args.profile_route
            path, headers, _ = routes[name]
            prof = cProfile.Profile()
            prof.runcall(lambda: [client.get(path, headers=headers) for _ in range(args.requests)])
            pstats.Stats(prof).sort_stats(args.sort).print_stats(30)
            if args.profile_out:
                prof.dump_stats(args.profile_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
