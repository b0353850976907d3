"""The sandbox's account insights (sandbox/instagram/account_insights.py) over HTTP, read by the
client's parser (shared/instagram/online_followers.py): Meta's shape, its empty answer under 100
followers and its error without the permission."""
import time
from datetime import datetime, timezone

import pytest

from sandbox.instagram.accounts import load_account
from sandbox.instagram.server import create_app
from sandbox.instagram.testing import sample_account
from shared.instagram.online_followers import PERMISSION_CODES, parse_online_followers

CID, SECRET = "app-id", "app-secret"
CURVE = [100 + 10 * h for h in range(24)]  # followers online in each UTC hour


@pytest.fixture()
def client(tmp_path):
    sample_account(tmp_path, "busy", 3, insights={"followers_count": 5000, "online_followers": CURVE})
    sample_account(tmp_path, "tiny", 3, insights={"followers_count": 40})
    sample_account(tmp_path, "closed", 3, insights={"granted": False})
    return create_app(tmp_path, CID, SECRET).test_client(), tmp_path


def _get(env, account, **params):
    c, root = env
    token = c.post(f"/_sandbox/accounts/{account}/token", json={"kind": "long"}).get_json()["access_token"]
    user_id = load_account(root, account).user_id
    query = {"metric": "online_followers", "period": "lifetime", "access_token": token, **params}
    return c.get(f"/v23.0/{user_id}/insights", query_string=query), user_id


def test_online_followers_in_metas_shape_and_read_back_in_utc(client):
    until = int(datetime(2026, 12, 1, 12, tzinfo=timezone.utc).timestamp())
    resp, user_id = _get(client, "busy", since=until - 5 * 86400, until=until)
    assert resp.status_code == 200
    (entry,) = resp.get_json()["data"]
    assert entry["name"] == "online_followers" and entry["period"] == "lifetime"
    assert entry["id"] == f"{user_id}/insights/online_followers/lifetime"
    values = entry["values"]
    assert len(values) == 5
    assert all(v["end_time"].endswith("T07:00:00+0000") and sorted(map(int, v["value"])) == list(range(24))
               for v in values)
    assert values[0]["value"]["0"] == CURVE[7]  # the day starts at 07:00 UTC
    parsed = parse_online_followers(resp.get_json())
    assert parsed.days == 5 and list(parsed.hours_utc) == CURVE


def test_only_the_last_30_days(client):
    resp, _ = _get(client, "busy", since=int(time.time()) - 90 * 86400, until=int(time.time()))
    assert len(resp.get_json()["data"][0]["values"]) <= 30


def test_under_100_followers_an_empty_data_set(client):
    resp, _ = _get(client, "tiny")
    assert resp.status_code == 200 and resp.get_json() == {"data": []}
    assert parse_online_followers(resp.get_json()) is None


def test_without_the_permission_error_10(client):
    resp, _ = _get(client, "closed")
    error = resp.get_json()["error"]
    assert resp.status_code == 400 and error["code"] in PERMISSION_CODES and error["type"] == "OAuthException"
    assert "permission" in error["message"]


@pytest.mark.parametrize("params, words", [({"metric": "reach_by_hour"}, "metric[0] must be one of"),
                                           ({"period": "day"}, "Incompatible period"),
                                           ({"period": ""}, "period is required")])
def test_bad_requests_answer_error_100(client, params, words):
    resp, _ = _get(client, "busy", **params)
    error = resp.get_json()["error"]
    assert resp.status_code == 400 and error["code"] == 100 and words in error["message"]
