"""The builder turns stored posts into the model's training posts (no broker, no database)."""
from datetime import datetime, timezone

from services.builder.handler import to_training


def test_stored_posts_carry_format_and_caption_to_the_model():
    ts = datetime(2024, 5, 1, tzinfo=timezone.utc)
    stored = [
        {"media_id": "a", "timestamp": ts, "likes": 10, "comments": 2, "labels": [{"name": "Dog", "confidence": 90.0}],
         "product_type": "FEED", "media_type": "CAROUSEL_ALBUM", "caption": "#dog @me"},
        {"media_id": "b", "timestamp": ts, "likes": 5, "labels": []},  # an old post: no format, no caption
        {"media_id": "c", "timestamp": ts, "likes": None, "labels": []},  # hidden likes: not a training post
    ]
    a, b = to_training(stored)
    assert (a.media_type, a.product_type, a.caption, a.labels) == (
        "CAROUSEL_ALBUM",
        "FEED",
        "#dog @me",
        (("Dog", 90.0),),
    )
    assert (b.media_type, b.product_type, b.caption, b.comments) == (None, None, None, None)
