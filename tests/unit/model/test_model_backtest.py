"""The backtest's split and metrics, on small hand-computed examples."""
import json
import math
from datetime import datetime, timedelta, timezone

import pytest

from shared.model import TrainingPost
from shared.model.backtest import backtest_account, mae, mae_log, main, rankdata, run, spearman, split_index, time_split

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def post(i, likes, labels=(("Dog", 90.0),), comments=None):
    return TrainingPost(f"m{i}", T0 + timedelta(days=i), likes, comments, tuple(labels))


def test_split_is_by_time_80_20():
    assert split_index(10) == 8 and split_index(12) == 9 and split_index(14) == 11
    posts = [post(i, i) for i in range(10)][::-1]  # given newest first
    train, test = time_split(posts)
    assert [p.likes for p in train] == list(range(8))
    assert [p.likes for p in test] == [8, 9]


def test_mae_and_mae_log_by_hand():
    assert mae([10, 20, 30], [12, 18, 30]) == pytest.approx(4 / 3)
    expect = (abs(math.log1p(0) - math.log1p(1)) + abs(math.log1p(99) - math.log1p(9))) / 2
    assert mae_log([0, 99], [1, 9]) == pytest.approx(expect)


def test_spearman_ties_and_constants():
    assert rankdata([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [5, 5, 5]) == 0.0  # constant prediction
    assert spearman([7, 7, 7], [1, 2, 3]) == 0.0  # constant truth
    # ties: ranks (1, 2.5, 2.5, 4) vs (1, 2, 3, 4): Pearson of the ranks
    r = spearman([1, 2, 2, 3], [1, 2, 3, 4])
    a, b = [-1.5, 0, 0, 1.5], [-1.5, -0.5, 0.5, 1.5]
    expect = sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    assert r == pytest.approx(expect)


def test_backtest_account_hand_computed():
    # 10 posts: 8 train (likes 10..80), 2 test (likes 90, 100)
    posts = [post(i, 10 * (i + 1)) for i in range(10)]
    r = backtest_account(posts)
    # user_mean: 45 for both; errors 45 and 55
    assert r["user_mean"]["mae"] == pytest.approx(50.0)
    assert r["user_mean"]["spearman"] == 0.0
    # recent_median of the 8 training posts: median(10..80) = 45
    assert r["recent_median"]["mae"] == pytest.approx(50.0)
    # label_mean: every post has "Dog" -> 45
    assert r["label_mean"]["mae"] == pytest.approx(50.0)
    assert r["label_mean"]["mae_log"] == pytest.approx(
        (abs(math.log1p(90) - math.log1p(45)) + abs(math.log1p(100) - math.log1p(45))) / 2)
    assert r["default"]["kind"] == "ridge" and r["default"]["mae"] == r["ridge"]["mae"]


def test_too_few_posts_are_skipped():
    assert backtest_account([post(i, 5) for i in range(9)]) is None
    s = run({"a": [post(i, 5) for i in range(9)]})
    assert s["trend"]["accounts"] == 0


def test_low_confidence_labels_are_dropped():
    # "Cat" at confidence 40 must not count: label_mean falls back to the training mean
    train = [post(i, 10, labels=(("Dog", 90.0),)) for i in range(8)]
    test = [post(8, 50, labels=(("Cat", 40.0),)), post(9, 50, labels=(("Cat", 40.0),))]
    train[0] = post(0, 1000, labels=(("Cat", 40.0), ("Dog", 90.0)))
    r = backtest_account(train + test)
    mean = (1000 + 7 * 10) / 8
    assert r["label_mean"]["mae"] == pytest.approx(abs(50 - mean))


def test_cli_last_line_is_json(tmp_path, capsys):
    path = tmp_path / "posts.jsonl"
    with open(path, "w") as f:
        for acc in ("a", "b"):
            for i in range(12):
                f.write(json.dumps({"account": acc, "id": f"{acc}{i}",
                                    "timestamp": (T0 + timedelta(days=i)).isoformat().replace("+00:00", "Z"),
                                    "likes": 10 + i * (2 if acc == "a" else 1), "comments": None if i % 3 else i,
                                    "labels": [{"name": "Dog", "confidence": 99}, {"name": "x.y", "confidence": 60}]})
                        + "\n")
    assert main([str(path), "--models", "label_mean,trend"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    out = json.loads(last)
    assert set(out) == {"label_mean", "trend", "default"}
    for k in out:
        assert out[k]["accounts"] == 2
        assert {"mae", "mae_log", "spearman", "comments"} <= set(out[k])
    assert sum(out["default"]["picked"].values()) == 2


def test_a_line_carries_format_and_caption_and_labels_can_be_read_as_hashtags(tmp_path):
    from shared.model.backtest import parse_post, read_posts

    line = {"account": "a", "id": "1", "timestamp": "2020-01-01T00:00:00Z", "likes": 5, "comments": None,
            "labels": [{"name": "Beach", "confidence": 90.0}, {"name": "beach", "confidence": 90.0}],
            "media_type": "CAROUSEL_ALBUM", "product_type": "FEED", "caption": "sun @x"}
    _, as_image = parse_post(line)
    assert as_image.labels == (("Beach", 90.0), ("beach", 90.0))
    assert (as_image.media_type, as_image.product_type, as_image.caption) == ("CAROUSEL_ALBUM", "FEED", "sun @x")
    _, as_tags = parse_post(line, "hashtags")
    assert as_tags.labels == (("#beach", 100.0),)  # one hashtag group, as a caption's '#Beach #beach'
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(line) + "\n")
    assert read_posts(str(path), "hashtags")["a"][0].labels == (("#beach", 100.0),)
    with pytest.raises(ValueError):
        read_posts(str(path), "words")
