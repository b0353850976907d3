"""Write the demo Instagram account (ACCOUNTS/demo) reproducibly.

    python -m sandbox.instagram.make_demo [--accounts DIR] [--name demo] [--force]

The posts are made from real photographs that ship inside registry packages (scikit-image,
scikit-learn; see PROVENANCE.md): each post is a distinct crop / flip / exposure / colour
variation at 1080x1080 or 1080x1350 JPEG. Like counts depend on what the photo shows (people
and the cat do best, objects and textures worst), grow with time (the audience triples over
the two years), have a small weekday and hour effect and multiplicative log-normal noise;
comments are roughly proportional to likes with their own noise. Like a real account today it
holds reels (VIDEO, media_product_type REELS, with a thumbnail) and posts whose like counts the
owner hid (like_count null: the API omits it), and insights: none for its oldest posts (made
before it became professional), an empty set for two. Everything comes from one fixed seed, so two
runs write the same account. A run that finds a complete account made by
the same recipe does nothing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from .accounts import default_user_id, format_timestamp, load_account, post_files, write_account
from .demo_sources import SOURCES, jpeg, source_file, sources_digest, variation

RECIPE_VERSION = 3
SEED = 20241104
N_POSTS = 72
START = datetime(2024, 11, 4, tzinfo=timezone.utc)
END = datetime(2026, 10, 30, tzinfo=timezone.utc)
MARKER = ".complete"
N_CAROUSEL = 5
N_VIDEO = 3
N_MORE_REELS = 3  # photos posted as reels (chosen after the rest, with their own seed)
N_LIKES_HIDDEN = 2  # posts whose owner hid the like count
N_BEFORE_PROFESSIONAL = 8  # the oldest posts, made before the account became professional: no insights (2108006)
N_NO_INSIGHTS = 2  # posts whose insights are an empty data set
BASE_LIKES = 60.0
GROWTH = 3.0  # newest posts get ~3x the likes of the oldest, all else equal
LIKE_NOISE = 0.30  # sigma of the log-normal noise on likes
COMMENT_RATE = 0.035
COMMENT_NOISE = 0.35


WEEKDAY = (0.95, 1.0, 1.0, 1.0, 1.05, 1.12, 1.12)  # Mon..Sun
HOURS = np.array([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 0.9, 0.8, 0.9,
                  1.2, 1.1, 0.9, 0.9, 1.0, 1.3, 1.8, 2.0, 2.0, 1.6, 1.0, 0.5])
# A minimal MP4 header (ftyp + free box): Likely labels a video from its thumbnail, so any small file will do.
VIDEO_BYTES = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x10free" + b"likely-demo!"


def hour_effect(hour: int) -> float:
    if 18 <= hour <= 21:
        return 1.10
    if hour <= 6:
        return 0.85
    if hour <= 11:
        return 0.95
    return 1.0


def recipe_id(digests: dict[str, str], n_posts: int) -> str:
    blob = json.dumps({"v": RECIPE_VERSION, "seed": SEED, "n": n_posts, "sources": digests}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build(n_posts: int = N_POSTS) -> tuple[list[dict], dict[str, bytes], dict]:
    """The demo posts and their files, deterministically."""
    rng = np.random.default_rng(SEED)
    originals = {s.key: Image.open(source_file(s)).convert("RGB") for s in SOURCES}
    by_key = {s.key: s for s in SOURCES}

    # which photo each post shows: every source about equally often, in a shuffled order
    keys = [SOURCES[i % len(SOURCES)].key for i in range(n_posts)]
    keys = [keys[i] for i in rng.permutation(n_posts)]
    # when: sorted random days over the span, evening-heavy hours
    span_days = (END - START).days
    days = np.sort(rng.choice(span_days, size=n_posts, replace=False))
    hours = rng.choice(24, size=n_posts, p=HOURS / HOURS.sum())
    minutes = rng.integers(0, 60, size=n_posts)
    kinds = ["IMAGE"] * n_posts
    special = rng.choice(np.arange(2, n_posts - 2), size=N_CAROUSEL + N_VIDEO, replace=False)
    for i in special[:N_CAROUSEL]:
        kinds[int(i)] = "CAROUSEL_ALBUM"
    for i in special[N_CAROUSEL:]:
        kinds[int(i)] = "VIDEO"

    posts: list[dict] = []
    files: dict[str, bytes] = {}
    seen: set[str] = set()
    media_id = 17900000000000000 + int(rng.integers(10**9, 2 * 10**9))

    def image_file(name: str, key: str, size, force_bw=False) -> dict:
        for _ in range(10):
            img, meta = variation(originals[key], rng, size, force_bw)
            data = jpeg(img)
            digest = hashlib.sha256(data).hexdigest()
            if digest not in seen:
                seen.add(digest)
                files[name] = data
                return meta
        raise RuntimeError("could not make a distinct variation")

    for i in range(n_posts):
        src = by_key[keys[i]]
        media_id += int(rng.integers(3 * 10**9, 9 * 10**9))
        mid = str(media_id)
        ts = START + timedelta(days=int(days[i]), hours=int(hours[i]), minutes=int(minutes[i]),
                               seconds=int(rng.integers(0, 60)))
        size = (1080, 1350) if rng.random() < 0.25 else (1080, 1080)
        kind = kinds[i]
        post: dict = {"id": mid, "media_type": kind, "timestamp": format_timestamp(ts)}
        if kind == "CAROUSEL_ALBUM":
            n_children = int(rng.integers(2, 4))
            children = [f"{mid}_{k + 1}.jpg" for k in range(n_children)]
            metas = [image_file(c, src.key, size) for c in children]
            post["children"] = children
            post["variation"] = metas[0]
        elif kind == "VIDEO":
            post["file"] = f"{mid}.mp4"
            post["thumbnail"] = f"{mid}_thumb.jpg"
            files[post["file"]] = VIDEO_BYTES
            post["variation"] = image_file(post["thumbnail"], src.key, size)
        else:
            post["file"] = f"{mid}.jpg"
            post["variation"] = image_file(post["file"], src.key, size)

        # popularity: content x growth x weekday x hour x quality x format x noise
        t = (ts - START) / (END - START)
        v = post["variation"]
        quality = max(0.7, 1.0 - 0.35 * abs(math.log(v["exposure"])) * 2)
        fmt = {"IMAGE": 1.0, "CAROUSEL_ALBUM": 1.15, "VIDEO": 0.9}[kind]
        expected = BASE_LIKES * src.likes * GROWTH ** t * WEEKDAY[ts.weekday()] * hour_effect(ts.hour) * quality * fmt
        likes = max(1, int(round(expected * float(rng.lognormal(0.0, LIKE_NOISE)))))
        comments = int(rng.poisson(likes * COMMENT_RATE * src.comments * float(rng.lognormal(0.0, COMMENT_NOISE))))
        caption = f"{src.captions[int(rng.integers(len(src.captions)))]} {src.tags}"
        post.update({"caption": caption, "like_count": likes, "comments_count": comments,
                     "source": src.key, "expected_likes": round(expected, 1)})
        posts.append(post)
    reels_and_hidden(posts, files)
    insights = demo_insights(posts)
    meta = {"seed": SEED, "recipe_version": RECIPE_VERSION,
            "sources": {s.key: {"package": s.package, "path": f"{s.module}/{s.path}", "shows": s.shows,
                                "likes_effect": s.likes, "comments_effect": s.comments} for s in SOURCES}}
    meta["insights"] = insights
    return posts, files, meta


def demo_insights(posts: list[dict]) -> dict:
    """The account's insights settings (sandbox.instagram.media_insights): it became professional
    after its N_BEFORE_PROFESSIONAL oldest posts, and N_NO_INSIGHTS others answer an empty data
    set; every other post's values are derived from its likes and format when served."""
    rng = np.random.default_rng(SEED + 2)
    first = posts[N_BEFORE_PROFESSIONAL]["timestamp"]  # posts are oldest first
    later = list(range(N_BEFORE_PROFESSIONAL, len(posts)))
    for i in rng.choice(later, size=N_NO_INSIGHTS, replace=False):
        posts[int(i)]["insights"] = {}
    return {"professional_since": first}


