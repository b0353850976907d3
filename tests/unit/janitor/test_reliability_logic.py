"""Pure logic of retries, dead letters and stalled runs."""
from datetime import datetime, timezone

import pytest

from services.janitor.dead_letters import reason_of
from services.janitor.reaper import last_progress
from shared.broker import ERROR_HEADER, topology
from shared.settings import parse_delays


def test_retry_delays_parse_and_refuse_nonsense():
    assert parse_delays("1,5, 30,120,300") == (1.0, 5.0, 30.0, 120.0, 300.0)
    assert parse_delays("") == ()
    with pytest.raises(ValueError):
        parse_delays("1,0")
    with pytest.raises(ValueError):
        parse_delays("1,soon")


def test_retry_queues_route_back_to_their_work_queue_after_their_delay():
    labeler = topology.retry_queues(topology.LABELER_POSTS, (0.5, 30))
    assert [q.name for q in labeler] == ["labeler.posts.retry.0.5s", "labeler.posts.retry.30s"]
    args = labeler[1].queue_arguments
    assert (args["x-message-ttl"], args["x-dead-letter-exchange"], args["x-dead-letter-routing-key"]) == \
        (30_000, "likely.posts", "post")
    assert topology.retry_queues(topology.INFERER_REQUESTS, (1,)) == ()  # a waiting caller is never retried later


def test_the_reason_of_a_dead_letter():
    assert reason_of({ERROR_HEADER: "RuntimeError('x')"}) == "RuntimeError('x')"
    assert "delivery limit" in reason_of({"x-death": [{"reason": "delivery_limit", "queue": "labeler.posts"}]})
    assert reason_of({"x-death": [{"reason": "expired"}]}) == "dead-lettered by the broker (expired)"
    assert reason_of(None) == "dead-lettered (no reason given)"


def test_a_run_last_moved_when_it_started_changed_state_or_counted_a_post():
    t = lambda s: datetime.fromtimestamp(s, timezone.utc)  # noqa: E731
    assert last_progress({"started_at": t(100)}, None) == 100
    assert last_progress({"started_at": t(100), "updated_at": t(150)}, 120.0) == 150
    assert last_progress({"started_at": t(100), "updated_at": t(150)}, 170.0) == 170
