"""A post's format: Instagram's media_type (IMAGE, VIDEO, CAROUSEL_ALBUM) and media_product_type
(FEED, REELS).

The model learns the format as two groups of indicators, IMAGE and FEED the base: one per
media type and one per product type, so VIDEO/REELS = the VIDEO effect + the REELS effect, and
an account's older feed videos tell about its reels too. An unknown media type is the base.
"""
from __future__ import annotations

BASE_MEDIA = "IMAGE"
BASE_PRODUCT = "FEED"
#: The formats a prediction compares ("photo, carousel or reel?").
FORMATS: tuple[tuple[str, str], ...] = (("IMAGE", "FEED"), ("CAROUSEL_ALBUM", "FEED"), ("VIDEO", "REELS"))


def media_of(media_type: str | None, product_type: str | None) -> str | None:
    """The media type, upper case; a reel is always a video (Instagram's reels are), whatever
    media type it is given with."""
    if product_type and str(product_type).upper() == "REELS":
        return "VIDEO"
    return str(media_type).upper() if media_type else None


def product_of(product_type: str | None) -> str:
    return str(product_type).upper() if product_type else BASE_PRODUCT


def format_key(media_type: str | None, product_type: str | None) -> str | None:
    """'IMAGE/FEED', 'VIDEO/REELS', ... (None when the media type is unknown): MongoDB-storable."""
    media = media_of(media_type, product_type)
    return None if media is None else f"{media}/{product_of(product_type)}"
