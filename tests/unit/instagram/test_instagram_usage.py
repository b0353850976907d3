"""Reading the usage headers, and the pause they ask for (pure logic)."""
import pytest

from shared.instagram.usage import Usage, parse_usage, pause_for

POLICY = {"slow_above": 80.0, "slow_delay": 2.0, "full_pause": 300.0}


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({}, None),
        ({"X-App-Usage": '{"call_count": 28, "total_time": 25, "total_cputime": 25}'}, Usage(28.0, None)),
        (
            {
                "X-App-Usage": '{"call_count": 10}',
                "X-Business-Use-Case-Usage": '{"1": [{"type": "instagram", "call_count": 5, "total_cputime": 97}]}',
            },
            Usage(97.0, None),
        ),
        (
            {
                "X-Business-Use-Case-Usage": '{"1": [{"call_count": 100, "estimated_time_to_regain_access": 3}],'
                ' "2": [{"call_count": 40, "estimated_time_to_regain_access": 1}]}'
            },
            Usage(100.0, 180.0),
        ),
        ({"X-App-Usage": "not json"}, None),  # unreadable: ignored, never an error
        ({"X-App-Usage": '["a list"]', "X-Business-Use-Case-Usage": '{"1": ["x", {"call_count": "n/a"}]}'}, None),
    ],
)
def test_parse_usage(headers, expected):
    assert parse_usage(headers) == expected


@pytest.mark.parametrize("usage,pause", [
    (None, 0.0), (Usage(80.0, None), 0.0), (Usage(90.0, None), 1.0), (Usage(99.0, None), 1.9),
    (Usage(100.0, None), 300.0), (Usage(104.0, 120.0), 120.0),
])
def test_pause_for(usage, pause):
    assert pause_for(usage, **POLICY) == pytest.approx(pause)
