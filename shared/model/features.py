"""The default model's columns besides the labels: spacing of posts, hour of day, caption numbers."""
from __future__ import annotations

import numpy as np

MAX_GAP_HOURS = 60 * 24.0
GAP = "gap"
HOUR = ["hour_sin", "hour_cos"]
#: The caption's numbers, each log1p: mentions and length in characters. Centred at the
#: account's typical caption, so a post whose caption is unknown counts as typical.
CAPTION = ["mentions", "length"]


def gap_hours(t_days: np.ndarray, previous_days: float | None = None) -> np.ndarray:
    """Hours since the previous post (the first post: since previous_days, else unknown = nan)."""
    t = np.asarray(t_days, dtype=np.float64)
    if t.size == 0:
        return t.copy()
    first = np.nan if previous_days is None else (t[0] - previous_days) * 24.0
    return np.concatenate(([first], np.diff(t) * 24.0))


def gap_feature(hours: np.ndarray, typical_hours: float) -> np.ndarray:
    h = np.where(np.isfinite(hours), hours, typical_hours)
    return np.log1p(np.clip(h, 0.0, MAX_GAP_HOURS))


def hour_features(t_days) -> np.ndarray:
    """(n, 2): sin and cos of the UTC time of day of each post."""
    ang = 2.0 * np.pi * (np.asarray(t_days, dtype=np.float64) % 1.0)
    return np.column_stack((np.sin(ang), np.cos(ang)))


def typical_gap(hours: np.ndarray) -> float:
    h = np.asarray(hours, dtype=np.float64)
    h = h[np.isfinite(h)]
    return float(np.median(h)) if h.size else 24.0


def caption_values(mentions, length) -> np.ndarray:
    """(n, 2): log1p(mentions), log1p(length); nan where the caption is unknown."""
    return np.log1p(np.column_stack((np.asarray(mentions, dtype=np.float64), np.asarray(length, dtype=np.float64))))


def typical_caption(values: np.ndarray) -> list[float]:
    """The mean of each caption number over the posts whose caption is known (0 if none is)."""
    known = ~np.isnan(values[:, 0])
    return values[known].mean(axis=0).tolist() if known.any() else [0.0, 0.0]


def caption_columns(values: np.ndarray, typical) -> np.ndarray:
    """The caption numbers centred at the typical caption; 0 (typical) where unknown."""
    return np.nan_to_num(values - np.asarray(typical, dtype=np.float64), nan=0.0)
