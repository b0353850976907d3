"""The shape of GET /api/v1/model's answer, as JSON Schema (2020-12, which OpenAPI 3.1 uses):
the route declares it as its 200 answer (`@api` in `runs.training`), so /openapi.json publishes it,
and the tests check real answers against it.
"chart" is made by shared.model.chart; docs/webapp.md says what the card draws from it."""
from __future__ import annotations

_TIME = {"type": "string", "format": "date-time", "description": "ISO-8601, UTC"}
_INT = {"type": "integer", "minimum": 0}
_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}


def _obj(props: dict, description: str | None = None, nullable: bool = False) -> dict:
    out = {"type": ["object", "null"] if nullable else "object", "required": sorted(props), "properties": props}
    if description:
        out["description"] = description
    return out


def _likes_in_time(likes: dict, description: str) -> dict:
    return {"type": "array", "description": description, "items": _obj({"t": _TIME, "likes": likes})}


CHART = _obj(
    {
        "posts": _likes_in_time(_INT, "the account's posts (newest 300), oldest first"),
        "level": _likes_in_time(
            {"type": "number", "minimum": 0}, "the served model's level as it stood at each of those posts"
        ),
        "holdout": _obj(
            {
                "train_posts": _INT,
                "test_posts": _INT,
                "covered": {**_INT, "description": "held-out posts inside their 80% range"},
                "mae_log": {**_NUM, "description": "mean absolute error of log(1 + likes) on the held-out posts"},
                "baseline": _obj(
                    {"kind": {"type": "string", "enum": ["label_mean", "user_mean", "recent_median"]}, "mae_log": _NUM},
                    "the best simple rule on the same split",
                    nullable=True,
                ),
                "points": {
                    "type": "array",
                    "items": _obj(
                        {
                            "t": _TIME,
                            "actual": _INT,
                            "predicted": _NUM,
                            "low": {**_NUM_OR_NULL, "description": "80% range; null for a kind without one"},
                            "high": _NUM_OR_NULL,
                        }
                    ),
                },
            },
            "the served kind fitted on the oldest 80% of the posts and asked for the newest 20%; null under 10 posts",
            nullable=True,
        ),
        "summary": {"type": "string", "description": "the same in words (shown beside the chart)"},
    },
    "what the model card's accuracy chart draws; null for a model built before the chart",
    nullable=True,
)

METRIC = {
    "type": "object",
    "required": ["available", "posts", "missing"],
    "properties": {
        "available": {"type": "boolean", "description": "false: not fitted (`reason`, `why`)"},
        "posts": {**_INT, "description": "posts with a settled count of this metric, trained on"},
        "missing": {"type": "object", "additionalProperties": _INT,
                    "description": "{reason: posts}: why the others lack it (not_granted, too_old, not_available, "
                                   "no_data, not_settled, unreadable, not_read)"},
        "kind": {"type": "string"},
        "backtest": {"type": ["object", "null"], "description": "the served kind's scores on the newest posts"},
        "selection": {"type": ["string", "null"]},
        "mean": _NUM_OR_NULL,
        "chart": {**CHART, "description": "as `chart`, its counts (the `likes` fields) this metric's"},
        "reason": {"type": "string"},
        "why": {"type": ["string", "null"]},
    },
}
METRICS = {
    "type": ["object", "null"],
    "description": "reach, views, saves, shares, each fitted like likes where the account has enough posts with it; "
                   "null for a model built before Likely read insights. No real data set of ours has these metrics: "
                   "the figures prove the path, not the accuracy (docs/model.md)",
    "additionalProperties": METRIC,
}

MODEL = {
    "type": "object",
    "required": ["version", "kind", "trained_at", "posts", "backtest", "likes_hidden", "chart"],
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "description": "the model kind served (docs/model.md)"},
        "trained_at": _TIME,
        "posts": {**_INT, "description": "posts the model was trained on"},
        "labels": {"type": ["integer", "null"]},
        "top_labels": {"type": "array", "items": {"type": "object"}},
        "mean_likes": _NUM_OR_NULL, "mean_comments": _NUM_OR_NULL,
        "backtest": {"type": ["object", "null"], "description": "per kind: its scores on the newest posts, held out"},
        "selection": {"type": ["string", "null"]},
        "labelers": {"type": "array"},
        "likes_hidden": {**_INT, "description": "posts left out: their like counts are hidden"},
        "chart": CHART,
        "metrics": METRICS,
        "coefficients": {"type": "object", "description": "with ?coefficients=1: {label: {likes, comments, count}}"},
    },
}
