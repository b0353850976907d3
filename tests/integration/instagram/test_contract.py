"""Contract tests: the Instagram client against Meta's documented examples, one per call.

Each fixture in meta/ names the documentation page it comes from (`source`). A loopback HTTP
server answers with it, so the client's real HTTP code (requests, JSON, headers, paging
URLs) reads exactly what the page shows.
"""
from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from shared.instagram import InstagramClient, InstagramError, Throttled, TokenRejected
from shared.settings import load
from tests.support.replay import ReplayServer

META = Path(__file__).parent / "meta"
CB = "https://likely.example/instagram/callback"


def example(name: str) -> dict:
    doc = json.loads((META / f"{name}.json").read_text())
    sources = doc["source"] if isinstance(doc["source"], list) else [doc["source"]]
    assert all(s.startswith("https://developers.facebook.com/docs/") for s in sources), name
    return doc


class Clock:
    """Time for the client: sleeping moves it on, and every sleep is recorded."""

    def __init__(self):
        self.now, self.slept = 1000.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def ig(replay):
    server = replay.reset()
    settings = dataclasses.replace(
        load(), instagram_api_url=server.url, instagram_graph_url=server.url, instagram_api_version="v21.0",
        instagram_client_id="990602627938098", instagram_client_secret="a1b2C3D4", instagram_retries=2,
        instagram_backoff=0.5, instagram_slow_above=80.0, instagram_slow_delay=2.0, instagram_full_pause=300.0,
        instagram_max_pause=900.0)
    clock = Clock()
    client = InstagramClient(settings, sleep=clock.sleep, clock=clock.monotonic)
    return server, client, clock


def test_code_exchange_documented_shape(ig):
    server, client, _ = ig
    server.answer("POST", "/oauth/access_token", *example("code_exchange.documented")["responses"])
    token = client.exchange_code("AQBx-hBsH3...", CB)
    assert token.access_token == "EAACEdEose0..." and token.user_id == "1020..."
    assert token.permissions[0] == "instagram_business_basic" and len(token.permissions) == 4
    sent = server.requests[0].form
    assert sent == {"client_id": "990602627938098", "client_secret": "a1b2C3D4", "grant_type": "authorization_code",
                    "redirect_uri": CB, "code": "AQBx-hBsH3..."}


def test_code_exchange_flat_shape_with_a_numeric_user_id(ig):
    server, client, _ = ig
    server.answer("POST", "/oauth/access_token", *example("code_exchange.flat")["responses"])
    token = client.exchange_code("AQBx-hBsH3...", CB)
    assert token.access_token == "IGQVJ..." and token.user_id == "17841405793187218" and token.permissions == ()


def test_code_exchange_rejected_is_a_clear_error_not_a_token_problem(ig):
    server, client, _ = ig
    server.answer("POST", "/oauth/access_token", *example("code_exchange.rejected")["responses"])
    with pytest.raises(InstagramError) as err:
        client.exchange_code("used", CB)
    assert not isinstance(err.value, TokenRejected) and "already used" in err.value.message


@pytest.mark.parametrize("call,path,fixture,grant", [
    ("long_lived", "/access_token", "long_lived", "ig_exchange_token"),
    ("refresh", "/refresh_access_token", "refresh", "ig_refresh_token"),
])
def test_long_lived_exchange_and_refresh(ig, call, path, fixture, grant):
    server, client, _ = ig
    server.answer("GET", path, *example(fixture)["responses"])
    before = time.time()
    token = getattr(client, call)("IGQVJ-short")
    assert token.access_token == example(fixture)["responses"][0]["body"]["access_token"]
    expected = before + 5183944
    assert abs(token.expires_at.timestamp() - expected) < 5
    query = server.requests[0].query
    assert query["grant_type"] == grant and query["access_token"] == "IGQVJ-short"
    assert (query.get("client_secret") == "a1b2C3D4") == (call == "long_lived")


@pytest.mark.parametrize("fixture,user_id,username", [
    ("me.documented", "<IG_ID>", "<IG_USERNAME>"),
    ("me.flat", "17841405793187218", "jayposiris"),
])
def test_me_wrapped_and_flat(ig, fixture, user_id, username):
    server, client, _ = ig
    server.answer("GET", "/v21.0/me", *example(fixture)["responses"])
    me = client.me("IGQVJ...")
    assert (me["user_id"], me["username"]) == (user_id, username)
    assert server.requests[0].query["fields"] == "user_id,username"


