"""`likely insights` as text (services/cli/insights.py), from answers the model's code makes."""
from datetime import datetime, timezone

import numpy as np

from services.cli import insights
from services.gateway.insights.online_followers import in_zone
from shared.model.insights import effects_answer
from shared.model.insights_timing import timing_answer

MONDAY = datetime(2026, 1, 5, tzinfo=timezone.utc).timestamp()


def _answer(lift: float, online=None):
    rng = np.random.default_rng(7)
    t = MONDAY + rng.integers(0, 7 * 24, 300) * 3600.0
    r = rng.normal(0, 0.3, 300)
    r[((t - MONDAY) // 3600 % 168) == 24 + 18] += lift  # Tuesday 18:00 UTC
    t = np.concatenate([t, MONDAY + (24 + 18) * 3600 + np.arange(30) * 7 * 86400.0])
    r = np.concatenate([r, rng.normal(lift, 0.3, 30)])
    item = {"name": "VIDEO", "kind": "format", "column": "media:VIDEO", "effect": -0.7, "low": -0.9, "high": -0.5,
            "sd": 0.1, "factor": 0.5, "factor_low": 0.41, "factor_high": 0.61, "posts": 30, "evidence": True, "z": 7}
    found = online or {"status": "not_granted", "hours_utc": None, "days": 0}
    return {"model_version": 2, "posts": 330, "level": 0.9, "time_zone": "UTC",
            "timing": timing_answer(t.tolist(), r.tolist(), "UTC"), "effects": effects_answer([item]),
            "online_followers": in_zone(found, "UTC")}


def test_evidence_is_said_with_its_slot_interval_and_grid():
    text = insights.report(_answer(0.8, {"status": "shown", "hours_utc": [float(h) for h in range(24)], "days": 29}))
    lines = text.splitlines()
    assert any(line.strip().startswith("Tuesday 18:00–19:00") and line.rstrip().endswith("yes") for line in lines)
    tue = next(line for line in lines if line.startswith("  Tue "))
    assert tue[6 + 3 * 18 + 1] == "+"  # the heatmap as text: Tuesday 18:00 clearly better
    assert any(line.split()[:2] == ["video", "format"] and "x0.50" in line for line in lines)
    assert "busiest hours: 23:00 (23), 22:00 (22), 21:00 (21)" in text


def test_not_enough_evidence_is_said_plainly():
    text = insights.report(_answer(0.0))
    assert "Not enough evidence" in text and "Post when it suits you." in text
    assert "reconnect and allow them" in text  # online followers not granted: said, and the rest still shown


def test_path_carries_the_zone():
    assert insights.path("America/New_York") == "/api/v1/insights?tz=America%2FNew_York"
