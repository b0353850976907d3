"""The one result type every labeler returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Label:
    """One label, as Rekognition's DetectLabels gives it: name, confidence 0–100, parents."""

    name: str
    confidence: float
    parents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def __post_init__(self):
        if not 0.0 <= self.confidence <= 100.0:
            raise ValueError(f"confidence {self.confidence} is not within 0–100")
        object.__setattr__(self, "parents", tuple(self.parents))
        object.__setattr__(self, "aliases", tuple(self.aliases))

    def to_dict(self) -> dict:
        return {"name": self.name, "confidence": self.confidence, "parents": list(self.parents)}


@dataclass(frozen=True)
class LabelResult:
    """Labels of one image and the labeler that made them (`offline-…@…`, `rekognition@…`)."""

    labeler: str
    labels: tuple[Label, ...] = field(default_factory=tuple)

    def __post_init__(self):
        object.__setattr__(self, "labels", tuple(self.labels))

    def to_dicts(self) -> list[dict]:
        return [label.to_dict() for label in self.labels]

    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    def get(self, name: str) -> Label | None:
        for label in self.labels:
            if label.name == name:
                return label
        return None

    def to_json(self) -> dict:
        """Everything, aliases included (what the cache stores)."""
        return {"labeler": self.labeler,
                "labels": [{**lab.to_dict(), "aliases": list(lab.aliases)} for lab in self.labels]}

    @classmethod
    def from_json(cls, data: dict) -> "LabelResult":
        return cls(data["labeler"], tuple(
            Label(d["name"], float(d["confidence"]), tuple(d.get("parents", ())), tuple(d.get("aliases", ())))
            for d in data["labels"]))


@runtime_checkable
class Labeler(Protocol):
    """Says what an image shows. `label()` does intake itself (it raises ImageRejected) and
    applies min_confidence / max_labels from the settings."""

    id: str

    def label(self, data: bytes) -> LabelResult: ...


def finish(labels: list[Label], min_confidence: float, max_labels: int) -> tuple[Label, ...]:
    """Keep labels at or above min_confidence, highest first (ties by name), at most max_labels."""
    kept = [lab for lab in labels if lab.confidence >= min_confidence]
    kept.sort(key=lambda lab: (-lab.confidence, -len(lab.parents), lab.name))  # ties: most specific first
    return tuple(kept[:max_labels])
