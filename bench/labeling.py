"""Offline labeler benchmark: latency, model load, memory, batching.

    python bench/labeling.py [--n 100] [--warmup 10] [--batch 8]

Images: real photographs that ship in packages (scikit-image, scikit-learn, matplotlib),
scaled to 1080×1080 and saved as JPEG (quality 90), as Instagram serves them. Latency is
per `label(bytes)` call — decode (JPEG draft), EXIF, resizes, EfficientNet-Lite0 and the
object, face, hand and text detectors, labels — after warm-up, one image at a time; CPU time
per image counts every thread. Load time: from the first import of
shared.labeling to a labeler ready to label (fresh process). Peak memory: this process's
maximum resident set size, which only labels. Batching: `label_batch` of --batch images,
and two threads calling `label` at once. Targets: CPU ≤ 60 ms an image (issue 21), load
≤ 3 s, peak RSS ≤ 600 MB. The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _photos() -> list[Path]:
    def pkg(name):
        spec = importlib.util.find_spec(name)
        return Path(spec.origin).parent if spec and spec.origin else None

    out = []
    sk, sl, mpl = pkg("skimage"), pkg("sklearn"), pkg("matplotlib")
    if sk:
        out += [
            sk / "data" / n for n in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "motorcycle_left.png")
        ]
    if sl:
        out += [sl / "datasets" / "images" / n for n in ("china.jpg", "flower.jpg")]
    if mpl:
        out.append(mpl / "mpl-data" / "sample_data" / "grace_hopper.jpg")
    if not out:
        raise SystemExit("no sample photos: run `make install` (scikit-image is in the assets extra)")
    return out


def _jpegs_1080() -> list[bytes]:
    from PIL import Image

    out = []
    for p in _photos():
        buf = io.BytesIO()
        Image.open(p).convert("RGB").resize((1080, 1080), Image.BICUBIC).save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def _ms(xs):
    return round(statistics.median(xs) * 1000, 2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="timed single-image calls")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    from shared.labeling import get_labeler

    labeler = get_labeler(backend="offline")
    load_s = time.perf_counter() - t0
    print(f"labeler {labeler.id}; threads {labeler.threads}; cores {os.cpu_count()}")
    print(f"model load (import + the five ONNX sessions): {load_s:.2f} s")

    images = _jpegs_1080()
    print(f"{len(images)} photos as 1080×1080 JPEG, {statistics.mean(map(len, images)) / 1024:.0f} KiB on average")
    for i in range(args.warmup):
        labeler.label(images[i % len(images)])

    # one image at a time, end to end
    lat = []
    cpu0 = time.process_time()
    for i in range(args.n):
        data = images[i % len(images)]
        t = time.perf_counter()
        labeler.label(data)
        lat.append(time.perf_counter() - t)
    cpu_ms = (time.process_time() - cpu0) * 1000 / args.n
    lat_sorted = sorted(lat)
    p90 = lat_sorted[int(0.9 * (len(lat) - 1))]
    print(f"label(): median {_ms(lat)} ms, p90 {p90 * 1000:.2f} ms, {len(lat) / sum(lat):.1f} images/s; "
          f"CPU time {cpu_ms:.1f} ms per image (all threads)")
    load1 = os.getloadavg()[0]
    print(f"load average while measuring: {load1:.2f} on {os.cpu_count()} cores (other work slows every figure)")

    # where the time goes: each model alone, CPU time of this process (all threads)
    from shared.labeling.blaze import letterbox

    parts: dict[str, list[float]] = {k: [] for k in ("decode", "classifier", "objects", "faces", "hands", "text")}

    def cpu(key, f, *a):
        t = time.process_time()
        out = f(*a)
        parts[key].append(time.process_time() - t)
        return out

    for i in range(min(args.n, 40)):
        img = cpu("decode", lambda d: labeler.intake(d).image, images[i % len(images)])
        cpu("classifier", lambda im: labeler.probabilities(labeler.model_input(im)[None]), img)
        cpu("objects", labeler._objects.detect, img)
        square = letterbox(img)
        cpu("faces", labeler._faces.detect, square)
        cpu("hands", labeler._hands.detect, square)
        cpu("text", labeler._text.detect, img)
    print("  CPU per model (medians): " + ", ".join(f"{k} {_ms(v)} ms" for k, v in parts.items()))

    # batching
    batches = [[images[(k + j) % len(images)] for j in range(args.batch)] for k in range(max(2, args.n // args.batch))]
    labeler.label_batch(batches[0])
    t = time.perf_counter()
    for b in batches:
        labeler.label_batch(b)
    batch_ips = len(batches) * args.batch / (time.perf_counter() - t)
    print(f"label_batch({args.batch}): {batch_ips:.1f} images/s")

    # two threads, one labeler
    per_thread = max(10, args.n // 2)
    def work(k):
        for i in range(per_thread):
            labeler.label(images[(i + k) % len(images)])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    thread_ips = 2 * per_thread / (time.perf_counter() - t)
    print(f"2 threads calling label(): {thread_ips:.1f} images/s")

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this labeling process: {rss_mb:.0f} MB")
    single_ips = len(lat) / sum(lat)
    figures = {
        "bench": "labeling", "labeler": labeler.id, "images": len(images), "n": args.n,
        "median_ms": _ms(lat), "p90_ms": round(p90 * 1000, 2),
        "cpu_ms_per_image": round(cpu_ms, 2), "target_cpu_ms_per_image": 60, "load_average": round(load1, 2),
        **{f"{k}_cpu_ms": _ms(v) for k, v in parts.items()},
        "load_s": round(load_s, 2), "target_load_s": 3,
        "peak_rss_mb": round(rss_mb), "target_peak_rss_mb": 600,
        "images_per_s": round(single_ips, 1), "batch": args.batch, "batch_images_per_s": round(batch_ips, 1),
        "two_threads_images_per_s": round(thread_ips, 1),
        "batching_helps": batch_ips > 1.1 * single_ips,
    }
    figures["ok"] = bool(cpu_ms <= 60 and figures["load_s"] <= 3 and figures["peak_rss_mb"] <= 600)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
