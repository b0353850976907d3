"""Text in an image, offline: PaddleOCR's PP-OCRv4 text detector (DB, differentiable
binarization), from the rapidocr-onnxruntime wheel. It finds where text is, not what it says:
enough for a "Text" label, and cheap at a small input (Instagram text is overlays, posters,
packaging and signs, large relative to the frame).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .onnx_session import open_session

LONG_SIDE = 288  # detector input, longer side (a multiple of 32); text under ~1/30 of the frame is missed
PIXEL_THRESHOLD = 0.3  # PP-OCR's own binarisation threshold
MIN_REGION = 12  # pixels of the detector's map: smaller blobs are texture, not words


@dataclass(frozen=True)
class TextFound:
    area: float  # share of the image covered by text regions (0-1)
    regions: int  # separate text regions (lines or blocks)


class TextDetector:
    def __init__(self, path, threads: int = 1):
        self._session = open_session(path, threads)
        self._input = self._session.get_inputs()[0].name

    @staticmethod
    def model_input(img: Image.Image) -> np.ndarray:
        w, h = img.size
        s = LONG_SIDE / max(w, h)
        size = (max(32, round(w * s / 32) * 32), max(32, round(h * s / 32) * 32))
        rgb = np.asarray(img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0), dtype=np.float32)
        return ((rgb / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]

    def detect(self, img: Image.Image) -> TextFound:
        import cv2

        prob = self._session.run(None, {self._input: self.model_input(img)})[0][0, 0]
        mask = (prob > PIXEL_THRESHOLD).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        areas = [int(stats[i, cv2.CC_STAT_AREA]) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= MIN_REGION]
        return TextFound(sum(areas) / mask.size, len(areas))