def reels_and_hidden(posts: list[dict], files: dict[str, bytes]) -> None:
    """Turn a few photo posts into reels (the photo becomes the reel's thumbnail) and hide the
    like count of a few others. A generator of its own, so every other post stays as it was."""
    rng = np.random.default_rng(SEED + 1)
    photos = [i for i, p in enumerate(posts) if p["media_type"] == "IMAGE"]
    picked = [photos[int(i)] for i in rng.choice(len(photos), size=N_MORE_REELS + N_LIKES_HIDDEN, replace=False)]
    for i in picked[:N_MORE_REELS]:
        post = posts[i]
        post.update(media_type="VIDEO", thumbnail=post["file"], file=f"{post['id']}.mp4")
        files[post["file"]] = VIDEO_BYTES
    for post in posts:
        if post["media_type"] == "VIDEO":
            post["media_product_type"] = "REELS"
    for i in picked[N_MORE_REELS:]:
        posts[i]["like_count"] = None


def is_complete(folder: Path, recipe: str) -> bool:
    try:
        if (folder / MARKER).read_text().strip() != recipe:
            return False
        acct = load_account(folder.parent, folder.name)
    except (OSError, ValueError):
        return False
    return all((folder / f).is_file() for p in acct.posts for f in post_files(p))


def make_demo(accounts_dir: str | Path, name: str = "demo", force: bool = False,
              n_posts: int = N_POSTS) -> tuple[Path, bool]:
    """Write ACCOUNTS/NAME; returns (folder, whether it was (re)written)."""
    root = Path(accounts_dir)
    folder = root / name
    digests = sources_digest()
    recipe = recipe_id(digests, n_posts)
    if not force and is_complete(folder, recipe):
        return folder, False
    posts, files, meta = build(n_posts)
    meta["source_sha256"] = digests
    meta["recipe"] = recipe
    root.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        write_account(tmp_root, name, posts, files, username="likely.demo", user_id=default_user_id(name),
                      account_type="MEDIA_CREATOR", extra={"generator": meta, "insights": meta["insights"]})
        (tmp_root / name / MARKER).write_text(recipe + "\n")
        old = root / f".{name}-old"
        if old.exists():
            shutil.rmtree(old)
        if folder.exists():
            folder.rename(old)
        (tmp_root / name).rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    return folder, True


