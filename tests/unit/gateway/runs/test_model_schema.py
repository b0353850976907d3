"""GET /api/v1/model's answer as model_summary makes it from a built model document, against
the schema /openapi.json publishes (`services.gateway.runs.model_schema`): with the chart, with
too few posts to hold any out, and for an older document without a chart."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator

from services.gateway.runs.model_schema import MODEL
from services.gateway.runs.training import model_summary
from shared.model import TrainingPost, build_model

VALIDATOR = Draft202012Validator(MODEL)


def stored_model(n: int) -> dict:
    """A model document as the builder stores it, from n posts (one of them with 0 likes)."""
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    posts = [TrainingPost(f"m{i}", t0 + timedelta(days=i), 0 if i == 3 else 20 + 7 * (i % 5), i % 3,
                          (("Cat", 90.0),) if i % 2 else (("Coffee", 80.0),)) for i in range(n)]
    return {**build_model(posts), "user_id": "u", "version": 1, "source": "s", "labelers": ["offline-x"],
            "trained_at": datetime(2026, 1, 1, tzinfo=timezone.utc), "likes_hidden": 0}


def errors(answer: dict) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in VALIDATOR.iter_errors(answer)]


@pytest.mark.parametrize("n", [8, 24])
def test_the_answer_matches_the_published_schema(n):
    answer = model_summary(stored_model(n), with_coefficients=True)
    assert errors(answer) == []
    assert (answer["chart"]["holdout"] is None) == (n < 10)
    assert len(answer["chart"]["posts"]) == n


def test_an_older_model_answers_chart_null_and_still_matches():
    doc = stored_model(12)
    del doc["chart"]
    answer = model_summary(doc, with_coefficients=False)
    assert answer["chart"] is None and errors(answer) == []


def test_the_schema_refuses_a_chart_of_another_shape():
    answer = model_summary(stored_model(12), with_coefficients=False)
    chart = answer["chart"]
    assert errors({**answer, "chart": {**chart, "posts": [{"t": "2025-01-01T00:00:00Z", "likes": 2.5}]}})
    assert errors({**answer, "chart": {**chart, "holdout": {**chart["holdout"], "points": [{"t": "x"}]}}})
    assert errors({**answer, "chart": {k: v for k, v in chart.items() if k != "summary"}})
