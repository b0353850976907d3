"""Sandbox accounts: one folder per account.

    ACCOUNTS/NAME/account.json   {"username", "user_id", "account_type", "posts": [...]}
    ACCOUNTS/NAME/<files>        the images (and video files) the posts name

A post: {"id", "caption", "media_type" (IMAGE | VIDEO | CAROUSEL_ALBUM), "timestamp"
(ISO 8601, e.g. "2025-03-01T18:04:00+0000"), "like_count", "comments_count", and
"file" (IMAGE, VIDEO), "children": [files] (CAROUSEL_ALBUM), "thumbnail" (VIDEO)}; optional
"media_product_type" (default REELS for a VIDEO, FEED otherwise). "like_count": null means the
owner hid like counts: the API then omits the field.
Other keys (e.g. "source" in the demo account) are kept and ignored by the server.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Iterable, Mapping

ACCOUNT_FILE = "account.json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MEDIA_TYPES = ("IMAGE", "VIDEO", "CAROUSEL_ALBUM")
PRODUCT_TYPES = ("FEED", "REELS", "STORY", "AD")
TS_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"


class AccountError(ValueError):
    """An account folder or post that is not valid."""


def valid_name(name: str) -> bool:
    return bool(NAME_RE.match(name or ""))


def default_user_id(name: str) -> str:
    """A stable Instagram-looking user id (17 digits) for an account name."""
    h = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    return "1784" + str(h % 10**13).zfill(13)


def format_timestamp(dt: datetime) -> str:
    """Instagram's timestamp format: 2025-03-01T18:04:00+0000 (UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime(TS_FORMAT)


def parse_timestamp(value: str) -> datetime:
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    m = re.match(r"^(.*[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)([+-]\d\d)(\d\d)$", v)
    if m:  # +0000 -> +00:00 for fromisoformat on every Python
        v = f"{m.group(1)}{m.group(2)}:{m.group(3)}"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def post_files(post: Mapping) -> list[str]:
    """Every file a post refers to (its image or video, carousel children, video thumbnail)."""
    files: list[str] = []
    if post.get("file"):
        files.append(post["file"])
    files.extend(post.get("children") or [])
    if post.get("thumbnail"):
        files.append(post["thumbnail"])
    return files


def validate_post(post: Mapping) -> dict:
    """A normalised copy of a post, or AccountError."""
    p = dict(post)
    if not str(p.get("id", "")).strip():
        raise AccountError("post without id")
    p["id"] = str(p["id"])
    mt = p.setdefault("media_type", "IMAGE")
    if mt not in MEDIA_TYPES:
        raise AccountError(f"post {p['id']}: media_type {mt!r} not one of {MEDIA_TYPES}")
    if "timestamp" not in p:
        raise AccountError(f"post {p['id']}: no timestamp")
    ts = p["timestamp"]
    p["timestamp"] = format_timestamp(ts if isinstance(ts, datetime) else parse_timestamp(str(ts)))
    likes = p.get("like_count", 0)
    p["like_count"] = None if likes is None else int(likes)  # None: the owner hid like counts
    if p.get("media_product_type") not in (None, *PRODUCT_TYPES):
        raise AccountError(f"post {p['id']}: media_product_type {p['media_product_type']!r} not one of {PRODUCT_TYPES}")
    p["comments_count"] = int(p.get("comments_count", 0))
    if mt == "CAROUSEL_ALBUM":
        if not p.get("children"):
            raise AccountError(f"post {p['id']}: CAROUSEL_ALBUM needs children")
        p["children"] = [str(c) for c in p["children"]]
    elif not p.get("file"):
        raise AccountError(f"post {p['id']}: {mt} needs a file")
    for f in post_files(p):
        if "/" in f or "\\" in f or f.startswith("."):
            raise AccountError(f"post {p['id']}: bad file name {f!r}")
    return p


@dataclass
class Account:
    name: str
    username: str
    user_id: str
    folder: Path
    posts: list[dict] = field(default_factory=list)
    account_type: str = "MEDIA_CREATOR"
    #: {"granted": false} and {"professional_since": TIMESTAMP}: sandbox.instagram.media_insights
    insights: dict = field(default_factory=dict)

    @property
    def insights_granted(self) -> bool:
        """False where the account file says the insights permission was not granted."""
        return self.insights.get("granted") is not False

    def sorted_posts(self) -> list[dict]:
        """Newest first, as Instagram lists media (ties: larger id first)."""
        return sorted(self.posts, key=lambda p: (p["timestamp"], p["id"]), reverse=True)

    @cached_property
    def file_owners(self) -> dict[str, list[str]]:
        """File name → the ids of the posts that refer to it (the CDN's lookup: a scan of every
        post per image request was ~10 ms at 10,000 posts). An account is reloaded, not edited."""
        owners: dict[str, list[str]] = {}
        for p in self.posts:
            for f in post_files(p):
                owners.setdefault(f, []).append(p["id"])
        return owners


def account_dir(root: str | os.PathLike, name: str) -> Path:
    if not valid_name(name):
        raise AccountError(f"bad account name {name!r}")
    return Path(root) / name


def list_accounts(root: str | os.PathLike) -> list[str]:
    r = Path(root)
    if not r.is_dir():
        return []
    return sorted(d.name for d in r.iterdir() if d.is_dir() and valid_name(d.name) and (d / ACCOUNT_FILE).is_file())


def load_account(root: str | os.PathLike, name: str) -> Account:
    """Read ACCOUNTS/NAME/account.json. FileNotFoundError if there is no such account."""
    folder = account_dir(root, name)
    path = folder / ACCOUNT_FILE
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    posts = [validate_post(p) for p in data.get("posts", [])]
    ids = [p["id"] for p in posts]
    if len(set(ids)) != len(ids):
        raise AccountError(f"account {name}: duplicate post ids")
    return Account(
        name=name,
        username=str(data.get("username") or name),
        user_id=str(data.get("user_id") or default_user_id(name)),
        folder=folder,
        posts=posts,
        account_type=str(data.get("account_type") or "MEDIA_CREATOR"),
        insights=dict(data.get("insights") or {}),
    )


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_account(
    root: str | os.PathLike,
    name: str,
    posts: Iterable[Mapping],
    images: Mapping[str, bytes] | None = None,
    *,
    username: str | None = None,
    user_id: str | None = None,
    account_type: str = "MEDIA_CREATOR",
    extra: Mapping | None = None,
) -> Path:
    """Write (or overwrite) account NAME under ROOT; returns its folder.

    posts: dicts as in the module doc (timestamps may be datetimes).
    images: {file name: bytes} written beside account.json. Every file a post names must be
    given here or already be in the folder.
    """
    folder = account_dir(root, name)
    folder.mkdir(parents=True, exist_ok=True)
    norm = [validate_post(p) for p in posts]
    for fname, data in (images or {}).items():
        if "/" in fname or fname.startswith("."):
            raise AccountError(f"bad file name {fname!r}")
        _atomic_write(folder / fname, data)
    missing = sorted({f for p in norm for f in post_files(p) if not (folder / f).is_file()})
    if missing:
        raise AccountError(f"account {name}: missing files {missing[:5]}")
    doc = {
        "username": username or name,
        "user_id": str(user_id or default_user_id(name)),
        "account_type": account_type,
        **(dict(extra) if extra else {}),
        "posts": norm,
    }
    _atomic_write(folder / ACCOUNT_FILE, json.dumps(doc, indent=1, ensure_ascii=False).encode())
    return folder