def summary(folder: Path) -> str:
    acct = load_account(folder.parent, folder.name)
    likes = [p["like_count"] for p in acct.posts if p["like_count"] is not None]
    hidden = len(acct.posts) - len(likes)
    comments = [p["comments_count"] for p in acct.posts]
    kinds = {k: sum(p["media_type"] == k for p in acct.posts) for k in ("IMAGE", "CAROUSEL_ALBUM", "VIDEO")}
    ts = sorted(p["timestamp"] for p in acct.posts)
    return (f"{len(acct.posts)} posts {kinds}, {ts[0]} .. {ts[-1]}, likes {min(likes)}..{max(likes)} "
            f"(median {int(np.median(likes))}, {hidden} hidden), comments {min(comments)}..{max(comments)}")


def main(argv: list[str] | None = None) -> int:
    from shared.settings import load

    s = load()
    ap = argparse.ArgumentParser(prog="python -m sandbox.instagram.make_demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", default=s.sandbox_accounts)
    ap.add_argument("--name", default="demo")
    ap.add_argument("--force", action="store_true", help="rewrite even if complete")
    args = ap.parse_args(argv)
    folder, written = make_demo(args.accounts, args.name, args.force)
    print(f"{'wrote' if written else 'already complete:'} {folder}: {summary(folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
