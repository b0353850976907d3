"""Captions, parsed once for the whole model: hashtags, mentions and length.

    caption_features("Sunset #Beach #beach @ana") -> CaptionFeatures(hashtags=("#beach",), mentions=1, length=24)

Hashtags are lowercased and keep their '#', so the caption's `#beach` and the image label
`Beach` are distinct features. Fit, backtest and prediction all read captions through here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Instagram's hashtags are letters (any script), digits and '_'; '\w' never holds '.' or '$',
# so a hashtag is always a MongoDB-storable name. Not after a word character or '&' (HTML
# entities such as '&#39;').
_HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
# Usernames: letters, digits, '_' and '.'; not after a word character (e-mail addresses).
_MENTION = re.compile(r"(?<![\w@])@[\w.]*\w")


@dataclass(frozen=True)
class CaptionFeatures:
    hashtags: tuple[str, ...]  # "#name", lowercase, each once, in order of appearance
    mentions: int
    length: int  # characters


_EMPTY = CaptionFeatures((), 0, 0)


def hashtag(name: str) -> str:
    """The feature name of a hashtag given with or without its '#': '#name', lowercase."""
    return "#" + name.strip().lstrip("#").lower()


def caption_features(text: str | None) -> CaptionFeatures:
    if not text:
        return _EMPTY
    tags = tuple(dict.fromkeys(["#" + m for m in _HASHTAG.findall(text.lower())]))
    return CaptionFeatures(hashtags=tags, mentions=len(_MENTION.findall(text)) if "@" in text else 0, length=len(text))
