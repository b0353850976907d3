"""Parts of a prediction's answer shared by every kind: the caption's section, and the formats
list of a kind that does not tell formats apart."""
from __future__ import annotations

from .caption import CaptionFeatures
from .formats import FORMATS, format_key


def caption_section(caption: CaptionFeatures | None, entries: list[dict]) -> dict:
    """{"given", "hashtags": [{"name", "matched", "likes", "likes_factor", "comments",
    "comments_factor"}], "mentions", "length"}; entries: the predictor's entries of the hashtags."""
    if caption is None:
        return {"given": False, "hashtags": [], "mentions": 0, "length": 0}
    tags = [{"name": e["name"], "matched": bool(e.get("matched")), "likes": e.get("likes"),
             "likes_factor": e.get("likes_factor"), "comments": e.get("comments"),
             "comments_factor": e.get("comments_factor")} for e in entries]
    return {"given": True, "hashtags": tags, "mentions": caption.mentions, "length": caption.length}


def same_for_every_format(out: dict, format_posts: dict) -> list[dict]:
    """The formats list of a kind blind to the format: every format gets the same figures."""
    return [{"media_type": m, "product_type": p, "likes": out.get("likes"), "comments": out.get("comments"),
             "likes_range": out.get("likes_range"), "comments_range": out.get("comments_range"),
             "likes_factor": 1.0, "posts": int(format_posts.get(format_key(m, p), 0))}
            for m, p in FORMATS]