def test_media_pages_fields_videos_carousels_and_hidden_likes(ig):
    server, client, _ = ig
    server.answer("GET", "/v21.0/me/media", *example("media.pages")["responses"])
    items = list(client.media("IGQVJ...", page_size=100))
    assert [m.id for m in items] == ["17918195224117851", "17895695668004550", "17899305451014820", "17896450804038745"]
    reel, hidden, album, old = items
    assert reel.image_url == f"{server.url}/t/reel.jpg" and reel.product_type == "REELS" and reel.like_count == 412
    assert hidden.like_count is None and hidden.comments_count == 3 and hidden.image_url == f"{server.url}/t/photo.jpg"
    assert album.image_url == f"{server.url}/t/cover.jpg" and album.caption == "Album"
    assert old.product_type is None and old.timestamp == datetime(2017, 8, 31, 18, 10, tzinfo=timezone.utc)
    first, second = server.requests
    assert {"thumbnail_url", "media_product_type", "like_count"} <= set(first.query["fields"].split(","))
    assert second.query["after"].startswith("QVFIUmlwbnFsM3N2cV9l")  # followed paging.next as given


def test_documented_token_error_raises_token_rejected_with_the_trace_id(ig):
    server, client, _ = ig
    server.answer("GET", "/v21.0/me", *example("error.token")["responses"])
    with pytest.raises(TokenRejected) as err:
        client.me("IGQVJ...")
    e = err.value
    assert (e.code, e.subcode, e.trace_id, e.transient) == (190, 460, "EJplcsCHuLu", False)
    assert "EJplcsCHuLu" in e.message and len(server.requests) == 1


def test_documented_instagram_error_is_not_retried(ig):
    server, client, clock = ig
    server.answer("GET", "/v21.0/me/media", *example("error.instagram")["responses"])
    with pytest.raises(InstagramError) as err:
        list(client.media("IGQVJ..."))
    assert not isinstance(err.value, (TokenRejected, Throttled))
    assert (err.value.code, err.value.subcode) == (36000, 2207004) and len(server.requests) == 1 and clock.slept == []


def test_throttled_request_waits_for_the_quota_then_succeeds(ig):
    server, client, clock = ig
    throttled = example("error.throttled")["responses"][0]
    server.answer("GET", "/v21.0/me", throttled, *example("me.documented")["responses"])
    assert client.me("IGQVJ...")["username"] == "<IG_USERNAME>"
    assert clock.slept == [300.0]  # X-App-Usage at 100% and no reset time: the full pause, not 0.5 s


def test_throttled_past_every_retry_raises_throttled(ig):
    server, client, clock = ig
    server.answer("GET", "/v21.0/me", *example("error.throttled")["responses"])
    with pytest.raises(Throttled) as err:
        client.me("IGQVJ...")
    assert err.value.code == 4 and err.value.trace_id == "AbCdEfGhIjK" and len(server.requests) == 3


@pytest.mark.parametrize("fixture,pause", [
    ("usage.app", 0.0),  # 28%: no need to slow down
    ("usage.business", 1.5),  # 95%: 2 s * (95 - 80) / 20
    ("usage.regain", 180.0),  # throttled, access back in 3 minutes
])
def test_usage_headers_space_out_the_next_request(ig, fixture, pause):
    server, client, clock = ig
    ok = example("me.documented")["responses"][0]
    server.answer("GET", "/v21.0/me", {**ok, "headers": example(fixture)["headers"]}, ok)
    client.me("IGQVJ...")
    assert clock.slept == []  # the first request went at once
    client.me("IGQVJ...")
    assert clock.slept == ([pause] if pause else [])


def test_a_reset_longer_than_the_longest_pause_fails_the_next_requests_as_throttled(ig):
    server, client, _ = ig
    headers = {"X-Business-Use-Case-Usage": json.dumps(
        {"1": [{"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 60}]})}
    server.answer("GET", "/v21.0/me", {**example("me.documented")["responses"][0], "headers": headers})
    assert client.me("IGQVJ...")["username"] == "<IG_USERNAME>"  # this answer is kept
    for _ in range(2):  # the next requests fail at once, without asking Instagram
        with pytest.raises(Throttled) as err:
            client.me("IGQVJ...")
        assert err.value.retry_after == 3600 and "60 minutes" in err.value.message
    assert len(server.requests) == 1
