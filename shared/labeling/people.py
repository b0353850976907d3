"""Faces and people, offline: OpenCV's Haar frontal-face cascade (shipped inside the
opencv-python-headless wheel), since ImageNet has no person class.

Labels, Rekognition-style: "Face" (parent Person) and "Person" for every image with a face;
"Portrait" for one large face, "Selfie" for one face filling much of the frame, "People" for
two or more faces and "Group" for three or more.

Confidence: the cascade gives no probability, only how many overlapping windows agreed on a
face ("neighbours"). On the photos we checked (docs/labeling.md), real faces had 7–50
neighbours and false ones (coin portraits, textures) 4–5, so confidence is a logistic of the
neighbour count centred on 5.5: 4 → 23, 5 → 40, 6 → 60, 9 → 94, 15 → 100.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from .types import Label

# detection on a grayscale copy whose longer side is DETECT_SIDE pixels: a face must be at
# least MIN_FACE of those pixels wide (1/8 of the longer side). 6–10 ms here (docs/labeling.md).
DETECT_SIDE = 256
MIN_FACE = 32
SCALE_FACTOR = 1.25
MIN_NEIGHBORS = 3
CENTRE, SPREAD = 5.5, 1.25

PORTRAIT_FRACTION = 0.20  # one face at least this wide, relative to the image's shorter side
SELFIE_FRACTION = 0.45


def neighbours_to_confidence(n: int) -> float:
    return 100.0 / (1.0 + math.exp(-(n - CENTRE) / SPREAD))


class FaceDetector:
    """Thread-safe: each thread gets its own cascade (OpenCV's is not safe to share)."""

    def __init__(self):
        import cv2

        self._cv2 = cv2
        # one thread per detection: the labeler already runs faces beside the classifier, and
        # OpenCV's own pool only added CPU time (busy workers) on 2 cores
        cv2.setNumThreads(1)
        self._path = cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml"
        self._local = threading.local()
        self._cascade()  # fail early if the file is missing

    def _cascade(self):
        c = getattr(self._local, "cascade", None)
        if c is None:
            c = self._cv2.CascadeClassifier(self._path)
            if c.empty():
                raise RuntimeError(f"cannot load the face cascade {self._path}")
            self._local.cascade = c
        return c

    def detect(self, gray: np.ndarray) -> list[tuple[tuple[int, int, int, int], float]]:
        """Faces in a uint8 grayscale image whose longer side is about DETECT_SIDE:
        [((x, y, w, h), confidence)]."""
        cv2 = self._cv2
        gray = cv2.equalizeHist(gray)
        boxes, neighbours = self._cascade().detectMultiScale2(
            gray, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS, minSize=(MIN_FACE, MIN_FACE))
        return [(tuple(int(v) for v in b), neighbours_to_confidence(int(n)))
                for b, n in zip(boxes, np.ravel(neighbours))]


def people_labels(faces, width: int, height: int) -> list[Label]:
    """Labels for faces found on an image of width×height (the detection image's size)."""
    faces = sorted(faces, key=lambda f: -f[1])
    if not faces:
        return []
    best = faces[0][1]
    out = [Label("Person", best), Label("Face", best, ("Person",))]
    strong = [f for f in faces if f[1] >= 50.0]
    short = min(width, height)
    if len(faces) == 1:
        frac = faces[0][0][2] / short
        if frac >= PORTRAIT_FRACTION:
            out.append(Label("Portrait", best, ("Face", "Person")))
        if frac >= SELFIE_FRACTION:
            out.append(Label("Selfie", best, ("Portrait", "Face", "Person")))
    if len(strong) >= 2:
        out.append(Label("People", strong[1][1], ("Person",)))
    if len(strong) >= 3:
        out.append(Label("Group", strong[2][1], ("People", "Person")))
    return out
