"""Instagram's media as the ingestor reads them: timestamps, and which posts give an image."""
from datetime import datetime, timezone

import pytest

from services.ingestor.handler import select_images
from shared.instagram import Media, parse_timestamp


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
