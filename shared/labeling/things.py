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


def text_labels(text: TextFound) -> list[Label]:
    if text.regions == 0:
        return []
    x = math.log10(max(text.area, MIN_AREA))
    return [Label("Text", confidence("text", x)),
            Label("Poster", min(confidence("poster", x), confidence("text", x)))]


def hand_labels(scores: list[float]) -> list[Label]:
    return [Label("Hand", confidence("hand", scores[0]), ("Body Part",))] if scores else []
