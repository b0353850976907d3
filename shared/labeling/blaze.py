"""What MediaPipe's single-shot detectors (BlazeFace, the palm detector) share: a square,
letterboxed input in [-1, 1], anchors at the centres of their feature maps' cells, and rows of
(score logit, centre dx, centre dy, width, height, keypoints...) in input pixels."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .onnx_session import nms

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the image


def anchors(side: int, layers: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Anchor centres in input pixels: for each (stride, anchors per cell), cell by cell."""
    out = []
    for stride, per_cell in layers:
        cells = side // stride
        for gy in range(cells):
            for gx in range(cells):
                out += [(stride * (gx + 0.5), stride * (gy + 0.5))] * per_cell
    return np.array(out, dtype=np.float32)


SIDE = 256  # both models' input


@dataclass(frozen=True)
class Square:
    """An image letterboxed into a square, made once for both detectors."""

    x: np.ndarray  # the model input (1, SIDE, SIDE, 3) in [-1, 1]
    image: Image.Image  # the square at full size (faces are cropped from it)
    frame: tuple[float, float, float]  # the square's side, x and y offsets, in image pixels
    size: tuple[int, int]  # the image's width and height


def letterbox(img: Image.Image) -> Square:
    w, h = img.size
    big = max(w, h)
    sq = Image.new("RGB", (big, big))
    dx, dy = (big - w) // 2, (big - h) // 2
    sq.paste(img, (dx, dy))
    x = np.asarray(sq.resize((SIDE, SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0), dtype=np.float32) / 127.5 - 1.0
    return Square(x[None], sq, (float(big), float(dx), float(dy)), (w, h))


def decode(rows: np.ndarray, anchor: np.ndarray, square: Square, min_score: float,
           iou: float) -> list[tuple[float, Box, Box]]:
    """[(score logit, box as fractions of the image, box in the square's pixels)], best first.
    The logit, not the probability: a confident detector's probabilities all round to 1."""
    score = 1.0 / (1.0 + np.exp(-np.clip(rows[:, 0], -60, 60)))
    m = np.flatnonzero(score >= min_score)
    if not m.size:
        return []
    centre = rows[m, 1:3] + anchor[m]
    half = rows[m, 3:5] / 2
    boxes = np.concatenate([centre - half, centre + half], 1) / SIDE
    big, dx, dy = square.frame
    w, h = square.size
    out = []
    for i in nms(boxes, score[m], iou):
        x0, y0, x1, y1 = (float(v) for v in boxes[i] * big)
        box = (max(0.0, (x0 - dx) / w), max(0.0, (y0 - dy) / h), min(1.0, (x1 - dx) / w), min(1.0, (y1 - dy) / h))
        if box[2] > box[0] and box[3] > box[1]:
            out.append((float(rows[m[i], 0]), box, (x0, y0, x1, y1)))
    return out
