"""Instagram's online_followers for the insights page: read with the user's token, kept in Redis
for CACHE_SECONDS (Meta's figures are daily; a page view must not cost a Graph call each time),
turned into the person's time zone. The history-based answer never waits on it: any failure is
a status, not an error of the route."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from shared.instagram import InstagramError
from shared.instagram import account as instagram_account
from shared.instagram.online_followers import PERMISSION_CODES, parse_online_followers

log = logging.getLogger(__name__)
CACHE_SECONDS = 3600
MESSAGES = {
    "shown": "When your followers were online (Instagram, the last {days}), beside what your own posts say.",
    "not_connected": "Connect Instagram to see when your followers are online.",
    "not_granted": "Instagram did not grant this app your account's insights (instagram_business_manage_insights): "
                   "reconnect and allow them to see when your followers are online. The rest of this page does "
                   "not need them.",
    "no_data": "Instagram has no online-followers figures for your account (it gives none under 100 followers).",
    "unavailable": "Instagram's online-followers figures could not be read just now.",
}


def _key(user_id: str) -> str:
    return f"likely:online_followers:{user_id}"


def fetch(db, redis, cipher, client, user: dict) -> dict:
    """{"status", "hours_utc", "days"} for the user, from the cache or from Instagram."""
    conn = (user or {}).get("instagram") or {}
    if not conn.get("ig_user_id"):
        return {"status": "not_connected", "hours_utc": None, "days": 0}
    try:
        cached = redis.get(_key(user["_id"]))
    except Exception:  # noqa: BLE001 - no cache: ask Instagram
        cached = None
    if cached:
        return json.loads(cached)
    try:
        token = instagram_account.access_token(db, cipher, client, user)
        parsed = parse_online_followers(client.online_followers(token, conn["ig_user_id"])) if token else None
        out = ({"status": "no_data", "hours_utc": None, "days": 0} if parsed is None else
               {"status": "shown", "hours_utc": list(parsed.hours_utc), "days": parsed.days})
    except InstagramError as exc:
        if exc.code not in PERMISSION_CODES:
            log.warning("online_followers of user %s: %s", user["_id"], exc)
            return {"status": "unavailable", "hours_utc": None, "days": 0}
        out = {"status": "not_granted", "hours_utc": None, "days": 0}
    try:
        redis.set(_key(user["_id"]), json.dumps(out), ex=CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - answered anyway
        pass
    return out


def _days(n: int) -> str:
    return "day" if n == 1 else f"{n} days"


def in_zone(found: dict, tz: str, now: datetime | None = None) -> dict:
    """The answer's section: the followers online by hour of the person's day (the zone's offset
    now: the figures cover the last 30 days), the busiest hour, and what it means."""
    now = now or datetime.now(timezone.utc)
    offset = now.astimezone(ZoneInfo(tz)).utcoffset()
    shift = int(offset.total_seconds() // 3600) if offset is not None else 0
    hours = None
    if found["hours_utc"]:
        hours = [{"hour": (h + shift) % 24, "followers": v} for h, v in enumerate(found["hours_utc"]) if v is not None]
        hours.sort(key=lambda e: e["hour"])
    peak = max(hours, key=lambda e: e["followers"])["hour"] if hours else None
    return {"status": found["status"], "message": MESSAGES[found["status"]].format(days=_days(found.get("days", 0))),
            "days": found.get("days", 0), "hours": hours, "peak_hour": peak}
