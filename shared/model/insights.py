"""Insights from an account's own history and its model: when to post (insights_timing) and
what works (insights_effects). docs/insights.md says what they mean and how far they hold.

    stored = compute_insights(model_doc, posts)   # at build time, stored with the model
    answer = insights_answer(stored, "Europe/Athens")   # at read time, in the person's zone

What is stored is what a time zone needs to recompute the timing cheaply: each of the newest
TIMING_POSTS posts' UTC time and residual (not a grid in one zone: daylight saving moves posts
between hours), plus the effects, which do not depend on the zone.
"""
from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np

from .data import DAY, TrainingPost, encode
from .insights_effects import MIN_EFFECT_POSTS, what_works
from .insights_residuals import clip_robust, model_residuals
from .insights_timing import LEVEL, timing_answer

__all__ = ["TIMING_POSTS", "compute_insights", "insights_answer", "effects_answer", "valid_time_zone",
           "InvalidTimeZone"]

#: The newest posts the timing insight reads (posting habits change; the store stays small).
TIMING_POSTS = 1000
STORED_VERSION = 1


class InvalidTimeZone(ValueError):
    """Not an IANA time zone name (Europe/Athens, America/New_York, UTC)."""


@cache
def _iana_zones() -> frozenset[str]:
    """The zone names of the system's tz database, read once: available_timezones() walks the
    database's files on every call (about 10 ms), and every insights request checks its zone."""
    return frozenset(available_timezones())


def valid_time_zone(tz: str) -> str:
    """tz if it names an IANA zone, else InvalidTimeZone."""
    if not tz or len(tz) > 64 or tz.startswith("/") or ".." in tz:
        raise InvalidTimeZone(f"not an IANA time zone name: {tz!r}")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidTimeZone(f"not an IANA time zone name: {tz!r}") from None
    if tz not in _iana_zones() and tz != "UTC":
        raise InvalidTimeZone(f"not an IANA time zone name: {tz!r}")
    return tz


def compute_insights(model_doc: dict, posts: list[TrainingPost]) -> dict | None:
    """What the insights need, from the posts the model was fitted on and its ridge fit of
    likes; None when the document has no such fit."""
    part = ((model_doc.get("models") or {}).get("ridge") or {}).get("likes")
    enc = encode(posts)
    if not part or enc.n == 0:
        return None
    recent = enc.tail(max(0, enc.n - TIMING_POSTS))
    rows, r = model_residuals(part, recent)
    sigma = float(np.std(r, ddof=1)) if r.size > 2 else 0.5
    return {
        "version": STORED_VERSION,
        "posts": int(rows.size),
        "sigma": sigma,
        "timing": {"t": [int(round(v * DAY)) for v in recent.t[rows].tolist()],
                   "r": [round(v, 4) for v in clip_robust(r).tolist()]},
        "effects": what_works(part, enc, sigma),
    }


def effects_answer(effects: list[dict]) -> dict:
    lifts = [e for e in effects if e["evidence"]]
    if lifts:
        up = sum(1 for e in lifts if e["effect"] > 0)
        message = (f"{len(lifts)} of the {len(effects)} labels, hashtags and formats seen on at least "
                   f"{MIN_EFFECT_POSTS} posts moved likes clearly ({up} up, {len(lifts) - up} down); "
                   f"the others' {LEVEL:.0%} intervals include no effect.")
        verdict = "evidence"
    elif not effects:
        message = (f"Not enough evidence: no label, hashtag or format was seen on {MIN_EFFECT_POSTS} posts or more, "
                   "too few to tell what works.")
        verdict = "not_enough_evidence"
    else:
        message = (f"Not enough evidence: none of the {len(effects)} labels, hashtags and formats seen on at "
                   f"least {MIN_EFFECT_POSTS} posts moved likes clearly (every {LEVEL:.0%} interval includes "
                   "no effect).")
        verdict = "not_enough_evidence"
    return {"verdict": verdict, "message": message, "items": effects}


def insights_answer(stored: dict, tz: str) -> dict:
    """The insights in the IANA zone tz (valid_time_zone first)."""
    timing = stored["timing"]
    return {"posts": stored["posts"], "level": LEVEL, "time_zone": tz,
            "timing": timing_answer(timing["t"], timing["r"], tz),
            "effects": effects_answer(stored["effects"])}
