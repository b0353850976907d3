"""Say what an image shows: one interface, two backends, one result type.

    from shared.labeling import get_labeler
    result = get_labeler().label(image_bytes)       # LabelResult(labeler, labels)
    result.to_dicts()                               # [{"name", "confidence", "parents"}]

Backends: `offline` (default; EfficientNet-Lite0 + WordNet parents + OpenCV faces, no
network) and `rekognition` (AWS DetectLabels). Every result names the labeler that made it
(`offline-efficientnet-lite0@…`, `rekognition@<LabelModelVersion>`). See docs/labeling.md.
"""
from __future__ import annotations

import threading

from .cache import CachedLabeler, MemoryCacheStore, MongoCacheStore, TieredCacheStore
from .intake import ImageRejected, IntakeImage, load_image
from .offline import LabelerUnavailable, OfflineLabeler
from .rekognition import RekognitionLabeler
from .types import Label, Labeler, LabelResult

__all__ = [
    "Label", "LabelResult", "Labeler", "ImageRejected", "IntakeImage", "load_image", "get_labeler",
    "CachedLabeler", "MemoryCacheStore", "MongoCacheStore", "TieredCacheStore", "OfflineLabeler", "RekognitionLabeler",
    "LabelerUnavailable", "BACKENDS",
]

BACKENDS = ("offline", "rekognition")
_labelers: dict[str, object] = {}
_lock = threading.Lock()


def get_labeler(settings=None, backend: str | None = None) -> Labeler:
    """The process-wide labeler of a backend (default: settings.labeler), built once on first
    use, thread-safe. The offline model is loaded here, not at import."""
    if settings is None:
        from shared.settings import Settings

        settings = Settings()
    backend = (backend or settings.labeler or "offline").lower()
    if backend not in BACKENDS:
        raise ValueError(f"unknown labeler backend {backend!r}; use one of {', '.join(BACKENDS)}")
    labeler = _labelers.get(backend)
    if labeler is not None:
        return labeler  # type: ignore[return-value]
    with _lock:
        labeler = _labelers.get(backend)
        if labeler is None:
            if backend == "offline":
                labeler = OfflineLabeler(settings.models_dir, min_confidence=settings.min_confidence,
                                         max_labels=settings.max_labels, threads=settings.labeler_threads,
                                         max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels)
            else:
                labeler = RekognitionLabeler(settings=settings)
            _labelers[backend] = labeler
    return labeler  # type: ignore[return-value]


def _reset_for_tests() -> None:
    with _lock:
        _labelers.clear()
