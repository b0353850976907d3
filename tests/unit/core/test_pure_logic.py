"""Fast tests of pure logic: message contracts, Instagram parsing, image selection, the bar."""
from datetime import datetime, timezone

import pytest

from services.cli.__main__ import progress_bar
from services.ingestor.handler import select_images
from shared import contracts
from shared.instagram import Media, parse_timestamp


def test_messages_round_trip_through_their_type():
    msg = contracts.PostDiscovered(run_id="r", user_id="u", media_id="m", media_url="http://x/1.jpg",
                                   timestamp=datetime(2025, 1, 1, tzinfo=timezone.utc), likes=3, comments=None)
    assert contracts.decode(msg.TYPE, msg.body()) == msg
    with pytest.raises(Exception):
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


@pytest.mark.parametrize("raw,expected", [
    ("2024-05-01T12:00:00+0000", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ("2024-05-01T14:00:00+0200", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
])
def test_instagram_timestamps(raw, expected):
    assert parse_timestamp(raw) == expected


def test_images_carousel_covers_and_video_thumbnails_are_kept_hidden_likes_counted():
    t = datetime(2025, 1, 1, tzinfo=timezone.utc)
    media = [Media("1", "IMAGE", "u1", t, None, None, 1, 0), Media("2", "VIDEO", "u2.mp4", t, None, None, 1, 0),
             Media("3", "CAROUSEL_ALBUM", "u3", t, None, None, 1, 0), Media("4", "IMAGE", None, t, None, None, 1, 0),
             Media("5", "VIDEO", "u5.mp4", t, None, None, 1, 0, thumbnail_url="u5.jpg", product_type="REELS"),
             Media("6", "IMAGE", "u6", t, None, None, None, 0)]
    usable, hidden = select_images(media)
    assert [(m.id, m.image_url) for m in usable] == [("1", "u1"), ("3", "u3"), ("5", "u5.jpg")]
    assert hidden == 1  # post 6: no like count is not zero likes


def test_progress_bar():
    assert progress_bar({"state": "running", "total": 4, "done": 1, "failed": 1}, width=8) == \
        "\r[####....] 2/4 running, 1 failed   "
    assert "0/0 listing" in progress_bar({"state": "listing", "total": 0, "done": 0, "failed": 0})


def test_the_inferer_replies_with_an_error_when_inference_blows_up():
    from services.inferer.handler import handle_infer
    from shared.contracts import InferRequest
    from shared.messaging import Delivery

    class BrokenModels:
        def get(self, user_id):
            raise RuntimeError("MongoDB went away")

    replies = []
    msg = InferRequest(user_id="u1", image_key="users/u1/uploads/a.jpg")
    handle_infer(msg, Delivery(0, True, reply_to="amq.rabbitmq.reply-to.x", correlation_id="c1"), store=None,
                 labeler=None, models=BrokenModels(), reply=lambda *a: replies.append(a))
    [(to, cid, answer)] = replies
    assert (to, cid, answer.ok, answer.error_code) == ("amq.rabbitmq.reply-to.x", "c1", False, "inference_failed")
