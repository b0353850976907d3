"""The model kinds, by name: how each is fitted (to a storable params document) and how it predicts.

Every kind works the same way:
  fit(enc: Encoded) -> params document (plain JSON/MongoDB types, labels as lists of objects)
  Predictor(params): .predict(labels, when_days) for one image, .predict_batch(enc) for many.

  ridge          the default (ridge.py): a recency-weighted ridge regression with fixed
                 settings, averaged over half-lives, with conformal ranges.
  label_mean     the seed's (label_mean.py). A baseline.
  user_mean      the user's mean likes (comments) (baselines.py). A baseline.
  recent_median  the median of the user's last 10 posts (baselines.py). A baseline.
  trend          the former default (trend.py), kept for comparison.
"""
from __future__ import annotations

from .baselines import ConstantPredictor, fit_recent_median, fit_user_mean
from .common import _spread
from .label_mean import LabelMeanPredictor, fit_label_mean
from .ridge import RidgePredictor, fit_ridge
from .trend import TrendPredictor, fit_trend

__all__ = ["FITTERS", "PREDICTORS", "_spread"]

FITTERS = {
    "ridge": fit_ridge,
    "label_mean": fit_label_mean,
    "user_mean": fit_user_mean,
    "recent_median": fit_recent_median,
    "trend": fit_trend,
}
PREDICTORS: dict = {  # kind -> its predictor class (each takes the model document)
    "ridge": RidgePredictor,
    "label_mean": LabelMeanPredictor,
    "user_mean": ConstantPredictor,
    "recent_median": ConstantPredictor,
    "trend": TrendPredictor,
}
