"""What works (shared/model/insights_effects.py) and the stored insights (shared/model/insights.py):
the model's own coefficients, with intervals that find a real effect and not a made-up one."""
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from shared.model import TrainingPost, build_model
from shared.model.insights import TIMING_POSTS, compute_insights, effects_answer, insights_answer
from shared.model.insights_effects import MIN_EFFECT_POSTS

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def _account(n=160, seed=0, good=0.7, video=-0.6, noise=0.25):
    """#good lifts likes x2 on a quarter of the posts, videos halve them, #plain does nothing."""
    rng = np.random.default_rng(seed)
    posts = []
    for i in range(n):
        tags = []
        y = np.log(300.0) + rng.normal(0, noise)
        if i % 4 == 0:
            tags.append("#good")
            y += good
        if i % 3 == 0:
            tags.append("#plain")
        media = "VIDEO" if i % 5 == 0 else "IMAGE"
        if media == "VIDEO":
            y += video
        posts.append(TrainingPost(f"m{i}", T0 + timedelta(hours=26 * i + int(rng.integers(0, 5))),
                                  int(np.expm1(y)), None, tuple((t, 100.0) for t in tags), media_type=media))
    return posts


def _by_name(items):
    return {e["name"]: e for e in items}


def test_real_effects_found_with_the_models_own_coefficients():
    posts = _account()
    doc = build_model(posts)
    stored = compute_insights(doc, posts)
    items = _by_name(stored["effects"])
    assert items["#good"]["evidence"] and items["#good"]["low"] > 0 and items["#good"]["factor"] > 1.3
    assert items["VIDEO"]["kind"] == "format" and items["VIDEO"]["evidence"] and items["VIDEO"]["high"] < 0
    assert not items["#plain"]["evidence"] and items["#plain"]["low"] < 0 < items["#plain"]["high"]
    # the points are the ridge model's coefficients, not a second model's
    ridge = doc["models"]["ridge"]["likes"]
    coef = {e["label"]: e["effect"] for e in ridge["effects"]}
    assert items["#good"]["effect"] == pytest.approx(coef["#good"])
    assert items["VIDEO"]["effect"] == pytest.approx(ridge["media_effects"]["VIDEO"])
    assert items["#good"]["posts"] == 40 and items["VIDEO"]["posts"] == 32
    # ranked by evidence: |effect| / sd
    z = [e["z"] for e in stored["effects"]]
    assert z == sorted(z, reverse=True)
    answer = effects_answer(stored["effects"])
    assert answer["verdict"] == "evidence" and "moved likes clearly" in answer["message"]


def test_no_effect_no_evidence():
    posts = _account(good=0.0, video=0.0, seed=3)
    stored = compute_insights(build_model(posts), posts)
    assert stored["effects"] and not any(e["evidence"] for e in stored["effects"])
    answer = effects_answer(stored["effects"])
    assert answer["verdict"] == "not_enough_evidence" and answer["message"].startswith("Not enough evidence")


def test_rare_labels_are_not_listed():
    posts = _account(n=60)
    posts[0] = TrainingPost("rare", posts[0].timestamp, 5000, None, (("#once", 100.0),))
    stored = compute_insights(build_model(posts), posts)
    assert all(e["posts"] >= MIN_EFFECT_POSTS for e in stored["effects"])
    assert "#once" not in _by_name(stored["effects"])


def test_stored_insights_are_storable_small_and_answer_in_any_zone():
    posts = _account(n=1200, seed=5)
    doc = build_model(posts)
    stored = compute_insights(doc, posts)
    text = json.dumps(stored)
    assert "$" not in text and all("." not in k for k in stored)  # MongoDB-storable keys
    assert stored["posts"] == len(stored["timing"]["t"]) == TIMING_POSTS  # the newest posts only
    assert len(text) < 60_000
    athens, utc = insights_answer(stored, "Europe/Athens"), insights_answer(stored, "UTC")
    assert athens["time_zone"] == "Europe/Athens" and athens["posts"] == TIMING_POSTS
    assert athens["effects"] == utc["effects"]  # effects do not depend on the zone
    assert athens["timing"]["cells"] != utc["timing"]["cells"]


def test_nothing_to_judge_is_said_so():
    answer = effects_answer([])
    assert answer == {"verdict": "not_enough_evidence", "items": [], "message": answer["message"]}
    assert answer["message"].startswith("Not enough evidence: no label, hashtag or format was seen on 3 posts")


def test_no_ridge_fit_no_insights():
    assert compute_insights({"models": {}}, _account(n=20)) is None
