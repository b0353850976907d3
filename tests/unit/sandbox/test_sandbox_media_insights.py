"""The sandbox's media insights (sandbox.instagram.media_insights) in-process: the documented
shape, the empty set, 2108006, a permission refused, a young post still being counted."""
from datetime import datetime, timedelta, timezone

import pytest

from sandbox.instagram.accounts import format_timestamp
from sandbox.instagram.server import create_app
from sandbox.instagram.testing import sample_account

CID, SECRET = "app-id", "app-secret"
ASK = "reach,views,saved,shares,total_interactions"


@pytest.fixture()
def env(tmp_path):
    alice = sample_account(tmp_path, "alice", 6, insights={"professional_since": "2025-01-03T00:00:00+0000"})
    sample_account(tmp_path, "bob", 2, carousel=False, video=False, insights={"granted": False})
    c = create_app(tmp_path, CID, SECRET).test_client()
    token = {name: c.post(f"/_sandbox/accounts/{name}/token", json={"kind": "long"}).get_json()["access_token"]
             for name in ("alice", "bob")}
    return c, alice, token


def insights(c, token, mid, metric=ASK):
    return c.get(f"/v21.0/{mid}/insights", query_string={"metric": metric, "access_token": token})


def test_the_documented_shape_one_object_per_metric(env):
    c, posts, token = env
    r = insights(c, token["alice"], posts[4]["id"])
    data = r.get_json()["data"]
    assert r.status_code == 200 and [d["name"] for d in data] == ASK.split(",")
    first = data[0]
    assert first["period"] == "lifetime" and first["id"] == f"{posts[4]['id']}/insights/reach/lifetime"
    assert isinstance(first["values"][0]["value"], int) and first["title"]
    assert insights(c, token["alice"], posts[4]["id"]).get_json() == r.get_json()  # settled: the same each read


def test_posts_from_before_the_account_turned_professional_answer_2108006(env):
    c, posts, token = env
    e = insights(c, token["alice"], posts[0]["id"]).get_json()["error"]
    assert (e["code"], e["error_subcode"]) == (100, 2108006)


def test_an_account_that_did_not_grant_insights_is_refused_with_code_10(env):
    c, _, token = env
    mid = c.get("/v21.0/me/media", query_string={"fields": "id", "access_token": token["bob"]}).get_json()["data"][0]
    r = insights(c, token["bob"], mid["id"])
    assert r.status_code == 400 and r.get_json()["error"]["code"] == 10


@pytest.mark.parametrize("metric,words", [("impressions", "no longer supported"), ("video_views", "no longer"),
                                          ("bogus", "does not support"), ("", "required")])
def test_removed_unknown_or_missing_metrics_are_error_100(env, metric, words):
    c, posts, token = env
    e = insights(c, token["alice"], posts[4]["id"], metric).get_json()["error"]
    assert e["code"] == 100 and words in e["message"]


def test_an_empty_data_set_and_a_missing_metric_are_left_out_never_zero(env):
    c, posts, token = env
    c.post("/_sandbox/accounts/alice/posts", json={"id": "900", "copy_of": posts[4]["id"], "like_count": 5,
                                                  "timestamp": "2025-06-01T00:00:00+0000", "insights": {}})
    c.post("/_sandbox/accounts/alice/posts", json={"id": "901", "copy_of": posts[4]["id"], "like_count": 5,
                                                  "timestamp": "2025-06-02T00:00:00+0000",
                                                  "insights": {"reach": 40, "saved": None}})
    assert insights(c, token["alice"], "900").get_json() == {"data": []}
    assert [d["name"] for d in insights(c, token["alice"], "901").get_json()["data"]] == ["reach"]


def test_a_young_post_is_still_being_counted_each_read_says_more(env):
    c, posts, token = env
    young = format_timestamp(datetime.now(timezone.utc) - timedelta(hours=3))
    c.post("/_sandbox/accounts/alice/posts", json={"id": "902", "copy_of": posts[4]["id"], "like_count": 300,
                                                  "timestamp": young})
    reads = [{d["name"]: d["values"][0]["value"] for d in insights(c, token["alice"], "902").get_json()["data"]}
             for _ in range(3)]
    assert reads[0]["reach"] < reads[1]["reach"] < reads[2]["reach"]


def test_a_story_has_no_saves(env):
    c, posts, token = env
    c.post("/_sandbox/accounts/alice/posts", json={"id": "903", "copy_of": posts[4]["id"],
                                                  "media_product_type": "STORY"})
    assert insights(c, token["alice"], "903", "saved").get_json()["error"]["code"] == 100
    assert insights(c, token["alice"], "903", "reach,views,shares").status_code == 200
