"""Sandbox accounts whose insights are known in advance, for the insights' end-to-end tests.

"timely": 60 posts over 20 weeks; every third is posted on a Tuesday at 09:10 UTC (18:10 in
Tokyo) and gets about three times the likes; #golden (on 20 of the other posts) lifts likes x3;
#flat (on 10 Tuesday posts and 10 others) does nothing. Every post has the same picture, so the image labels say
nothing. 5,000 followers: Instagram's online_followers are there.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

TUESDAY_0910 = datetime(2025, 1, 7, 9, 10, tzinfo=timezone.utc)  # a Tuesday
N_TIMELY = 60


def _noise(i: int) -> float:
    return 0.8 + ((i * 37) % 41) / 100  # 0.8 to 1.2, fixed


def timely_posts() -> list[dict]:
    posts = []
    for i in range(N_TIMELY):
        week, k = divmod(i, 3)
        tags = []
        if k == 0:  # Tuesday 09:10 UTC
            ts, likes = TUESDAY_0910 + timedelta(weeks=week), 300 * _noise(i)
        else:  # other days and hours, never Tuesday morning
            day = (2 + 2 * k + week) % 7
            day = day if day != 1 else 4
            ts = TUESDAY_0910 + timedelta(weeks=week, days=day - 1, hours=(5 * i) % 24 - 9)
            likes = 100 * _noise(i)
            if i % 2:
                tags.append("#golden")
                likes *= 3
        if i % 6 in (0, 2):
            tags.append("#flat")
        posts.append({"id": str(17950000000000000 + i * 1000 + 3), "caption": "post " + " ".join(tags),
                      "timestamp": ts, "like_count": int(likes), "comments_count": i % 5,
                      "media_type": "IMAGE", "file": f"t{i}.jpg"})
    return posts


def write_timely(root, name: str = "timely", insights: dict | None = None) -> list[dict]:
    from sandbox.instagram.accounts import write_account
    from sandbox.instagram.testing import tiny_jpeg

    posts = timely_posts()
    picture = tiny_jpeg(5)
    write_account(root, name, posts, {p["file"]: picture for p in posts},
                  extra={"insights": insights or {"followers_count": 5000}})
    return posts
