"""Model benchmark: fit time of each kind for 1k, 10k and 100k posts, and predict time.

    python bench/model.py [--sizes 1000,10000,100000] [--repeat 200]

Posts carry 10 to 100 labels each from a vocabulary of 2,000 (confidences 50-100). Fit time
is measured from TrainingPost objects (encoding included), one kind at a time; `build_model`
(every kind fitted twice plus the backtest) is timed too. Predict time is per call of
`predict(doc, labels)` with 100 labels, after the first (which prepares the document).
Targets (issue 6): the default kind fits 100k posts in <= 5 s; predict <= 1 ms.
The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shared.model import DEFAULT_KIND, KINDS, TrainingPost, build_model, predict
from shared.model.data import encode
from shared.model.models import FITTERS

VOCAB = 2000
MEDIA = ("IMAGE", "IMAGE", "CAROUSEL_ALBUM", "VIDEO")  # every format, a caption with hashtags on each post


def make_posts(n: int, seed: int = 0) -> list[TrainingPost]:
    rng = np.random.default_rng(seed)
    vocab = [f"Label {j}" for j in range(VOCAB)]
    pop = 1.0 / np.arange(1, VOCAB + 1) ** 0.8  # a few labels are common, most are rare
    pop /= pop.sum()
    t0 = datetime(2015, 1, 1, tzinfo=timezone.utc)
    counts = rng.integers(10, 101, size=n)
    likes = np.maximum(0, rng.lognormal(5, 0.8, size=n) * np.linspace(1, 4, n)).astype(int)
    posts = []
    for i in range(n):
        idx = rng.choice(VOCAB, size=int(counts[i]), replace=False, p=pop)
        conf = rng.uniform(50, 100, size=idx.size).round(2)
        tags = " ".join(f"#tag{j}" for j in rng.choice(VOCAB, size=int(rng.integers(0, 12)), p=pop))
        posts.append(TrainingPost(f"m{i}", t0 + timedelta(hours=3 * i), int(likes[i]), int(likes[i] // 20),
                                  tuple(zip([vocab[j] for j in idx], conf.tolist(), strict=True)), "FEED",
                                  MEDIA[i % len(MEDIA)], f"A caption of post {i} with @friend {tags}"))
    return posts


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark model fit and predict times")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=200)
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",")]
    result = {"fit_seconds": {}, "encode_seconds": {}, "build_model_seconds": {}, "predict_ms": {}}
    for n in sizes:
        posts = make_posts(n)
        labels_total = sum(len(p.labels) for p in posts)
        enc_s, _ = timed(encode, posts)
        result["encode_seconds"][str(n)] = round(enc_s, 3)
        fits = {}
        for kind in KINDS:
            # from TrainingPost objects, as the builder sees them
            s, _ = timed(lambda k, ps: FITTERS[k](encode(ps)), kind, posts)
            fits[kind] = round(s, 3)
        result["fit_seconds"][str(n)] = fits
        b, doc = timed(build_model, posts)
        result["build_model_seconds"][str(n)] = round(b, 3)
        labels = [(f"Label {j}", 90.0) for j in range(0, 200, 2)]
        pm = {}
        for kind in KINDS:
            predict(doc, labels, kind=kind)
            t = time.perf_counter()
            for _ in range(a.repeat):
                predict(doc, labels, kind=kind, when=datetime(2030, 1, 1, tzinfo=timezone.utc))
            pm[kind] = round((time.perf_counter() - t) / a.repeat * 1000, 4)
        result["predict_ms"][str(n)] = pm
        print(f"{n:>7} posts ({labels_total} labels): encode {enc_s:.2f}s; fit "
              + ", ".join(f"{k} {v:.2f}s" for k, v in fits.items())
              + f"; build_model {b:.2f}s; predict " + ", ".join(f"{k} {v:.3f}ms" for k, v in pm.items()),
              flush=True)
    big = str(max(sizes))
    result["default_kind"] = DEFAULT_KIND
    result["targets"] = {
        "default_fit_100k_le_5s": result["fit_seconds"].get("100000", {}).get(DEFAULT_KIND, 0) <= 5.0
        if "100000" in result["fit_seconds"] else None,
        "predict_le_1ms": max(result["predict_ms"][big].values()) <= 1.0,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
