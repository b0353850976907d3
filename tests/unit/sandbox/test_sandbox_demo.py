"""The demo account: reproducible, from packaged photographs, with sensible counts."""
import hashlib
from datetime import timedelta

import numpy as np
import pytest

pytest.importorskip("skimage")
pytest.importorskip("sklearn")

from sandbox.instagram.accounts import load_account, parse_timestamp, post_files
from sandbox.instagram.make_demo import SOURCES, make_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("accounts")
    folder, written = make_demo(root)
    assert written
    return root, load_account(root, "demo")


def test_demo_shape(demo):
    root, acct = demo
    posts = acct.posts
    assert len(posts) >= 60
    kinds = {p["media_type"] for p in posts}
    assert kinds == {"IMAGE", "CAROUSEL_ALBUM", "VIDEO"}
    ts = sorted(parse_timestamp(p["timestamp"]) for p in posts)
    assert ts[-1] - ts[0] > timedelta(days=600)
    assert {p["source"] for p in posts} == {s.key for s in SOURCES}
    reels = [p for p in posts if p["media_type"] == "VIDEO"]
    assert len(reels) == 6 and all(
        p["media_product_type"] == "REELS" and p["thumbnail"].endswith(".jpg") for p in reels
    )
    assert sum(p["like_count"] is None for p in posts) == 2  # likes hidden by the owner
    # every file exists; every image is a distinct 1080-wide JPEG
    from PIL import Image
    digests = set()
    for p in posts:
        for f in post_files(p):
            data = (acct.folder / f).read_bytes()
            if f.endswith(".jpg"):
                digests.add(hashlib.sha256(data).hexdigest())
                with Image.open(acct.folder / f) as im:
                    assert im.format == "JPEG" and im.size in ((1080, 1080), (1080, 1350))
    n_jpegs = sum(1 for p in posts for f in post_files(p) if f.endswith(".jpg"))
    assert len(digests) == n_jpegs


def test_demo_counts_depend_on_content_and_time(demo):
    _, acct = demo
    posts = sorted((p for p in acct.posts if p["like_count"] is not None), key=lambda p: p["timestamp"])
    likes = np.array([p["like_count"] for p in posts], dtype=float)
    by_src = {s.key: np.mean([p["like_count"] for p in posts if p["source"] == s.key]) for s in SOURCES}
    assert min(by_src["astronaut"], by_src["chelsea"]) > 2 * max(by_src["clock"], by_src["coins"], by_src["brick"])
    third = len(posts) // 3
    expected = np.array([p["expected_likes"] for p in posts])
    assert expected[-third:].mean() > 1.8 * expected[:third].mean()  # growth over time
    assert likes[-third:].mean() > 1.3 * likes[:third].mean()
    noise = np.log(likes / expected)
    assert 0.1 < noise.std() < 0.6  # noisy, but not drowned
    comments = np.array([p["comments_count"] for p in posts], dtype=float)
    assert np.corrcoef(likes, comments)[0, 1] > 0.5
    assert (comments < likes).all()


def test_demo_is_reproducible_and_idempotent(demo, tmp_path):
    root, acct = demo
    folder, written = make_demo(root)
    assert not written  # already complete: nothing done
    other, written = make_demo(tmp_path)
    assert written
    a = (acct.folder / "account.json").read_bytes()
    b = (other / "account.json").read_bytes()
    assert a == b
    f = next(p["file"] for p in acct.posts if p["media_type"] == "IMAGE")
    assert (acct.folder / f).read_bytes() == (other / f).read_bytes()
    # an incomplete account (a file lost) is rewritten
    (other / f).unlink()
    _, written = make_demo(tmp_path)
    assert written and (other / f).is_file()
