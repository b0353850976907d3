"""Media items as the Graph API renders them: the fields asked for, cursors, permalinks."""
from __future__ import annotations

import base64
import binascii
import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .accounts import Account
from .errors import param_error

MEDIA_FIELDS = {
    "id", "caption", "media_type", "media_url", "permalink", "timestamp", "like_count",
    "comments_count", "thumbnail_url", "username", "shortcode", "media_product_type",
    "is_comment_enabled", "owner",
}
USER_FIELDS = {"id", "user_id", "username", "account_type", "media_count", "name"}


def cursor(media_id: str) -> str:
    return base64.urlsafe_b64encode(f"ig-media:{media_id}".encode()).decode().rstrip("=")


def uncursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise param_error("Invalid cursor") from None
    if not raw.startswith("ig-media:"):
        raise param_error("Invalid cursor")
    return raw[len("ig-media:"):]


def shortcode(media_id: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(media_id.encode()).digest()[:8]).decode().rstrip("=")


def with_params(url: str, params: dict) -> str:
    parts = urlsplit(url)
    q = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(q), parts.fragment))


def requested_fields(raw: str | None, allowed: set[str], node_type: str, default: list[str]) -> list[str]:
    if raw is None or not raw.strip():
        return list(default)
    out = []
    for f in raw.split(","):
        f = f.strip()
        if not f:
            continue
        if f not in allowed:
            raise param_error(f"(#100) Tried accessing nonexisting field ({f}) on node type ({node_type})")
        if f not in out:
            out.append(f)
    return out


def first_file(post: dict) -> str:
    """The file `media_url` points at: the first child's of an album."""
    return post["children"][0] if post["media_type"] == "CAROUSEL_ALBUM" else post["file"]


def render_media(acct: Account, post: dict, fields: list[str], base_url: str) -> dict:
    out: dict = {}
    mt = post["media_type"]
    for f in fields:
        if f == "id":
            continue
        if f == "caption":
            if post.get("caption"):
                out["caption"] = post["caption"]
        elif f == "media_type":
            out["media_type"] = mt
        elif f == "media_url":
            out["media_url"] = f"{base_url}media/{acct.name}/{first_file(post)}"
        elif f == "thumbnail_url":
            if mt == "VIDEO" and post.get("thumbnail"):
                out["thumbnail_url"] = f"{base_url}media/{acct.name}/{post['thumbnail']}"
        elif f == "permalink":
            out["permalink"] = f"{base_url}p/{shortcode(post['id'])}/"
        elif f == "shortcode":
            out["shortcode"] = shortcode(post["id"])
        elif f == "timestamp":
            out["timestamp"] = post["timestamp"]
        elif f == "like_count":
            if post.get("like_count") is not None:  # None: the owner hid like counts (field omitted)
                out["like_count"] = int(post["like_count"])
        elif f == "comments_count":
            out["comments_count"] = int(post["comments_count"])
        elif f == "username":
            out["username"] = acct.username
        elif f == "media_product_type":
            out["media_product_type"] = post.get("media_product_type") or ("REELS" if mt == "VIDEO" else "FEED")
        elif f == "is_comment_enabled":
            out["is_comment_enabled"] = True
        elif f == "owner":
            out["owner"] = {"id": acct.user_id}
    out["id"] = post["id"]
    return out
