"""Say what an image shows: one interface, two backends, one result type.

    from shared.labeling import get_labeler
    result = get_labeler().label(image_bytes)       # LabelResult(labeler, labels)
    result.to_dicts()                               # [{"name", "confidence", "parents"}]

Backends: `offline` (default; EfficientNet-Lite0 + WordNet parents + OpenCV faces, no
network), `rekognition` (AWS DetectLabels), and `delay:<time>` (a benchmark stand-in for a
remote labeler: it sleeps, see delay.py; never the default). Every result names the labeler that made it
(`offline-effnet-nanodet-blazeface@…`, `rekognition@<LabelModelVersion>`). See docs/labeling.md.
"""
from __future__ import annotations

import threading

from .cache import CachedLabeler, MemoryCacheStore, MongoCacheStore, TieredCacheStore
from .delay import DelayLabeler, parse_delay
from .intake import ImageLimits, ImageRejected, IntakeImage, load_image
from .offline import LabelerUnavailable, OfflineLabeler
from .rekognition import RekognitionLabeler
from .types import Label, Labeler, LabelResult

__all__ = [
    "Label", "LabelResult", "Labeler", "ImageLimits", "ImageRejected", "IntakeImage", "load_image", "get_labeler",
    "CachedLabeler", "MemoryCacheStore", "MongoCacheStore", "TieredCacheStore", "OfflineLabeler", "RekognitionLabeler",
    "LabelerUnavailable", "BACKENDS", "DelayLabeler", "concurrency",
]

BACKENDS = ("offline", "rekognition", "delay")
REMOTE_BACKENDS = ("rekognition", "delay")  # waiting on the network, not computing
REMOTE_CONCURRENCY = 8
_labelers: dict[str, object] = {}
_lock = threading.Lock()


def get_labeler(settings=None, backend: str | None = None) -> Labeler:
    """The process-wide labeler of a backend (default: settings.labeler), built once on first
    use, thread-safe. The offline model is loaded here, not at import."""
    if settings is None:
        from shared.settings import Settings

        settings = Settings()
    backend = (backend or settings.labeler or "offline").lower()
    kind, _, arg = backend.partition(":")
    if kind not in BACKENDS or (kind == "delay") != bool(arg):
        raise ValueError(
            f"unknown labeler backend {backend!r}; use offline, rekognition or delay:<time> (e.g. delay:150ms)"
        )
    labeler = _labelers.get(backend)
    if labeler is not None:
        return labeler  # type: ignore[return-value]
    with _lock:
        labeler = _labelers.get(backend)
        if labeler is None:
            if kind == "delay":
                labeler = DelayLabeler(parse_delay(arg), min_confidence=settings.min_confidence,
                                       max_labels=settings.max_labels, max_bytes=settings.max_image_bytes,
                                       max_pixels=settings.max_image_pixels)
            elif backend == "offline":
                labeler = OfflineLabeler(settings.models_dir, min_confidence=settings.min_confidence,
                                         max_labels=settings.max_labels, threads=settings.labeler_threads,
                                         max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels)
            else:
                labeler = RekognitionLabeler(settings=settings)
            _labelers[backend] = labeler
    return labeler  # type: ignore[return-value]


def concurrency(settings) -> int:
    """Labeling calls one labeler process keeps in flight: LIKELY_LABELER_CONCURRENCY, or when it
    is 0, REMOTE_CONCURRENCY for a remote backend (rekognition, delay) and 1 for the offline model
    (which computes: scale it out with processes)."""
    if settings.labeler_concurrency < 0:
        raise ValueError(
            f"LIKELY_LABELER_CONCURRENCY must be 0 (automatic) or more, not {settings.labeler_concurrency}"
        )
    if settings.labeler_concurrency:
        return settings.labeler_concurrency
    kind = (settings.labeler or "offline").lower().partition(":")[0]
    return REMOTE_CONCURRENCY if kind in REMOTE_BACKENDS else 1


def _reset_for_tests() -> None:
    with _lock:
        _labelers.clear()
