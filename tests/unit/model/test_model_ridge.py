"""The default kind (shared/model/ridge.py): hand-checkable fits, explanations, ranges, solver."""
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from shared.model import TrainingPost, predict, ridge, ridge_fit, solve
from shared.model.data import encode

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def posts_of(likes, labels=None, hours=24, types=None):
    return [TrainingPost(f"m{i}", T0 + timedelta(hours=hours * i), v, None,
                         tuple(labels[i]) if labels else (), types[i] if types else None)
            for i, v in enumerate(likes)]


def test_constant_account_predicts_its_constant():
    doc = ridge.fit_ridge(encode(posts_of([99] * 20)))
    out = ridge.RidgePredictor(doc).predict([], when_days=None)
    assert out["likes"] == pytest.approx(99.0, rel=1e-6)
    assert out["comments"] is None and out["comments_range"] is None
    assert doc["likes"]["gap_effect"] == pytest.approx(0.0, abs=1e-9)  # equal spacing: nothing to learn


def test_label_effect_sign_and_explanation():
    labels = [[("Dog", 100.0)] if i % 2 else [("Tree", 100.0)] for i in range(40)]
    likes = [400 if i % 2 else 100 for i in range(40)]
    doc = ridge.fit_ridge(encode(posts_of(likes, labels)))
    p = ridge.RidgePredictor(doc)
    dog, tree = p.predict([("Dog", 100.0)]), p.predict([("Tree", 100.0)])
    assert dog["likes"] > 2.5 * tree["likes"]
    assert 250 < dog["likes"] < 450 and 90 < tree["likes"] < 160
    entry = dog["labels"][0]
    assert entry["matched"] and entry["likes_factor"] > 1 and entry["likes"] > 0
    # the explanation is exact: the level times every factor gives the prediction
    assert dog["likes"] == pytest.approx(
        math.expm1(math.log1p(dog["level"]["likes"]) + math.log(entry["likes_factor"]))
    )
    # a label seen at half confidence counts half
    half = p.predict([("Dog", 50.0)])
    assert half["labels"][0]["likes_factor"] == pytest.approx(math.sqrt(entry["likes_factor"]))


def test_recent_posts_weigh_more_than_old_ones():
    doc = ridge.fit_ridge(encode(posts_of([10] * 30 + [1000] * 10)))
    got = ridge.RidgePredictor(doc).predict([])["likes"]
    mean_log = math.expm1(np.mean(np.log1p([10] * 30 + [1000] * 10)))
    assert mean_log < got < 1000  # above the plain average of logs, below the newest level


def test_product_type_is_a_feature():
    types = ["REELS" if i % 3 == 0 else "FEED" for i in range(45)]
    likes = [900 if t == "REELS" else 300 for t in types]
    doc = ridge.fit_ridge(encode(posts_of(likes, types=types)))
    assert set(doc["likes"]["type_effects"]) == {"REELS"}  # FEED is the base
    p = ridge.RidgePredictor(doc)
    # 3x in the data, shrunk by the penalty (strongest where few recent posts weigh): still clear
    assert p.predict([], product_type="REELS")["likes"] > 1.6 * p.predict([], product_type="FEED")["likes"]
    assert p.predict([], product_type="CAROUSEL")["likes"] == p.predict([])["likes"]  # unseen: no effect


