"""Reach, views, saves and shares fitted and predicted like likes (shared.model.post_metrics)."""
from datetime import datetime, timedelta, timezone

import pytest

from shared.instagram.media_insights import PostInsights, Reason, all_missing
from shared.model import TrainingPost, build_model, predict
from shared.model.post_metrics import MIN_POSTS, fit_metrics, predict_metrics, summary

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def posts(n: int) -> list[TrainingPost]:
    """Every third post shows a dog: likes +50%, reach x3 (reach cares about dogs far more)."""
    return [TrainingPost(f"m{i}", T0 + timedelta(days=i), 150 if i % 3 == 0 else 100, 4,
                         (("Dog", 90.0),) if i % 3 == 0 else (("Cup", 90.0),)) for i in range(n)]


def readings(ps, *, too_old=0, young=0) -> dict:
    out = {}
    for i, p in enumerate(ps):
        dog = i % 3 == 0
        values = {"reach": (3000 if dog else 1000) + i, "views": 2000 + 7 * i, "saves": 5 + i % 4}
        if i < too_old:
            out[p.media_id] = all_missing(Reason.TOO_OLD)
        else:
            out[p.media_id] = PostInsights(values, {"shares": "no_data"}, settled=i < len(ps) - young)
    return out


@pytest.fixture(scope="module")
def doc():
    ps = posts(30)
    d = build_model(ps)
    d["metrics"] = fit_metrics(ps, readings(ps, too_old=6, young=2))
    return d


def test_each_metric_with_enough_settled_posts_is_fitted_the_others_say_why(doc):
    m = doc["metrics"]
    assert [k for k, e in m.items() if e["available"]] == ["reach", "views", "saves"]
    assert m["reach"]["posts"] == 22 and m["reach"]["missing"] == {"too_old": 6, "not_settled": 2}
    assert m["reach"]["model"]["kind"] == "ridge" and list(m["reach"]["model"]["models"]) == ["ridge"]
    assert m["shares"] == {"available": False, "posts": 0, "reason": "no_data",
                           "missing": {"too_old": 6, "no_data": 22, "not_settled": 2},
                           "why": m["shares"]["why"]}
    assert "0 of your posts have it" in m["shares"]["why"] and "6 posted before" in m["shares"]["why"]


def test_the_likes_model_is_the_same_with_or_without_metrics(doc):
    plain = build_model(posts(30))
    assert plain["models"]["ridge"] == doc["models"]["ridge"] and plain["backtest"] == doc["backtest"]


def test_a_prediction_gives_each_metric_its_range_and_explanation(doc):
    out = predict_metrics(doc, [("Dog", 95.0)])
    reach, likes = out["reach"], build_model(posts(30))
    assert reach["available"] and reach["range"][0] <= reach["value"] <= reach["range"][1]
    dog = reach["labels"][0]
    assert dog["name"] == "Dog" and dog["matched"] and dog["factor"] > 1.5 and dog["effect"] > 0
    # reach learnt its own effect: a dog triples reach but lifts likes by half
    assert dog["factor"] > predict(likes, [("Dog", 95.0)])["labels"][0]["likes_factor"] + 0.3
    assert reach["backtest"]["test_posts"] > 0 and reach["posts"] == 22
    assert out["shares"] == {"available": False, "reason": "no_data", "why": doc["metrics"]["shares"]["why"],
                             "posts": 0}


def test_an_account_without_insights_gets_why_for_every_metric():
    ps = posts(12)
    m = fit_metrics(ps, {p.media_id: all_missing(Reason.NOT_GRANTED) for p in ps})
    assert {e["reason"] for e in m.values()} == {"not_granted"} and not any(e["available"] for e in m.values())
    unread = fit_metrics(ps, {})
    assert {e["reason"] for e in unread.values()} == {"not_read"}


def test_a_few_posts_with_the_metric_are_not_enough():
    ps = posts(MIN_POSTS + 3)
    m = fit_metrics(ps, readings(ps, too_old=4))
    assert not m["reach"]["available"] and m["reach"]["reason"] == "not_enough_posts" and m["reach"]["posts"] == 9


def test_a_model_from_before_insights_predicts_none_and_says_so():
    d = build_model(posts(12))
    out = predict_metrics(d, [("Dog", 90.0)])
    assert {e["reason"] for e in out.values()} == {"not_read"} and summary(d) is None


def test_the_summary_carries_each_metric_s_backtest_and_chart_in_its_unit(doc):
    s = summary(doc)
    assert s["reach"]["backtest"]["mae_log"] >= 0 and "reach" in s["reach"]["chart"]["summary"]
    assert "likes" not in s["reach"]["chart"]["summary"] and s["shares"]["reason"] == "no_data"
