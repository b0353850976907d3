"""A post's insights as Instagram answers them: values, the reasons a metric is missing."""
from datetime import datetime, timedelta, timezone

import pytest

from shared.instagram.media_insights import (
    PostInsights,
    Reason,
    all_missing,
    expired,
    metrics_for,
    parse,
    refused,
    settled_at,
)

FEED = metrics_for("FEED")


def item(name, value=None, total=None):
    out = {"name": name, "period": "lifetime", "id": f"1/insights/{name}/lifetime"}
    if value is not None:
        out["values"] = [{"value": value}]
    if total is not None:
        out["total_value"] = {"value": total}
    return out


def test_values_by_our_names_from_either_documented_shape():
    r = parse({"data": [item("reach", 10), item("saved", total=3), item("views", "25"), item("shares", 0)]}, FEED,
              settled=True)
    assert r.values == {"reach": 10, "saves": 3, "views": 25, "shares": 0} and r.missing == {}


@pytest.mark.parametrize("bad", [None, -1, "n/a", True, {"x": 1}])
def test_a_value_that_is_no_count_is_missing_never_zero(bad):
    r = parse({"data": [item("reach", bad) if bad is not None else {"name": "reach", "values": []}]}, FEED,
              settled=True)
    assert "reach" not in r.values and r.reason("reach") == Reason.NO_DATA


def test_a_metric_the_format_lacks_is_not_available_one_asked_and_absent_no_data():
    r = parse({"data": [item("reach", 5)]}, metrics_for("STORY"), settled=True)
    assert r.missing == {"views": "no_data", "saves": "not_available", "shares": "no_data"}


@pytest.mark.parametrize("code,subcode,message,reason", [
    (100, 2108006, "Invalid parameter", Reason.TOO_OLD),
    (10, None, "(#10) Application does not have permission for this action", Reason.NOT_GRANTED),
    (200, None, "Permissions error", Reason.NOT_GRANTED),
    (10, None, "(#10) Not enough viewers for the media to show insights", Reason.NO_DATA),
    (100, None, "(#100) The Media Insights API does not support the saved metric for this media product type.",
     Reason.NOT_AVAILABLE),
])
def test_refusals_that_say_why(code, subcode, message, reason):
    r = refused(code, subcode, message, settled=True)
    assert set(r.missing.values()) == {reason} and r.values == {}


def test_any_other_refusal_is_not_read_as_a_reason():
    assert refused(36000, 2207004, "The image size is too large.", settled=True) is None
    assert refused(100, None, "Invalid parameter", settled=True) is None


def test_final_only_when_settled_and_nothing_passing():
    assert PostInsights({"reach": 1}).final
    assert not PostInsights({"reach": 1}, settled=False).final
    assert not all_missing(Reason.NOT_GRANTED).final and not all_missing(Reason.UNREADABLE).final
    assert all_missing(Reason.TOO_OLD).final and all_missing(Reason.NO_DATA).final


def test_a_young_reading_is_kept_but_not_trained_on():
    r = PostInsights({"reach": 40}, {}, settled=False)
    assert r.value("reach") is None and r.reason("reach") == Reason.NOT_SETTLED


def test_the_stored_document_reads_back_the_same():
    r = PostInsights({"reach": 4}, {"views": "no_data"}, settled=False, detail="x")
    doc = r.as_doc()
    assert doc["final"] is False and PostInsights.from_doc(doc) == r


def test_48_hours_to_settle_two_years_kept_and_unknown_product_types():
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert not settled_at(t, t + timedelta(hours=47)) and settled_at(t, t + timedelta(hours=48))
    assert not expired(t, t + timedelta(days=730)) and expired(t, t + timedelta(days=731))
    assert metrics_for(None) == FEED and metrics_for("AD") == ()
    assert all(m not in FEED for m in ("impressions", "plays", "clips_replays_count", "video_views"))
