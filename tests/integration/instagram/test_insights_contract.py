"""Contract tests of a post's insights: the client and the ingestor's reading of them against
the answers Meta documents (meta/insights.*.json, each naming its page), over real HTTP."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.ingestor.insights import read_one
from shared.instagram import Media
from tests.integration.instagram.test_contract import example, ig, replay  # noqa: F401 (fixtures)

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
MID = "17895695668004550"


def post(age: timedelta, product_type: str = "FEED") -> Media:
    return Media(MID, "IMAGE", "https://x/p.jpg", NOW - age, None, None, 10, 1, product_type=product_type)


def read(server, client, fixture: str, age=timedelta(days=30), product_type="FEED"):
    server.answer("GET", f"/v21.0/{MID}/insights", *example(fixture)["responses"])
    return read_one(client.media_insights, "IGQVJ...", post(age, product_type), NOW)


def test_the_documented_answer_gives_each_metric_a_saved_zero_stays_zero(ig):  # noqa: F811
    server, client, clock = ig
    reading = read(server, client, "insights.feed")
    assert reading.values == {"reach": 1184, "views": 2317, "saves": 0, "shares": 14, "total_interactions": 131}
    assert reading.missing == {} and reading.final and reading.value("saves") == 0
    query = server.requests[0].query
    assert query["metric"] == "reach,views,saved,shares,total_interactions" and query["access_token"] == "IGQVJ..."
    assert all(m not in query["metric"] for m in ("impressions", "plays", "video_views"))  # removed by Meta


def test_an_empty_data_set_is_no_data_never_zero(ig):  # noqa: F811
    server, client, _ = ig
    reading = read(server, client, "insights.empty")
    assert reading.values == {} and set(reading.missing.values()) == {"no_data"}
    assert reading.value("reach") is None and reading.final


def test_a_post_made_before_the_account_became_professional_is_too_old_and_not_retried(ig):  # noqa: F811
    server, client, clock = ig
    reading = read(server, client, "insights.before_professional")
    assert set(reading.missing.values()) == {"too_old"} and reading.final
    assert len(server.requests) == 1 and clock.slept == []


def test_a_token_without_the_permission_reads_as_not_granted_and_is_asked_again_later(ig):  # noqa: F811
    server, client, _ = ig
    reading = read(server, client, "insights.not_granted")
    assert set(reading.missing.values()) == {"not_granted"} and not reading.final


def test_a_post_younger_than_48_hours_is_not_settled_and_read_again(ig):  # noqa: F811
    server, client, _ = ig
    reading = read(server, client, "insights.feed", age=timedelta(hours=5))
    assert reading.values["reach"] == 1184 and not reading.settled and not reading.final
    assert reading.value("reach") is None and reading.reason("reach") == "not_settled"


def test_a_reel_is_asked_its_own_metrics_and_an_ad_nothing(ig):  # noqa: F811
    server, client, _ = ig
    read(server, client, "insights.feed", product_type="REELS")
    assert server.requests[0].query["metric"] == "reach,views,saved,shares,total_interactions"
    ad = read_one(client.media_insights, "IGQVJ...", post(timedelta(days=3), "AD"), NOW)
    assert set(ad.missing.values()) == {"not_available"} and len(server.requests) == 1


@pytest.mark.parametrize("age", [timedelta(days=731)])
def test_a_post_older_than_two_years_is_not_asked(ig, age):  # noqa: F811
    server, client, _ = ig
    reading = read_one(client.media_insights, "IGQVJ...", post(age), NOW)
    assert set(reading.missing.values()) == {"too_old"} and server.requests == []
