"""The seed's model, as docs/design.md describes it (the seed report's section 3.3)."""
from datetime import datetime, timedelta, timezone

import pytest

from shared.model import TrainingPost, build_model, coefficients, predict

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def post(i, likes, labels, comments=None):
    return TrainingPost(f"m{i}", T0 + timedelta(days=i), likes, comments, tuple(labels))


def test_report_example_100_and_200_give_150():
    posts = [post(0, 100, [("forest", 99.0)], 4), post(1, 200, [("person", 99.0)], 8)]
    doc = build_model(posts)
    out = predict(doc, [("forest", 90.0), ("stream", 90.0), ("person", 80.0)], kind="label_mean")
    assert out["kind"] == "label_mean"
    assert out["likes"] == pytest.approx(150.0)
    assert out["comments"] == pytest.approx(6.0)
    assert out["fallback"] is False
    by = {e["name"]: e for e in out["labels"]}
    assert by["forest"]["matched"] and by["forest"]["likes"] == pytest.approx(100.0)
    assert by["person"]["matched"] and by["person"]["comments"] == pytest.approx(8.0)
    assert not by["stream"]["matched"] and by["stream"]["likes"] is None
    lo, hi = out["likes_range"]
    assert lo <= 150.0 <= hi


def test_plain_mean_not_count_weighted():
    # "a" seen on 3 posts (mean 10), "b" on 1 (mean 100): plain mean 55, not (30+100)/4
    posts = [post(0, 10, [("a", 90)]), post(1, 10, [("a", 90)]), post(2, 10, [("a", 90)]), post(3, 100, [("b", 90)])]
    out = predict(build_model(posts), [("a", 90), ("b", 90)], kind="label_mean")
    assert out["likes"] == pytest.approx(55.0)


def test_no_label_matches_falls_back_to_user_mean():
    posts = [post(0, 10, [("a", 90)], 1), post(1, 30, [("b", 90)], 3)]
    out = predict(build_model(posts), [("zzz", 99)], kind="label_mean")
    assert out["fallback"] is True
    assert out["likes"] == pytest.approx(20.0)
    assert out["comments"] == pytest.approx(2.0)
    assert all(e["matched"] is False for e in out["labels"])


def test_comments_none_are_skipped_for_comment_coefficients():
    posts = [post(0, 10, [("a", 90)], None), post(1, 30, [("a", 90)], 6)]
    c = coefficients(build_model(posts))
    assert c["a"] == {"likes": pytest.approx(20.0), "comments": pytest.approx(6.0), "count": 2}
    posts = [post(0, 10, [("a", 90)], None)]
    doc = build_model(posts)
    assert coefficients(doc)["a"]["comments"] is None
    out = predict(doc, [("a", 90)], kind="label_mean")
    assert out["likes"] == pytest.approx(10.0) and out["comments"] is None


def test_labels_below_50_are_dropped_and_dotted_names_are_stored_as_values():
    posts = [post(0, 10, [("a.b", 90), ("c", 40)]), post(1, 30, [("$d", 90)])]
    doc = build_model(posts)
    c = coefficients(doc)
    assert set(c) == {"a.b", "$d"}

    def keys(o):
        if isinstance(o, dict):
            for k, v in o.items():
                assert isinstance(k, str) and "." not in k and not k.startswith("$"), k
                keys(v)
        elif isinstance(o, list):
            for v in o:
                keys(v)
    keys(doc)


def test_repeated_label_counts_once_at_its_highest_confidence():
    from shared.model.data import encode
    posts = [post(0, 10, [("a", 60), ("a", 90), ("b", 70)]), post(1, 30, [("a", 80), ("c", None)])]
    enc = encode(posts)
    assert enc.labels_of(0) == [("a", 90.0), ("b", 70.0)]
    assert enc.labels_of(1) == [("a", 80.0)]
    assert coefficients(build_model(posts))["a"]["likes"] == pytest.approx(20.0)
