"""Instagram's usage headers, and how long to wait before the next request.

Meta reports how much of a quota has been used, in percent, on most Graph responses
(https://developers.facebook.com/docs/graph-api/overview/rate-limiting):

    X-App-Usage: {"call_count": 28, "total_time": 25, "total_cputime": 25}
    X-Business-Use-Case-Usage: {"<business id>": [{"type": "instagram", "call_count": 95,
        "total_cputime": 20, "total_time": 20, "estimated_time_to_regain_access": 0}]}

`estimated_time_to_regain_access` is in minutes. Likely spaces its requests out above
`slow_above` percent of any quota (the pause grows linearly to `slow_delay` at 100%) and,
at 100%, pauses until the reset the header gives (`full_pause` when it gives none).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Mapping

log = logging.getLogger(__name__)

APP_HEADER = "X-App-Usage"
BUSINESS_HEADER = "X-Business-Use-Case-Usage"
_METRICS = ("call_count", "total_cputime", "total_time")


@dataclass(frozen=True)
class Usage:
    percent: float  # the highest use of any quota in the headers, 0-100 (or more)
    regain_seconds: float | None  # when the header says access comes back (None: it does not say)


def _percents(entry: Mapping) -> list[float]:
    out = []
    for key in _METRICS:
        try:
            out.append(float(entry[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _json_header(headers: Mapping[str, str], name: str):
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        log.warning("ignoring an unreadable %s header: %.200s", name, raw)
        return None


def parse_usage(headers: Mapping[str, str]) -> Usage | None:
    """The usage the response reports, or None when it carries no usage header."""
    percents: list[float] = []
    regain: list[float] = []
    app = _json_header(headers, APP_HEADER)
    if isinstance(app, dict):
        percents += _percents(app)
    business = _json_header(headers, BUSINESS_HEADER)
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    continue
                percents += _percents(entry)
                try:
                    minutes = float(entry.get("estimated_time_to_regain_access") or 0)
                except (TypeError, ValueError):
                    minutes = 0.0
                if minutes > 0:
                    regain.append(minutes * 60.0)
    if not percents and not regain:
        return None
    return Usage(max(percents, default=0.0), max(regain) if regain else None)


def pause_for(usage: Usage | None, *, slow_above: float, slow_delay: float, full_pause: float) -> float:
    """Seconds to wait before the next request, given the last usage reported."""
    if usage is None:
        return 0.0
    if usage.regain_seconds:
        return usage.regain_seconds  # Meta says when access comes back: wait that long
    if usage.percent >= 100.0:
        return full_pause
    if usage.percent > slow_above:
        return slow_delay * (usage.percent - slow_above) / (100.0 - slow_above)
    return 0.0
