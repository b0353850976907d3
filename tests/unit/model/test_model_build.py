"""build_model / predict: round trips, the served kind, tiny histories, the chart, speed."""
import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import shared.model as model
from shared.model import (
    DEFAULT_KIND,
    DEFAULT_KIND_CANDIDATES,
    KINDS,
    NotEnoughPosts,
    TrainingPost,
    build_model,
    choose_kind,
    load,
    predict,
)

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def growing_account(n=60, seed=0, label_effect=True):
    """Likes grow 5x over the history; 'Dog' posts get twice the likes when label_effect."""
    rng = np.random.default_rng(seed)
    posts = []
    for i in range(n):
        dog = i % 3 == 0
        level = 50 * 5 ** (i / n) * (2.0 if dog and label_effect else 1.0)
        likes = int(level * math.exp(rng.normal(0, 0.1)))
        labels = [("Dog", 95.0), ("Animal", 90.0)] if dog else [("Tree", 95.0), ("Plant", 80.0)]
        posts.append(TrainingPost(f"m{i}", T0 + timedelta(days=2 * i, hours=int(rng.integers(0, 24))), likes,
                                  int(likes * 0.05), tuple(labels)))
    return posts


def test_kinds_and_document_shape():
    assert set(KINDS) == {"ridge", "label_mean", "user_mean", "recent_median", "trend"}
    assert DEFAULT_KIND == "ridge" and DEFAULT_KIND_CANDIDATES == ("ridge",)
    doc = build_model(growing_account())
    json.dumps(doc)  # plain types only
    assert doc["kind"] == "ridge"
    assert set(doc["models"]) == set(KINDS)
    assert doc["training_size"] == 60 and doc["labels"] == 4
    assert doc["top_labels"][0]["label"] in ("Dog", "Animal") and set(doc["top_labels"][0]) == {
        "label",
        "likes",
        "comments",
        "count",
    }
    assert doc["mean_likes"] > 0 and doc["mean_comments"] >= 0
    assert isinstance(doc["selection"], str) and doc["selection"]
    for kind in KINDS:
        bt = doc["backtest"][kind]
        assert {"mae", "mae_log", "spearman", "comments", "test_posts"} <= set(bt)
        assert bt["test_posts"] == 12


@pytest.mark.parametrize("kind", KINDS)
def test_fit_predict_round_trip(kind):
    doc = build_model(growing_account())
    doc2 = json.loads(json.dumps(doc))  # as stored and read back
    out = predict(doc2, [("Dog", 99.0), ("Animal", 91.0), ("Unknown", 70.0)], kind=kind,
                  when=T0 + timedelta(days=121))
    assert out["kind"] == kind
    assert out["likes"] >= 0 and out["comments"] is not None
    lo, hi = out["likes_range"]
    assert lo <= out["likes"] <= hi
    assert [e["name"] for e in out["labels"]] == ["Dog", "Animal", "Unknown"]
    assert out["labels"][2]["matched"] is False
    assert predict(doc, [("Dog", 99.0)], kind=kind, when=T0) == predict(doc2, [("Dog", 99.0)], kind=kind, when=T0)
    assert load(doc2).predict([("Dog", 99.0)], kind=kind, when=T0) == predict(doc2, [("Dog", 99.0)], kind=kind, when=T0)


def test_ridge_sees_labels_and_the_recent_level():
    posts = growing_account(90)
    doc = build_model(posts)
    late = T0 + timedelta(days=181)
    dog = predict(doc, [("Dog", 95.0), ("Animal", 90.0)], when=late)
    tree = predict(doc, [("Tree", 95.0), ("Plant", 80.0)], when=late)
    assert dog["kind"] == "ridge" and dog["likes"] > 1.5 * tree["likes"]
    # the account ends near 250 likes (dog 500): the seed's average sits far below
    assert 150 < tree["likes"] < 400
    assert predict(doc, [("Tree", 95.0)], kind="label_mean")["likes"] < tree["likes"]
    dog_entry = dog["labels"][0]
    assert dog_entry["matched"] and dog_entry["likes"] > 0 and dog_entry["likes_factor"] > 1
    assert doc["backtest"]["ridge"]["mae_log"] < doc["backtest"]["label_mean"]["mae_log"]


def test_trend_still_predicts_when_asked():
    doc = build_model(growing_account(90))
    late = T0 + timedelta(days=181)
    dog = predict(doc, [("Dog", 95.0), ("Animal", 90.0)], kind="trend", when=late)
    tree = predict(doc, [("Tree", 95.0), ("Plant", 80.0)], kind="trend", when=late)
    assert dog["likes"] > 1.5 * tree["likes"]


