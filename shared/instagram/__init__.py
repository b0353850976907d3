"""Instagram, as Likely reads it (the API with Instagram Login, or the project's sandbox of it).

- `client`: the API client (`InstagramClient`), the shapes it reads (`Media`, `Token`) and its
  errors (`InstagramError`, `TokenRejected`, `Throttled`);
- `usage`: the usage headers, read to space requests out before Instagram throttles;
- `media_insights`: a post's insights (reach, views, saves, shares) as Instagram answers them,
  and why a metric is missing;
- `account`: a user's connection as stored in `users.instagram`, the token encrypted at rest.

The client's names are here too: `from shared.instagram import InstagramClient, Media`.
"""
from __future__ import annotations

from shared.instagram.client import (
    InstagramClient,
    InstagramError,
    Media,
    Throttled,
    Token,
    TokenRejected,
    parse_media,
    parse_timestamp,
)

__all__ = [
    "InstagramClient", "InstagramError", "Media", "Throttled", "Token", "TokenRejected", "parse_media",
    "parse_timestamp",
]
