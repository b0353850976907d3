"""What each detector's raw score means, as a probability: one logistic curve per kind of
evidence, confidence = 100 / (1 + exp(-(x - centre) / spread)).

Fitted by `python bench/labeling_quality.py --fit` (a one-feature logistic regression per
kind) on the hand-made truth of bench/labeling_truth.json: 120 real Instagram photos judged
by eye. So 50 means "right about half the time on real Instagram photos", the threshold the
seed used for Rekognition. The bench also fits each curve on one half of the photos and
checks it on the other, so the figures in docs/labeling.md are out of sample. A change here
changes the labeler id (offline.CALIBRATION_DIGEST), so labels of two calibrations never mix.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Curve:
    centre: float  # the raw value at which the label is right half of the time
    spread: float  # how fast confidence rises with it

    def __call__(self, x: float) -> float:
        z = (x - self.centre) / self.spread
        return 100.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


#: evidence kind → curve; the raw value of each is named beside it
CURVES: dict[str, Curve] = {
    "person": Curve(0.5, 0.119),  # NanoDet's score of its best person box
    "face": Curve(0.689, 0.0422),  # BlazeFace's probability of its best face
    "smile": Curve(0.657, 0.286),  # the expression model's "happy" on a confident face
    "portrait": Curve(0.214, 0.0621),  # width of the largest confident face, share of the image
    "hand": Curve(4.11, 1.81),  # the palm detector's logit of its best hand
    "object": Curve(0.62, 0.182),  # NanoDet's score of an object box (not a person)
    "text": Curve(-3.65, 0.445),  # log10 of the share of the image covered by text regions
    "poster": Curve(-1.99, 0.397),  # the same, for a designed graphic (poster, advert, meme)
    "clothing": Curve(0.706, 0.191),  # best person score + the classifier's clothing share (people.py)
    # The classifier's probability summed over places and outdoor things (scenes.py). Most
    # outdoor photos of the truth put little on those classes, so there is no slope to fit:
    # 5 of the 7 photos from 0.2 are outdoors, and the same 5 of 7 from 0.5. Set by hand so
    # that 0.5 reads about 70.
    "outdoors": Curve(0.35, 0.17),
    # The classifier's summed probability of a name (not a category, below). On the truth
    # photos there is no slope to fit: 11 of 138 right from 0.2, none of 41 from 0.5 (a vape is
    # "Lighter", a poster "Website"). Set by hand so that only a very sure class is a label,
    # which on photos like ImageNet's is right (a cat 0.92 -> 80, an espresso 0.96 -> 89).
    "classifier": Curve(0.85, 0.05),
    # The same for a category, a name over 10 classes or more (offline.BROAD): fitted.
    "category": Curve(0.306, 0.169),
}


def confidence(kind: str, x: float) -> float:
    return CURVES[kind](x)


def digest() -> str:
    """Eight hex digits that change whenever a curve does."""
    body = json.dumps({k: asdict(v) for k, v in sorted(CURVES.items())}, sort_keys=True).encode()
    return hashlib.sha256(body).hexdigest()[:8]
