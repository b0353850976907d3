"""Message contracts: a message decodes back to itself and is frozen; what does not decode is refused."""
from datetime import datetime, timezone

import pytest

from shared import contracts


def test_messages_round_trip_through_their_type():
    msg = contracts.PostDiscovered(run_id="r", user_id="u", media_id="m", media_url="http://x/1.jpg",
                                   timestamp=datetime(2025, 1, 1, tzinfo=timezone.utc), likes=3, comments=None)
    assert contracts.decode(msg.TYPE, msg.body()) == msg
    with pytest.raises(ValueError):  # pydantic's ValidationError
        msg.likes = 4  # frozen


@pytest.mark.parametrize("type_name,body", [
    ("post.discovered.v1", b'{"run_id": "r"}'),
    ("post.discovered.v1", b'{"run_id": "r", "user_id": "u", "media_id": "m", "media_url": "u", '
                           b'"timestamp": "2025-01-01T00:00:00Z", "likes": -1}'),
    ("train.requested.v1", b'{"run_id": "r", "user_id": "u", "surprise": 1}'),
    ("train.requested.v2", b'{"run_id": "r", "user_id": "u"}'),
    ("train.requested.v1", b"\xff\xfe"),
])
def test_undecodable_messages_are_refused(type_name, body):
    with pytest.raises(contracts.UndecodableMessage):
        contracts.decode(type_name, body)
