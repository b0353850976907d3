"""A post's insights as Instagram reports them (`GET /{ig-media-id}/insights`), and why a metric
is missing when it is.

Meta's reference (docs/instagram.md cites it): the metrics each media product type has (asking
one a type lacks fails the whole request, error 100), an empty data set rather than 0 when a
metric has no data, insights delayed up to 48 hours and kept 2 years, none for the media
inside a carousel, error subcode 2108006 for media posted before the account became
professional, counts organic only. `impressions`, `plays`, `clips_replays_count`,
`ig_reels_aggregated_all_plays_count` (v22.0, gone from every version on 21 April 2025) and
`video_views` (8 January 2025) are never asked: `views` replaced them.

Likely reads reach, views, saves (Meta's `saved`) and shares, and total_interactions beside
them. A metric it cannot read is missing with a reason (`Reason`), never 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

#: The metrics Likely predicts, by its own names, and Meta's name of each.
METRICS: dict[str, str] = {"reach": "reach", "views": "views", "saves": "saved", "shares": "shares"}
#: Read beside them (stored, not predicted).
ALSO_READ = ("total_interactions",)
#: Which of Meta's metrics each media product type has (of those Likely reads).
BY_PRODUCT_TYPE: dict[str, tuple[str, ...]] = {
    "FEED": ("reach", "views", "saved", "shares", "total_interactions"),
    "REELS": ("reach", "views", "saved", "shares", "total_interactions"),
    "STORY": ("reach", "views", "shares", "total_interactions"),
}
#: Insights may lag this long; a post younger than this is read again at the next training.
SETTLE = timedelta(hours=48)
#: Instagram keeps insights this long; an older post is not asked.
KEPT = timedelta(days=730)
#: Error subcode of media posted before the account became a professional account.
BEFORE_PROFESSIONAL = 2108006
#: Codes of a permission Instagram says the token lacks (`(#10) Application does not have
#: permission`, the 200-299 permission errors); code 10 is also "not enough viewers" (no data).
PERMISSION_CODES = frozenset({10, *range(200, 300)})


class Reason(StrEnum):
    """Why a post's metric is missing (stored as its value)."""

    NOT_GRANTED = "not_granted"  # the account did not grant instagram_business_manage_insights
    TOO_OLD = "too_old"  # posted before the account became professional (2108006), or kept no longer
    NOT_AVAILABLE = "not_available"  # Instagram has no such metric for this format
    NO_DATA = "no_data"  # Instagram answered an empty data set (or too few viewers)
    NOT_SETTLED = "not_settled"  # younger than 48 hours: read again at the next training
    UNREADABLE = "unreadable"  # Instagram could not be read this time: read again at the next training


#: Reasons that a later training may change (the post is read again).
PASSING = frozenset({Reason.NOT_GRANTED, Reason.NOT_SETTLED, Reason.UNREADABLE})

REASON_WORDS: dict[str, str] = {
    Reason.NOT_GRANTED: "the account did not grant Likely its insights (instagram_business_manage_insights)",
    Reason.TOO_OLD: "posted before the account became professional, or older than the 2 years Instagram keeps",
    Reason.NOT_AVAILABLE: "Instagram has no such metric for this format",
    Reason.NO_DATA: "Instagram had no data for it",
    Reason.NOT_SETTLED: "younger than 48 hours, still being counted: read again at the next training",
    Reason.UNREADABLE: "Instagram could not be read: read again at the next training",
}


@dataclass(frozen=True)
class PostInsights:
    """One post's reading: the values Instagram gave (Likely's names), and the reason of each
    metric it did not give. `settled`: read 48 hours or more after the post."""

    values: dict[str, int] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    settled: bool = True
    detail: str | None = None  # Instagram's words, when it refused

    @property
    def final(self) -> bool:
        """Nothing a later reading could change."""
        return self.settled and not any(r in PASSING for r in self.missing.values())

    def value(self, metric: str) -> int | None:
        """The metric to train on: None unless read and settled."""
        return self.values.get(metric) if self.settled else None

    def reason(self, metric: str) -> str | None:
        """Why `metric` is not trained on (None: it is)."""
        reason = self.missing.get(metric, Reason.NO_DATA) if metric not in self.values else None
        if not self.settled and reason in (None, Reason.NO_DATA, Reason.UNREADABLE):
            return Reason.NOT_SETTLED  # a young post's count, or its absence, may still change
        return reason

    def as_doc(self) -> dict:
        return {"values": dict(self.values), "missing": dict(self.missing), "settled": self.settled,
                "final": self.final, "detail": self.detail}

    @classmethod
    def from_doc(cls, doc: dict) -> PostInsights:
        return cls(dict(doc.get("values") or {}), dict(doc.get("missing") or {}), bool(doc.get("settled", True)),
                   doc.get("detail"))


def _ours(meta_name: str) -> str:
    return next((ours for ours, meta in METRICS.items() if meta == meta_name), meta_name)


def metrics_for(product_type: str | None) -> tuple[str, ...]:
    """Meta's metric names to ask for a post of this product type (FEED when unknown); () for a
    type without media insights (AD)."""
    return BY_PRODUCT_TYPE.get(product_type or "FEED", ())


def all_missing(reason: str, detail: str | None = None, *, settled: bool = True) -> PostInsights:
    return PostInsights({}, {m: str(reason) for m in METRICS}, settled, detail)


def parse(body: dict, asked: tuple[str, ...], *, settled: bool) -> PostInsights:
    """A 200 answer: `{"data": [{"name", "period", "values": [{"value"}] | "total_value":
    {"value"}, "title", "description", "id"}]}`. A metric asked and absent, or with no value,
    is missing (no data), never 0; a metric not asked (the format lacks it) is not available."""
    values: dict[str, int] = {}
    for item in (body or {}).get("data") or []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        value = _value(item)
        if value is not None:
            values[_ours(str(item["name"]))] = value
    missing = {}
    for ours, meta in METRICS.items():
        if ours not in values:
            missing[ours] = str(Reason.NO_DATA if meta in asked else Reason.NOT_AVAILABLE)
    return PostInsights(values, missing, settled)


def _value(item: dict) -> int | None:
    total = item.get("total_value")
    if isinstance(total, dict) and _count(total.get("value")) is not None:
        return _count(total.get("value"))
    vals = item.get("values")
    if isinstance(vals, list) and vals and isinstance(vals[-1], dict):
        return _count(vals[-1].get("value"))
    return None


def _count(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)) and v >= 0:
        return int(v)
    if isinstance(v, str) and v.isdigit():
        return int(v)
    return None


def refused(code: int | None, subcode: int | None, message: str, *, settled: bool) -> PostInsights | None:
    """The reading of a refusal that says something about the post (None: any other error).
    2108006: too old; a permission error: not granted; (#10) not enough viewers: no data;
    (#100) a metric this media does not support: not available."""
    low = (message or "").lower()
    if subcode == BEFORE_PROFESSIONAL:
        return all_missing(Reason.TOO_OLD, message)
    if code == 10 and "viewer" in low:
        return all_missing(Reason.NO_DATA, message, settled=settled)
    if code in PERMISSION_CODES:
        return all_missing(Reason.NOT_GRANTED, message)
    if code == 100 and "metric" in low:
        return all_missing(Reason.NOT_AVAILABLE, message)
    return None


def settled_at(posted: datetime, read: datetime) -> bool:
    return read - posted >= SETTLE


def expired(posted: datetime, now: datetime) -> bool:
    return now - posted > KEPT