def test_the_served_kind_is_fixed_and_says_how_it_compares():
    bt = {k: {"mae": 100.0, "mae_log": 0.5, "test_posts": 5} for k in KINDS}
    bt["recent_median"]["mae_log"] = 0.3  # a better baseline does not switch the kind: it is reported
    kind, why = choose_kind(bt)
    assert kind == "ridge" and "recent_median" in why and "x1.35" in why
    kind, why = choose_kind(None)
    assert kind == "ridge" and "too few" in why


def test_chart_data_matches_the_backtest():
    doc = build_model(growing_account(60))
    chart = doc["chart"]
    assert [p["likes"] for p in chart["posts"]] == [
        p.likes for p in sorted(growing_account(60), key=lambda p: p.timestamp)
    ]
    assert len(chart["level"]) == 60 and all(p["likes"] > 0 for p in chart["level"])
    assert chart["level"][-1]["likes"] > 2 * chart["level"][0]["likes"]  # the account grew 5x
    ho = chart["holdout"]
    assert ho["train_posts"] == 48 and ho["test_posts"] == 12 == len(ho["points"])
    assert ho["covered"] == sum(p["low"] <= p["actual"] <= p["high"] for p in ho["points"])
    assert ho["mae_log"] == pytest.approx(doc["backtest"]["ridge"]["mae_log"])
    assert ho["baseline"]["kind"] in ("label_mean", "user_mean", "recent_median")
    assert "12" in chart["summary"] and "80% range" in chart["summary"]
    small = build_model(growing_account(5))["chart"]
    assert small["holdout"] is None and "Too few posts" in small["summary"]


def test_zero_posts_is_not_enough():
    with pytest.raises(NotEnoughPosts, match="not enough posts"):
        build_model([])
    with pytest.raises(NotEnoughPosts):
        build_model([TrainingPost("x", T0, None, None, ())])  # no like count: unusable


@pytest.mark.parametrize("n", [1, 2, 3, 9])
def test_tiny_histories_get_a_model(n):
    posts = growing_account(n)
    doc = build_model(posts)
    assert doc["backtest"] is None and "too few" in doc["selection"]
    for kind in KINDS:
        out = predict(doc, [("Dog", 95.0)], kind=kind)
        assert out["likes"] is not None and math.isfinite(out["likes"]) and out["likes"] >= 0
    assert predict(doc, [])["likes"] >= 0


def test_posts_without_labels_or_comments():
    posts = [TrainingPost(f"m{i}", T0 + timedelta(days=i), 10 + i, None, ()) for i in range(15)]
    doc = build_model(posts)
    out = predict(doc, [("Dog", 99.0)])
    assert out["fallback"] is True and out["comments"] is None and out["comments_range"] is None
    assert out["likes"] > 0


def test_unknown_kind_raises():
    doc = build_model(growing_account(12))
    with pytest.raises(ValueError):
        predict(doc, [("Dog", 99.0)], kind="nope")


def test_predict_reuses_the_prepared_document(monkeypatch):
    # Speed itself is measured by bench/model.py (0.1-0.7 ms a prediction, target 1 ms). A timing
    # bound here failed now and then on a machine busy with other suites, so this checks what
    # makes it fast by counting: the document is prepared once, not once per prediction.
    rng = np.random.default_rng(1)
    vocab = [f"label{j}" for j in range(2000)]
    posts = [TrainingPost(f"m{i}", T0 + timedelta(hours=6 * i), int(rng.integers(10, 1000)), 3,
                          tuple((vocab[j], 80.0) for j in rng.choice(2000, 50, replace=False))) for i in range(2000)]
    doc = build_model(posts)
    labels = [(vocab[j], 90.0) for j in range(100)]
    assert load(doc) is load(doc)
    prepared = []
    real_init = model.Model.__init__

    def counting_init(self, *a, **kw):
        prepared.append(1)
        real_init(self, *a, **kw)

    monkeypatch.setattr(model.Model, "__init__", counting_init)
    for _ in range(50):
        predict(doc, labels, when=T0)
    assert prepared == []  # the document prepared by load() above serves every prediction
    fresh = dict(doc)  # another document (a rebuilt model) is prepared, once
    for _ in range(5):
        predict(fresh, labels, when=T0)
    assert prepared == [1]
