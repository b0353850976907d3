"""What observing a message costs a worker: the CPU that shared.broker.worker adds per message
(its four ids bound twice, one JSON log line, the in-flight gauge, the handling histogram, a
counter), the log line written to /dev/null as a service's stdout would take it.

    python bench/observability.py [--n 20000] [--repeat 5]

Prints the best of the repeats in microseconds of CPU per message; the last line is JSON.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shared import logs, worker_metrics

IDS = {"message_id": "m" * 40, "run_id": "r" * 32, "user_id": "u" * 32, "request_id": "q" * 32}


def observe_one(log, handled, handling, in_flight) -> None:
    """As Worker._handle and Worker._settle do around a handler that does nothing."""
    in_flight.inc()
    started = time.perf_counter()
    with logs.bound(**IDS):
        log.info("handled %s in %.1f ms", "post.discovered.v1", (time.perf_counter() - started) * 1000)
    handling.observe(time.perf_counter() - started)
    in_flight.dec()
    with logs.bound(**IDS):
        handled.inc()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    out = sys.stdout
    sys.stdout = open(os.devnull, "w")  # logs.setup writes to stdout
    logs.setup("bench")
    log = logging.getLogger("shared.broker.worker")
    m = worker_metrics
    parts = (log, m.HANDLED.labels("bench"), m.HANDLING.labels("bench"), m.IN_FLIGHT.labels("bench"))
    for _ in range(args.n // 10):
        observe_one(*parts)
    runs = []
    for _ in range(args.repeat):
        started = time.process_time()
        for _ in range(args.n):
            observe_one(*parts)
        runs.append((time.process_time() - started) / args.n * 1e6)
    sys.stdout = out
    print(f"observing one message: {min(runs):.1f} us of CPU (best of {args.repeat} x {args.n}; "
          f"all {', '.join(f'{r:.1f}' for r in runs)}; load average {os.getloadavg()[0]:.1f})")
    print(json.dumps({"cpu_us_per_message": round(min(runs), 1), "runs_us": [round(r, 1) for r in runs],
                      "load_average": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
