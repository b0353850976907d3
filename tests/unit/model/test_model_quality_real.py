"""The default model against the simple baselines on a slice of a real account set.

Real histories are read in place (shared.model.backtest.real_data_dir), never copied into the
repository. The full comparison, every set and every kind: `python bench/model_quality.py`.
"""
import pytest

from shared.model import BASELINES
from shared.model.backtest import read_posts, real_data_dir, run

SLICE = 120  # accounts of 10 to 60 posts, in name order: a fixed, small, fast slice


def test_default_no_worse_than_the_best_baseline_on_greek2017():
    folder = real_data_dir()
    if folder is None or not (folder / "instagram_greek2017.jsonl").exists():
        pytest.skip("real histories not on this machine (set LIKELY_REAL_DATA)")
    accounts = read_posts(str(folder / "instagram_greek2017.jsonl"), "hashtags")  # its labels are hashtags
    names = sorted(k for k, v in accounts.items() if 10 <= len(v) <= 60)[:SLICE]
    assert len(names) == SLICE
    summary = run({k: accounts[k] for k in names}, BASELINES)
    best = min(BASELINES, key=lambda k: summary[k]["mae_log"])
    assert summary["default"]["mae_log"] <= summary[best]["mae_log"], (summary["default"], best, summary[best])
    assert 0.7 <= summary["default"]["coverage_80"] <= 0.9
