"""Ranking candidate photos by likes, reach, views, saves or shares (services.gateway.predictions.ranking)."""
import pytest

from services.gateway.http.errors import ApiError
from services.gateway.predictions.ranking import PROJECTION, check, rank


def view(name, likes, reach=None):
    metrics = {"reach": {"available": reach is not None, "value": reach}}
    return {"filename": name, "likes": likes, "metrics": metrics}


def test_by_likes_unless_asked_otherwise():
    ranked = rank([view("a", 10, 900), view("b", 30, 100), view("c", 20, 500)], "likes")
    assert [(v["filename"], v["rank"], v["rank_by"]) for v in ranked] == [("b", 1, "likes"), ("c", 2, "likes"),
                                                                           ("a", 3, "likes")]


def test_by_reach_the_order_the_person_cares_about():
    ranked = rank([view("a", 10, 900), view("b", 30, 100), view("c", 20, 500)], "reach")
    assert [v["filename"] for v in ranked] == ["a", "c", "b"] and ranked[0]["rank_by"] == "reach"


def test_a_prediction_without_the_metric_comes_last():
    ranked = rank([view("a", 10, None), view("b", 30, 100)], "reach")
    assert [v["filename"] for v in ranked] == ["b", "a"]


@pytest.mark.parametrize("model,words", [
    ({}, "built before Likely read insights"),
    ({"metrics": {"reach": {"available": False, "reason": "not_granted",
                            "why": "reach: 0 of your posts have it, 10 needed (12 not granted)"}}}, "12 not granted"),
])
def test_ranking_by_a_metric_the_model_has_not_got_is_a_409_that_says_why(model, words):
    with pytest.raises(ApiError) as err:
        check(model, "reach")
    assert err.value.status == 409 and err.value.code == "metric_not_predicted" and words in err.value.message


def test_likes_and_a_metric_the_model_has_pass():
    check({}, "likes")
    check({"metrics": {"shares": {"available": True}}}, "shares")
    assert set(PROJECTION) >= {"metrics.reach.available", "metrics.shares.why"}
