"""Inference benchmark, on a real stack started here (gunicorn gateway, inferers, RabbitMQ,
Redis, the MongoDB-wire server) with a model trained on the sandbox's demo account.

    python bench/inference.py [--n 200]

1. RPC path alone: the gateway's RPC client → RabbitMQ → inferer → reply, for an image
   whose labels are already cached (no labelling), at 1, 10 and 50 concurrent clients:
   p50 and p99. Targets (issue 4): p50 ≤ 5 ms and p99 ≤ 25 ms at 10 clients.
2. Full prediction over HTTP of a fresh 1080×1080 JPEG (never seen: labelled offline):
   p50, one client. Target ≤ 80 ms.
3. Full predictions per second, 4 clients, with 1 inferer and then 2 inferers (side by side
   in one run, the ratio printed), and the RPC path at 10 clients again with 2 inferers.
The machine is shared and noisy: medians and percentiles of many calls. Last line: JSON.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LIKELY_MONGO_DB", "likely_bench")
os.environ.setdefault("LIKELY_REDIS_URL", "redis://127.0.0.1:6379/2")
os.environ.setdefault("LIKELY_IMAGE_DIR", tempfile.mkdtemp(prefix="likely-bench-images-"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from sandbox.photos import jpeg as photo  # noqa: E402
from services.cli.client import LikelyClient  # noqa: E402
from shared import db as dbmod  # noqa: E402
from shared.broker.rpc import RpcClient  # noqa: E402
from shared.contracts import InferRequest  # noqa: E402
from shared.settings import load  # noqa: E402
from tests.support import infra  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

VHOST = "likely-bench"


def pct(values, q):
    return float(np.percentile(np.array(values) * 1000, q))


def fresh_jpeg(seed: int) -> bytes:
    """The cat at 1080×1080, one pixel changed: new bytes, so the label cache cannot help."""
    img = Image.open(io.BytesIO(photo("cat", (1080, 1080)))).convert("RGB")
    img.putpixel((seed % 1080, (seed // 1080) % 1080), (seed % 256, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def rpc_latency(settings, image_key: str, sha: str, user_id: str, clients: int, n: int) -> list[float]:
    per_client = max(n // clients, 5)
    times: list[float] = []
    lock = threading.Lock()

    def worker():
        client = RpcClient.from_settings(settings)
        client.call_many([InferRequest(user_id=user_id, image_key=image_key, sha256=sha)], timeout=10)  # warm
        mine = []
        for _ in range(per_client):
            t = time.perf_counter()
            reply = client.call_many([InferRequest(user_id=user_id, image_key=image_key, sha256=sha)], timeout=10)[0]
            mine.append(time.perf_counter() - t)
            assert reply.ok, reply
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def http_predict(client: LikelyClient, data: bytes) -> dict:
    return client.request("POST", "/api/v1/predictions", files=[("image", ("b.jpg", data, "image/jpeg"))])


def throughput(client: LikelyClient, start_seed: int, n: int, clients: int = 4) -> float:
    images = [fresh_jpeg(start_seed + i) for i in range(n)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda d: http_predict(LikelyClient(client.base_url, client.token), d), images))
    return n / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="RPC calls per concurrency level")
    args = ap.parse_args()
    if infra.check():
        sys.exit("start the infrastructure first: bash scripts/infra.sh up")
    from sandbox.instagram.testing import SandboxServer
    from tests.e2e.conftest import demo_account_dir

    infra.delete_vhost(VHOST)
    infra.add_vhost(VHOST)
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
    settings = dataclasses.replace(load(), amqp_url=amqp)
    database = dbmod.database(settings)
    database.client.drop_database(database.name)
    tmp = Path(tempfile.mkdtemp(prefix="likely-bench-"))
    import shutil

    shutil.copytree(demo_account_dir(), tmp / "accounts" / "demo")
    from tests.conftest import free_port

    with SandboxServer(tmp / "accounts", "likely-bench", "likely-bench-secret") as sandbox:
        stack = Stack(amqp_url=amqp, sandbox_url=sandbox.url, gateway_port=free_port(), log_dir=tmp / "logs",
                      labelers=2, inferers=1, extra_env={"LIKELY_INSTAGRAM_CLIENT_ID": "likely-bench",
                                                         "LIKELY_INSTAGRAM_CLIENT_SECRET": "likely-bench-secret"})
        stack.start()
        try:
            client = LikelyClient(stack.gateway_url)
            client.sign_up("bench@example.com", "bench password")
            client.log_in("bench@example.com", "bench password")
            client.connect_instagram("demo")
            run = client.wait_for_run(client.train()["run_id"], timeout=600)
            assert run["state"] == "done", run
            first = http_predict(client, photo("cat", (1080, 1080)))  # labels now cached
            pred = database.predictions.find_one({"_id": first["id"]})
            user_id, key = pred["user_id"], pred["image_key"]
            import hashlib

            sha = hashlib.sha256(photo("cat", (1080, 1080))).hexdigest()

            results: dict = {"bench": "inference"}
            for clients in (1, 10, 50):
                times = rpc_latency(settings, key, sha, user_id, clients, args.n)
                results[f"rpc_c{clients}_p50_ms"] = round(pct(times, 50), 2)
                results[f"rpc_c{clients}_p99_ms"] = round(pct(times, 99), 2)
                print(
                    f"RPC path, {clients:>2} clients: p50 {pct(times, 50):6.2f} ms  p99 {pct(times, 99):6.2f} ms  "
                    f"({len(times)} calls)"
                )

            for i in range(3):
                http_predict(client, fresh_jpeg(10_000 + i))  # warm-up
            full = []
            for i in range(40):
                data = fresh_jpeg(20_000 + i)
                t = time.perf_counter()
                http_predict(client, data)
                full.append(time.perf_counter() - t)
            results["full_p50_ms"] = round(statistics.median(full) * 1000, 1)
            print(
                f"full prediction, fresh 1080×1080 JPEG over HTTP: p50 {results['full_p50_ms']} ms, "
                f"p90 {pct(full, 90):.1f} ms"
            )

            one = throughput(client, 30_000, 60)
            stack.spawn("inferer-2", "services.inferer")
            time.sleep(3)
            two = throughput(client, 40_000, 60)
            times = rpc_latency(settings, key, sha, user_id, 10, args.n)
            results.update(
                rpc_c10_2inferers_p50_ms=round(pct(times, 50), 2), rpc_c10_2inferers_p99_ms=round(pct(times, 99), 2)
            )
            print(f"RPC path, 10 clients, 2 inferers: p50 {pct(times, 50):6.2f} ms  p99 {pct(times, 99):6.2f} ms")
            results.update(predictions_per_s_1_inferer=round(one, 1), predictions_per_s_2_inferers=round(two, 1),
                           ratio_2_vs_1=round(two / one, 2))
            print(f"full predictions/s, 4 clients: 1 inferer {one:.1f}/s, 2 inferers {two:.1f}/s (×{two / one:.2f})")
            results["targets_met"] = {
                "rpc_c10_p50": results["rpc_c10_p50_ms"] <= 5,
                "rpc_c10_p99": results["rpc_c10_p99_ms"] <= 25,
                "full_p50": results["full_p50_ms"] <= 80,
            }
            print(json.dumps(results))
        finally:
            stack.stop()
            infra.delete_vhost(VHOST)


if __name__ == "__main__":
    main()
