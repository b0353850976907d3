"""Labels of things and of the image's style: COCO objects (not people, see people.py),
"Text" where the text detector finds words, "Poster" for a designed graphic (an advert, a
flyer, a meme: text covering a large part of the frame), and "Hand". Confidences from
calibration.
"""
from __future__ import annotations

import math

from .calibration import confidence
from .coco import NAMES
from .objects import Detection
from .people import animal_discount
from .text import TextFound
from .types import Label

MIN_AREA = 1e-4  # log10 of nothing: text covering under 0.01% of the image counts as none


def object_labels(objects: list[Detection]) -> list[Label]:
    best: dict[str, Label] = {}
    for d in objects:
        if d.kind == "person":
            continue
        name, parents = NAMES[d.kind]
        c = confidence("object", d.score)
        if name not in best or best[name].confidence < c:
            best[name] = Label(name, c, parents)
    return list(best.values())


def text_evidence(text: TextFound) -> float | None:
    """What the Text and Poster curves read: log10 of the text's share of the image (None: no text)."""
    return math.log10(max(text.area, MIN_AREA)) if text.regions else None


def text_labels(text: TextFound) -> list[Label]:
    x = text_evidence(text)
    if x is None:
        return []
    words = confidence("text", x)
    return [Label("Text", words), Label("Poster", min(confidence("poster", x), words))]


def hand_labels(scores: list[float], animal: float = 0.0) -> list[Label]:
    """`animal`: as for people (people.animal_discount): the palm detector scores a cat's paw
    5.0 in logit (skimage's cat), a hand's score on the truth photos."""
    if not scores:
        return []
    return [Label("Hand", animal_discount(animal) * confidence("hand", scores[0]), ("Body Part",))]
