"""When to post (shared/model/insights_timing.py): evidence found where it is, not where it is not."""
from datetime import datetime, timezone

import numpy as np
import pytest

from shared.model.insights import InvalidTimeZone, valid_time_zone
from shared.model.insights_timing import MIN_TIMING_POSTS, best_slots, fit_timing, local_slots, timing_answer

MONDAY = datetime(2026, 1, 5, tzinfo=timezone.utc).timestamp()  # a Monday, 00:00 UTC


def _history(n, rng, lift_slot=None, lift=0.0, noise=0.3, tz_hours=0):
    """n posts at random UTC hours of the week; those at lift_slot (local weekday, hour) get +lift."""
    t = MONDAY + rng.integers(0, 7 * 24, n) * 3600 + rng.integers(0, 3600, n)
    weekday, hour = local_slots(t, "UTC")
    r = rng.normal(0.0, noise, n)
    if lift_slot is not None:
        local_hour = (hour + tz_hours) % 24
        local_day = (weekday + (hour + tz_hours) // 24) % 7
        r[(local_day == lift_slot[0]) & (np.abs(local_hour - lift_slot[1]) <= 1)] += lift
    return t, r


def test_a_real_slot_is_found_with_its_lift():
    rng = np.random.default_rng(1)
    t, r = _history(400, rng, lift_slot=(1, 18), lift=0.7)
    # posts in the lifted slot more often, as an account that found its time would
    extra_t = MONDAY + 86400 + 18 * 3600 + rng.integers(-3600, 3600, 40)
    t = np.concatenate([t, extra_t])
    r = np.concatenate([r, rng.normal(0.7, 0.3, 40)])
    out = timing_answer(t.tolist(), r.tolist(), "UTC")
    assert out["verdict"] == "evidence"
    top = out["best"][0]
    assert top["weekday"] == 1 and abs(top["hour"] - 18) <= 1
    assert top["evidence"] and top["low"] > 0 and top["factor"] > 1.1
    assert "Tuesday" in out["message"]
    tuesday = out["weekdays"][1]
    assert tuesday["effect"] > 0 and tuesday["effect"] == max(w["effect"] for w in out["weekdays"])


def test_noise_gives_not_enough_evidence():
    """Pure noise: the best of 168 cells must not pass for a finding (simultaneous intervals)."""
    found = 0
    for seed in range(40):
        t, r = _history(300, np.random.default_rng(200 + seed))
        out = timing_answer(t.tolist(), r.tolist(), "UTC")
        assert len(out["cells"]) == 168 and len(out["weekdays"]) == 7 and len(out["hours"]) == 24
        if out["verdict"] == "evidence":
            found += 1
        else:
            assert out["message"].startswith("Not enough evidence")
            assert not any(b["evidence"] for b in out["best"])
    assert found <= 6  # a 90% band, one-sided: about 5% expected (pointwise 90% intervals: 15 of these 40)


def test_too_few_posts_is_not_enough_evidence_whatever_the_intervals():
    rng = np.random.default_rng(3)
    t, r = _history(MIN_TIMING_POSTS - 1, rng, lift_slot=(2, 9), lift=3.0, noise=0.01)
    out = timing_answer(t.tolist(), r.tolist(), "UTC")
    assert out["verdict"] == "not_enough_evidence"
    assert "too few" in out["message"]
    assert not any(c["evidence"] for c in out["cells"])


def test_the_time_zone_moves_posts_daylight_saving_included():
    summer = datetime(2026, 7, 1, 15, 0, tzinfo=timezone.utc).timestamp()  # Athens: UTC+3, a Wednesday
    winter = datetime(2026, 1, 15, 15, 0, tzinfo=timezone.utc).timestamp()  # Athens: UTC+2, a Thursday
    weekday, hour = local_slots([summer, winter], "Europe/Athens")
    assert hour.tolist() == [18, 17] and weekday.tolist() == [2, 3]
    weekday, hour = local_slots([datetime(2026, 1, 6, 2, tzinfo=timezone.utc).timestamp()], "America/New_York")
    assert (weekday[0], hour[0]) == (0, 21)  # Tuesday 02:00 UTC is Monday 21:00 in New York


def test_same_history_other_zone_shifts_the_best_slot():
    rng = np.random.default_rng(4)
    t, r = _history(600, rng, lift_slot=(3, 12), lift=0.8)
    utc = timing_answer(t.tolist(), r.tolist(), "UTC")["best"][0]
    tokyo = timing_answer(t.tolist(), r.tolist(), "Asia/Tokyo")["best"][0]  # UTC+9, no DST
    assert (utc["weekday"], utc["hour"]) != (tokyo["weekday"], tokyo["hour"])
    assert (utc["hour"] + 9) % 24 == tokyo["hour"]


def test_cells_are_against_the_typical_post_and_intervals_hold_their_point():
    rng = np.random.default_rng(5)
    t, r = _history(200, rng, lift_slot=(5, 20), lift=0.5)
    weekday, hour = local_slots(t, "UTC")
    fit = fit_timing(weekday, hour, r)
    by_cell = {(c["weekday"], c["hour"]): c["effect"] for c in fit["cells"]}
    # the posts' own mix of cells averages to no effect
    assert np.mean([by_cell[(d, h)] for d, h in zip(weekday, hour, strict=True)]) == pytest.approx(0.0, abs=1e-9)
    for c in fit["cells"]:
        assert c["low"] < c["effect"] < c["high"]
        assert c["factor_low"] < c["factor"] < c["factor_high"]


def test_best_slots_skip_rare_and_neighbouring_cells():
    cells = [{"weekday": d, "hour": h, "effect": 0.0, "posts": 5} for d in range(7) for h in range(24)]
    for c in cells:
        if c["weekday"] == 0:
            c["effect"] = {10: 0.5, 11: 0.45, 15: 0.4}.get(c["hour"], 0.0)
        if (c["weekday"], c["hour"]) == (6, 6):
            c.update(effect=0.9, posts=1)  # the highest, but tried once
    best = best_slots(cells)
    assert [(b["weekday"], b["hour"]) for b in best][:2] == [(0, 10), (0, 15)]


@pytest.mark.parametrize("tz", ["Europe/Athens", "UTC", "America/Argentina/Buenos_Aires"])
def test_valid_time_zones(tz):
    assert valid_time_zone(tz) == tz


@pytest.mark.parametrize("tz", ["", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/", "x" * 80])
def test_invalid_time_zones(tz):
    with pytest.raises(InvalidTimeZone):
        valid_time_zone(tz)
