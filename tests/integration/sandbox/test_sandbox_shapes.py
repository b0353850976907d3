"""The client against the sandbox in documented mode (its default) and in the other known
shapes, hidden likes and reels, and the usage headers driving the client's back-off."""
from __future__ import annotations

import dataclasses

import pytest

from sandbox.instagram.server import DOCUMENTED
from sandbox.instagram.testing import SandboxServer, sample_account, tiny_jpeg
from shared.instagram import InstagramClient
from shared.settings import load
from tests.integration.instagram.test_contract import Clock

CID, SECRET, CB = "likely-it", "likely-it-secret", "http://127.0.0.1:8000/instagram/callback"


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    root = tmp_path_factory.mktemp("accounts")
    sample_account(root, "alice", 23)
    with SandboxServer(root, CID, SECRET) as server:
        yield server


@pytest.fixture
def client(sb):
    sb.reset()
    settings = dataclasses.replace(load(), instagram_client_id=CID, instagram_client_secret=SECRET,
                                   instagram_api_url=sb.url, instagram_graph_url=sb.url, instagram_auth_url=sb.url,
                                   instagram_slow_above=80.0, instagram_slow_delay=2.0, instagram_full_pause=300.0)
    clock = Clock()
    return InstagramClient(settings, sleep=clock.sleep, clock=clock.monotonic), clock


def connect(sb, client):
    code = sb.authorize("alice", CB)["code"]
    short = client.exchange_code(code, CB)
    long = client.long_lived(short.access_token)
    return short, long, client.me(long.access_token)


@pytest.mark.parametrize("shapes", [
    {},  # documented: wrapped, user_id a string, permissions a string, /me wrapped
    {"token": "flat", "user_id": "number", "permissions": "list", "me": "flat"},
])
def test_connect_in_every_known_shape(sb, client, shapes):
    ig, _ = client
    assert sb.shapes(**shapes) == {**DOCUMENTED, **shapes}
    short, long, me = connect(sb, ig)
    account = sb.state("alice")
    assert short.user_id == me["user_id"] == account["user_id"] and me["username"] == account["username"]
    assert short.permissions == ("instagram_business_basic",) and long.expires_at is not None
    sb.shapes()


def test_reels_thumbnails_and_hidden_likes(sb, client):
    ig, _ = client
    import base64

    sb.add_post("alice", id="17999999999999001", like_count=None, comments_count=2,
                image_b64=base64.b64encode(tiny_jpeg(77)).decode())
    token = sb.token("alice")["access_token"]
    items = {m.id: m for m in ig.media(token, page_size=10)}
    assert len(items) == 24
    hidden = items["17999999999999001"]
    assert hidden.like_count is None and hidden.comments_count == 2 and hidden.product_type == "FEED"
    reels = [m for m in items.values() if m.media_type == "VIDEO"]
    assert reels and all(m.product_type == "REELS" and m.image_url.endswith("_thumb.jpg") for m in reels)
    assert all(m.like_count is not None for m in items.values() if m.id != hidden.id)


def test_usage_headers_slow_the_listing_down(sb, client):
    ig, clock = client
    token = sb.token("alice")["access_token"]
    sb.usage("alice", app={"call_count": 90, "total_time": 10, "total_cputime": 10})
    assert len(list(ig.media(token, page_size=10))) == 23  # three pages
    assert clock.slept == [1.0, 1.0]  # 2 s * (90 - 80) / 20 before each page after the first
    assert sb.state("alice")["stats"]["media_list"] == 3


def test_full_quota_pauses_until_the_reset_the_header_gives(sb, client):
    ig, clock = client
    token = sb.token("alice")["access_token"]
    sb.usage("alice", business={"call_count": 100, "estimated_time_to_regain_access": 2})
    ig.me(token)
    ig.me(token)
    assert clock.slept == [120.0]
    sb.usage("alice")  # back under the limit: no more waiting
    ig.me(token)
    ig.me(token)
    assert clock.slept == [120.0, 120.0]  # the pause the last throttled answer asked for, then none


def test_throttling_with_usage_headers_waits_then_lists(sb, client):
    ig, clock = client
    token = sb.token("alice")["access_token"]
    sb.throttle("alice", count=1, code=4)
    assert len(list(ig.media(token, page_size=100))) == 23
    assert clock.slept == [300.0]  # the sandbox says 100% of the app quota, without a reset time
