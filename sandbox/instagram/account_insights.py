"""`GET /{ig-user-id}/insights?metric=online_followers&period=lifetime`: when the account's
followers are online, in the shape Meta documents (docs/instagram.md):

    {"data": [{"name": "online_followers", "period": "lifetime",
               "values": [{"value": {"0": 31, ..., "23": 40}, "end_time": "2026-11-30T07:00:00+0000"}, ...],
               "title": "Online followers", "description": "...",
               "id": "<ig-user-id>/insights/online_followers/lifetime"}]}

One value a day between `since` and `until` (Unix times; without them yesterday through
today), within the last 30 days; each day's 24 hours end at its end_time, 07:00 UTC (midnight
at UTC−07:00). What an account file says (`account.json`, "insights"):
- `"granted": false`: the permission instagram_business_manage_insights was not granted: error 10,
  as for a post's insights (sandbox.instagram.media_insights).
- `"followers_count"` (default 1000): under 100, Meta has no online_followers for the account
  and answers an empty data set, `{"data": []}`.
- `"online_followers"`: 24 numbers, the followers online in each UTC hour; without it they
  follow a daily curve peaking at 18:00 UTC, the same on every read.
Only online_followers is served; another metric answers error 100.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from .accounts import Account
from .errors import insights_not_granted, param_error

METRICS = ("online_followers",)
MIN_FOLLOWERS = 100
KEPT_DAYS = 30
DAY_END_UTC_HOUR = 7  # Meta's day ends at midnight UTC−07:00
DEFAULT_FOLLOWERS = 1000


def _unix(raw: str | None, name: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        return datetime.fromtimestamp(int(raw), tz=timezone.utc)
    except (ValueError, OverflowError):
        raise param_error(f"(#100) The parameter {name} must be a Unix timestamp") from None


def hourly(acct: Account) -> list[int]:
    """Followers online in each UTC hour."""
    given = acct.insights.get("online_followers")
    if isinstance(given, list) and len(given) == 24:
        return [int(v) for v in given]
    followers = int(acct.insights.get("followers_count", DEFAULT_FOLLOWERS))
    return [int(followers * (0.25 + 0.2 * (1 + math.cos(2 * math.pi * (h - 18) / 24)))) for h in range(24)]


def answer(acct: Account, args, now: datetime | None = None) -> dict:
    """The body of a 200 answer, or IGError."""
    if not acct.insights_granted:
        raise insights_not_granted()
    metric = args.get("metric")
    if not metric:
        raise param_error("(#100) The parameter metric is required")
    names = [m.strip() for m in metric.split(",") if m.strip()]
    for i, m in enumerate(names):
        if m not in METRICS:
            raise param_error(f"(#100) metric[{i}] must be one of the following values: {', '.join(METRICS)}")
    period = args.get("period")
    if not period:
        raise param_error("(#100) The parameter period is required")
    if period != "lifetime":
        raise param_error(f"(#100) Incompatible period {period} for metric online_followers: use lifetime")
    if int(acct.insights.get("followers_count", DEFAULT_FOLLOWERS)) < MIN_FOLLOWERS:
        return {"data": []}  # Meta: no online_followers under 100 followers, an empty data set
    now = now or datetime.now(timezone.utc)
    until = _unix(args.get("until"), "until") or now
    since = _unix(args.get("since"), "since") or (until - timedelta(days=2))
    since = max(since, now - timedelta(days=KEPT_DAYS))
    counts = hourly(acct)
    end = until.replace(hour=DAY_END_UTC_HOUR, minute=0, second=0, microsecond=0)
    if end > until:
        end -= timedelta(days=1)
    values = []
    while end > since:
        start_hour = (end - timedelta(hours=24)).hour
        values.append({"value": {str(k): counts[(start_hour + k) % 24] for k in range(24)},
                       "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+0000")})
        end -= timedelta(days=1)
    values.reverse()
    return {"data": [{"name": "online_followers", "period": "lifetime", "values": values,
                      "title": "Online followers",
                      "description": "Total number of this profile's followers that were online during the specified "
                                     "range.",
                      "id": f"{acct.user_id}/insights/online_followers/lifetime"}]}
