"""A benchmark stand-in for a remote labeler: `LIKELY_LABELER=delay:150ms`.

It does what the Rekognition labeler does on this side of the network (checks the image:
format, size, pixels) and then, instead of calling a service, sleeps the given time. It is for
measuring the pipeline (the pipeline benchmark) at a remote labeler's latency without the network;
it says nothing true about an image and is never the default.

Its labels come from a fixed vocabulary (VOCABULARY, below): each image gets LABELS_PER_IMAGE
of them, chosen by its SHA-256, with confidences from the same hash, so the same image always
gets the same labels and a model built from them has as many distinct labels to fit as a small
real account. The labeler id is `delay-<ms>ms@1`.
"""
from __future__ import annotations

import hashlib
import re
import time

from .intake import load_image
from .types import Label, LabelResult, finish

VOCABULARY = tuple(f"Bench{i:02d}" for i in range(64))
LABELS_PER_IMAGE = 8

_SPEC = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")


def parse_delay(spec: str) -> float:
    """'150ms' → 0.15, '0.2s' → 0.2, '150' → 0.15 (milliseconds when no unit); seconds."""
    m = _SPEC.match(spec or "")
    if not m:
        raise ValueError(f"a delay labeler needs a time, as in delay:150ms or delay:0.2s (got {spec!r})")
    value = float(m.group(1))
    seconds = value if m.group(2) == "s" else value / 1000.0
    if seconds > 60:
        raise ValueError(f"a delay labeler's delay must be at most 60 s (got {spec!r})")
    return seconds


class DelayLabeler:
    """Sleeps `seconds` per image, as if waiting on a remote labeler; thread-safe."""

    remote = True  # waits on the "network": a labeler process keeps several calls in flight

    def __init__(self, seconds: float, *, min_confidence: float = 50.0, max_labels: int = 100,
                 max_bytes: int | None = None, max_pixels: int | None = None):
        self.seconds = float(seconds)
        self.min_confidence, self.max_labels = min_confidence, max_labels
        self.max_bytes, self.max_pixels = max_bytes, max_pixels
        self.id = f"delay-{round(self.seconds * 1000)}ms@1"

    def label(self, data: bytes) -> LabelResult:
        load_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels, draft=32)  # reject before "paying"
        time.sleep(self.seconds)
        return LabelResult(self.id, finish(labels_for(data), self.min_confidence, self.max_labels))


def labels_for(data: bytes) -> list[Label]:
    """LABELS_PER_IMAGE distinct labels of VOCABULARY, confidences 50–99, all from the image's hash."""
    digest = hashlib.sha256(data).digest()
    names: list[str] = []
    for byte in digest:
        name = VOCABULARY[byte % len(VOCABULARY)]
        if name not in names:
            names.append(name)
        if len(names) == LABELS_PER_IMAGE:
            break
    return [Label(name, 50.0 + digest[(i + 16) % len(digest)] % 50) for i, name in enumerate(names)]
