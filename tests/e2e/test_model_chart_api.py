"""GET /api/v1/model → "chart", what the model card's accuracy chart draws, checked against the
posts the stack stored for the user: the posts themselves, the level at each, and the newest
posts held out with what the model predicted for them; and against the route's schema in
/openapi.json."""
from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest
from jsonschema import Draft202012Validator

N_POSTS = 14


def parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def test_the_chart_is_the_users_posts_and_the_held_out_backtest(make_client, sandbox, mongo_db):
    from sandbox.instagram.testing import sample_account

    sample_account(sandbox.accounts_dir, "chartie", n_posts=N_POSTS)
    client = make_client("chartie")
    run = client.wait_for_run(client.train()["run_id"], timeout=120)
    assert run["state"] == "done", run
    model = client.model()
    chart = model["chart"]
    stored = sorted(mongo_db.posts.find({"run_id": run["run_id"]}), key=lambda p: p["timestamp"])
    assert len(stored) == model["posts"] == N_POSTS

    # the posts, oldest first, as stored
    assert [p["likes"] for p in chart["posts"]] == [p["likes"] for p in stored]
    assert [parse(p["t"]) for p in chart["posts"]] == [utc(p["timestamp"]) for p in stored]
    # the level: one per post, at the post's time, never negative
    assert [p["t"] for p in chart["level"]] == [p["t"] for p in chart["posts"]]
    assert all(p["likes"] >= 0 for p in chart["level"])

    # held out: the newest 20%, their actual likes, a prediction inside its 80% range
    ho = chart["holdout"]
    train = int(0.8 * N_POSTS)
    assert (ho["train_posts"], ho["test_posts"]) == (train, N_POSTS - train)
    points = ho["points"]
    assert [(p["t"], p["actual"]) for p in points] == [(p["t"], p["likes"]) for p in chart["posts"][train:]]
    for p in points:
        assert 0 <= p["low"] <= p["predicted"] <= p["high"], p
    assert ho["covered"] == sum(p["low"] <= p["actual"] <= p["high"] for p in points)
    mae = sum(abs(math.log1p(p["actual"]) - math.log1p(p["predicted"])) for p in points) / len(points)
    assert ho["mae_log"] == pytest.approx(mae, abs=0.01)  # predicted is rounded to 0.1
    base = ho["baseline"]
    assert base["kind"] in ("label_mean", "user_mean", "recent_median")
    assert base["mae_log"] == min(model["backtest"][k]["mae_log"] for k in ("label_mean", "user_mean", "recent_median"))
    # the words say the same
    assert f"{N_POSTS} posts" in chart["summary"]
    assert f"{ho['covered']} of {ho['test_posts']} inside the 80% range" in chart["summary"]

    # a model document from before the chart: the key is there, null; the rest unchanged
    user_id = stored[0]["user_id"]
    mongo_db.models.update_many({"user_id": user_id}, {"$unset": {"chart": ""}})
    older = client.model()
    assert older["chart"] is None
    assert {k: v for k, v in older.items() if k != "chart"} == {k: v for k, v in model.items() if k != "chart"}

    # /openapi.json describes both answers as they are
    schema = client.request("GET", "/openapi.json")["paths"]["/api/v1/model"]["get"]["responses"]["200"]
    validator = Draft202012Validator(schema["content"]["application/json"]["schema"])
    for answer in (model, older, client.model(coefficients=True)):
        assert not list(validator.iter_errors(answer)), [e.message for e in validator.iter_errors(answer)][:5]
    assert list(validator.iter_errors({**model, "chart": {**chart, "posts": [{"t": "x", "likes": -1}]}}))
