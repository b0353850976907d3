"""`GET /{ig-media-id}/insights?metric=...`: a post's insights, in the shapes Meta documents.

    {"data": [{"name": "reach", "period": "lifetime", "values": [{"value": 120}],
               "title": "Accounts reached", "description": "...", "id": "<media-id>/insights/reach/lifetime"}]}

What an account file says (`account.json`):
- `"insights": {"granted": false}`: the owner did not grant instagram_business_manage_insights;
  every request answers `(#10) Application does not have permission for this action`.
- `"insights": {"professional_since": TIMESTAMP}`: posts made before it answer error 100,
  subcode 2108006 (posted before the account became a professional account).
- a post's `"insights"`: its values by Meta's metric names (`{"reach": 120, "saved": 4, ...}`;
  a name missing or null is left out of `data`, `{}` answers an empty data set). Without it the
  values are derived from the post's like count and format, the same on every read.
A post younger than 48 hours is still being counted: each read answers more (1/2, 2/3, 3/4 ...
of its final values), so two trainings read different numbers. A metric the post's product type
lacks (`saved` on a STORY), an unknown one, or a metric Meta removed (`impressions`, `plays`,
`clips_replays_count`, `ig_reels_aggregated_all_plays_count`, `video_views`) answers error 100.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from .accounts import Account, parse_timestamp
from .errors import IGError, insights_not_granted, no_such_object, param_error
from .state import AccountControl

#: Meta's metrics per media product type (of the Instagram API with Instagram Login's reference).
BY_PRODUCT_TYPE = {
    "FEED": ("comments", "follows", "likes", "profile_activity", "profile_visits", "reach", "saved", "shares",
             "total_interactions", "views"),
    "REELS": ("comments", "ig_reels_avg_watch_time", "ig_reels_video_view_total_time", "likes", "reach", "saved",
              "shares", "total_interactions", "views"),
    "STORY": ("follows", "navigation", "profile_activity", "profile_visits", "reach", "replies", "shares",
              "total_interactions", "views"),
}
REMOVED = ("impressions", "plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count", "video_views")
TITLES = {"reach": "Accounts reached", "views": "Views", "saved": "Saves", "shares": "Shares",
          "total_interactions": "Interactions", "likes": "Likes", "comments": "Comments"}
SETTLE = timedelta(hours=48)
BEFORE_PROFESSIONAL = 2108006


def product_type(post: dict) -> str:
    return post.get("media_product_type") or ("REELS" if post["media_type"] == "VIDEO" else "FEED")


def derived(post: dict) -> dict[str, int]:
    """A post's final values when its account file gives none: from its likes and format, with a
    spread of their own (a stable hash of the id), so reach is not likes times a constant."""
    h = int(hashlib.sha256(post["id"].encode()).hexdigest(), 16)
    likes = post.get("like_count")
    likes = (h % 300) + 20 if likes is None else int(likes)
    comments = int(post.get("comments_count") or 0)
    reel = product_type(post) == "REELS"
    reach = int(likes * (14 if reel else 6) * (0.8 + (h % 41) / 100)) + 5
    views = int(reach * (2.6 if reel else 1.5) * (0.9 + (h >> 8) % 21 / 100))
    saved = likes // 9 + (h >> 16) % 5 + (3 if post["media_type"] == "CAROUSEL_ALBUM" else 0)
    shares = likes // 15 + (h >> 24) % 4 + (4 if reel else 0)
    return {"reach": reach, "views": views, "saved": saved, "shares": shares, "likes": likes, "comments": comments,
            "total_interactions": likes + comments + saved + shares}


def asked_metrics(raw: str | None, ptype: str) -> list[str]:
    if not raw:
        raise param_error("(#100) The parameter metric is required")
    names = [m.strip() for m in raw.split(",") if m.strip()]
    for m in names:
        if m in REMOVED:
            raise param_error(f"(#100) Starting from version v22.0 and above, the {m} metric is no longer supported. "
                              "Please use views instead.")
        if m not in BY_PRODUCT_TYPE[ptype]:
            raise param_error(f"(#100) The Media Insights API does not support the {m} metric for this media "
                              "product type.")
    return names


def answer(acct: Account, ctl: AccountControl, media_id: str, posts: list[dict], metric: str | None,
           now: datetime | None = None) -> dict:
    """The body of a 200 answer, or IGError."""
    post = next((p for p in posts if p["id"] == media_id), None)
    if post is None:
        raise no_such_object(media_id)
    settings = acct.insights
    if not acct.insights_granted:
        raise insights_not_granted()
    ptype = product_type(post)
    if ptype not in BY_PRODUCT_TYPE:
        raise param_error(f"(#100) Media insights are not available for {ptype} media")
    names = asked_metrics(metric, ptype)
    posted = parse_timestamp(post["timestamp"])
    since = settings.get("professional_since")
    if since and posted < parse_timestamp(str(since)):
        raise IGError("Invalid parameter", 100, subcode=BEFORE_PROFESSIONAL)  # as Instagram answers it
    values = post["insights"] if isinstance(post.get("insights"), dict) else derived(post)
    now = now or datetime.now(timezone.utc)
    with_reads = ctl.insight_reads
    reads = with_reads[media_id] = with_reads.get(media_id, 0) + 1
    share = reads / (reads + 1) if now - posted < SETTLE else 1.0
    data = []
    for name in names:
        value = values.get(name)
        if value is None:
            continue  # no data: left out, never 0
        data.append({"name": name, "period": "lifetime", "values": [{"value": int(int(value) * share)}],
                     "title": TITLES.get(name, name), "description": f"The {TITLES.get(name, name).lower()} of the "
                     "media.", "id": f"{media_id}/insights/{name}/lifetime"})
    return {"data": data}