def test_spacing_of_posts_is_a_feature():
    # posts after a long gap do better: 48 h gaps 600 likes, 2 h gaps 200 likes
    gaps = [48 if i % 2 else 2 for i in range(60)]
    times = np.cumsum(gaps)
    posts = [TrainingPost(f"m{i}", T0 + timedelta(hours=int(h)), 600 if gaps[i] == 48 else 200, None, ())
             for i, h in enumerate(times)]
    doc = ridge.fit_ridge(encode(posts))
    assert doc["likes"]["gap_effect"] > 0
    last = (posts[-1].timestamp - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() / 86400
    p = ridge.RidgePredictor(doc)
    assert p.predict([], when_days=last + 2.0)["likes"] > p.predict([], when_days=last + 2 / 24)["likes"]


def test_few_posts_get_the_prior_range_and_many_their_own():
    few = ridge.fit_ridge(encode(posts_of([100, 120, 90])))
    assert few["spread"]["likes"] == pytest.approx(list(ridge.SPREAD_PRIOR))
    rng = np.random.default_rng(3)
    calm = [int(500 * math.exp(rng.normal(0, 0.02))) for _ in range(150)]
    wild = [int(500 * math.exp(rng.normal(0, 1.0))) for _ in range(150)]
    s_calm = ridge.fit_ridge(encode(posts_of(calm)))["spread"]["likes"]
    s_wild = ridge.fit_ridge(encode(posts_of(wild)))["spread"]["likes"]
    assert s_calm[1] - s_calm[0] < 0.5 * (ridge.SPREAD_PRIOR[1] - ridge.SPREAD_PRIOR[0])
    assert s_wild[1] - s_wild[0] > 2.0


def test_ranges_are_whole_counts_around_the_point():
    doc = ridge.fit_ridge(encode(posts_of([100 + (i % 7) * 10 for i in range(30)])))
    out = ridge.RidgePredictor(doc).predict([])
    lo, hi = out["likes_range"]
    assert lo == int(lo) and hi == int(hi) and lo <= out["likes"] <= hi


def test_the_sparse_solver_agrees_with_the_dense_one(monkeypatch):
    rng = np.random.default_rng(7)
    vocab = [f"l{j}" for j in range(450)]
    posts = [TrainingPost(f"m{i}", T0 + timedelta(hours=5 * i), int(rng.integers(5, 500)), int(rng.integers(0, 9)),
                          tuple((vocab[j], float(rng.integers(50, 101))) for j in rng.choice(450, 12, replace=False)))
             for i in range(160)]
    enc = encode(posts)
    monkeypatch.setattr(ridge_fit, "LABEL_PENALTY_GRID", (1.0,))  # the same penalties on both paths
    monkeypatch.setattr(ridge_fit, "DENSE_MAX", 0)  # scipy.sparse design, conjugate gradients
    sparse_fit = ridge.fit_ridge(enc)
    monkeypatch.setattr(ridge_fit, "DENSE_MAX", 10**9)  # numpy design, dense solve
    monkeypatch.setattr(ridge_fit, "DIRECT_MAX", 10_000)
    monkeypatch.setattr(solve, "DIRECT_MAX", 10_000)
    dense_fit = ridge.fit_ridge(enc)
    a = np.array([e["effect"] for e in sparse_fit["likes"]["effects"]])
    b = np.array([e["effect"] for e in dense_fit["likes"]["effects"]])
    assert len(a) > 400 and np.max(np.abs(a - b)) < 1e-6
    assert sparse_fit["likes"]["level"] == pytest.approx(dense_fit["likes"]["level"], abs=1e-6)


def test_predict_through_the_document_passes_the_product_type():
    from shared.model import build_model

    types = ["REELS" if i % 2 else "FEED" for i in range(30)]
    doc = build_model(posts_of([800 if t == "REELS" else 200 for t in types], types=types))
    assert doc["kind"] == "ridge"
    assert predict(doc, [], product_type="REELS")["likes"] > predict(doc, [], product_type="FEED")["likes"]


def test_hour_of_posting_is_a_smooth_daily_effect():
    # evening posts (20:00 UTC) get 3x the likes of morning ones (08:00)
    posts = [
        TrainingPost(f"m{i}", T0 + timedelta(days=i // 2, hours=20 if i % 2 else 8), 600 if i % 2 else 200, None, ())
        for i in range(80)
    ]
    doc = ridge.fit_ridge(encode(posts))
    p = ridge.RidgePredictor(doc)
    day = (T0 - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() / 86400 + 41
    evening, morning = p.predict([], when_days=day + 20 / 24), p.predict([], when_days=day + 8 / 24)
    assert evening["likes"] > 1.2 * morning["likes"]  # 3x in the data, kept small by its penalty
    assert evening["factors"]["hour_factor"] > 1 > morning["factors"]["hour_factor"]
    unknown = p.predict([])  # time unknown: no hour effect at all
    assert unknown["factors"]["hour_factor"] == 1.0


def test_a_long_steady_growth_is_not_lagged():
    # 300 posts growing 10x, steadily: the level is read at the newest post, not in the middle
    likes = [int(100 * 10 ** (i / 299)) for i in range(300)]
    doc = ridge.fit_ridge(encode(posts_of(likes)))
    got = ridge.RidgePredictor(doc).predict([])["likes"]
    assert 0.75 * likes[-1] < got < 1.1 * likes[-1]


def test_no_fit_reads_past_the_window(monkeypatch):
    monkeypatch.setattr(ridge_fit, "MAX_WINDOW", 50)
    doc = ridge.fit_ridge(encode(posts_of([10] * 150 + [100] * 50)))
    assert doc["likes"]["posts"] == 200 and doc["likes"]["window_posts"] == 50
    assert ridge.RidgePredictor(doc).predict([])["likes"] == pytest.approx(100.0, rel=1e-3)


def test_weighted_medians_of_many_weightings_equal_each_one_alone():
    """The level path's medians (one sort for every half-life) are exactly the one-at-a-time ones,
    ties and a window shorter than the weights included."""
    rng = np.random.default_rng(7)
    for n in (1, 2, 7, 300):
        v = np.round(rng.normal(size=n), 1)  # rounded: many ties
        weights = ridge._half_life_weights(n + 5)[:, 5:]
        assert weights.shape == (len(ridge.HALF_LIVES), n)
        got = ridge._weighted_medians(v, weights)
        assert got.tolist() == [ridge._weighted_median(v, w) for w in weights]
    assert ridge._weighted_medians(np.array([1.0, 2.0, 10.0]), np.array([[1.0, 1.0, 5.0]])).tolist() == [10.0]


def test_the_label_penalty_follows_the_accounts_own_evidence():
    """Generalised cross-validation picks light shrinkage where labels tell consistently and
    heavy shrinkage where they are noise."""
    rng = np.random.default_rng(11)
    kinds = rng.integers(0, 6, size=80)
    labels = [[(f"L{k}", 100.0)] for k in kinds]
    strong = [int(50 * 2.0 ** k * rng.lognormal(0, 0.1)) for k in kinds]  # each label doubles the likes
    noise = [int(200 * rng.lognormal(0, 0.5)) for _ in kinds]  # labels say nothing
    s = ridge.fit_ridge(encode(posts_of(strong, labels)))["likes"]["label_penalty_scale"]
    n = ridge.fit_ridge(encode(posts_of(noise, labels)))["likes"]["label_penalty_scale"]
    assert s == min(ridge_fit.LABEL_PENALTY_GRID) and n == max(ridge_fit.LABEL_PENALTY_GRID)
    few = ridge.fit_ridge(encode(posts_of(strong[:15], labels[:15])))["likes"]["label_penalty_scale"]
    assert few is None  # too few posts to choose: the fixed penalty
