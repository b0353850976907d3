"""`GET /{ig-user-id}/insights?metric=online_followers&period=lifetime`: when the account's
followers are online, as Meta answers it (docs/instagram.md):

    {"data": [{"name": "online_followers", "period": "lifetime",
               "values": [{"value": {"0": 3120, ..., "23": 3410}, "end_time": "2026-11-30T07:00:00+0000"}, ...],
               "title": "...", "description": "...", "id": "<ig-user-id>/insights/online_followers/lifetime"}]}

One value a day (the last 30 days at most), each the followers online in each hour of the
24 hours that end at its end_time. Meta's day ends at 07:00 UTC (midnight at UTC−07:00, an
older reference says; the current one states no zone), so hour "0" is read as the first hour
after end_time − 24 h, in UTC. An account under 100 followers, or without data, gets
`{"data": []}` (Meta: an empty data set, never zeros); without
`instagram_business_manage_insights` the request fails with error 10.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.instagram.client import parse_timestamp

METRIC = "online_followers"
#: Graph API error codes that say the permission is missing (10: permission denied; 200: a
#: permission error of the older API).
PERMISSION_CODES = {10, 200}


@dataclass(frozen=True)
class OnlineFollowers:
    """The mean followers online in each UTC hour (None where no day said), over `days` days."""

    hours_utc: tuple[float | None, ...]
    days: int


def parse_online_followers(body: dict) -> OnlineFollowers | None:
    """Meta's answer read; None when it holds no value (under 100 followers, or no data)."""
    entries = [e for e in (body or {}).get("data") or [] if isinstance(e, dict) and e.get("name") == METRIC]
    sums, counts, days = [0.0] * 24, [0] * 24, 0
    for entry in entries:
        for day in entry.get("values") or []:
            value, end = day.get("value"), day.get("end_time")
            if not isinstance(value, dict) or not value or not end:
                continue
            start = parse_timestamp(str(end)) - timedelta(hours=24)
            days += 1
            for key, count in value.items():
                if str(key).isdigit() and 0 <= int(key) < 24 and isinstance(count, (int, float)):
                    hour = (start + timedelta(hours=int(key))).hour
                    sums[hour] += float(count)
                    counts[hour] += 1
    if days == 0:
        return None
    return OnlineFollowers(tuple(s / c if c else None for s, c in zip(sums, counts, strict=True)), days)
