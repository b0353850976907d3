"""The Instagram sandbox over real HTTP: a server in a thread on a free port."""
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image

from sandbox.instagram.testing import SandboxServer, sample_account

CID, SECRET, CB = "likely-it", "likely-it-secret", "http://127.0.0.1:8000/instagram/callback"
FIELDS = "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def accounts(tmp_path):
    posts = sample_account(tmp_path, "alice", 23)
    return tmp_path, posts


@pytest.fixture()
def sb(accounts):
    with SandboxServer(accounts[0], CID, SECRET) as server:
        yield server


# What every authorize request of these tests asks (its state, and the account picked, vary).
AUTHORIZE = {"client_id": CID, "redirect_uri": CB, "response_type": "code", "scope": "instagram_business_basic"}


def connect(sb, account="alice"):
    """The whole OAuth round trip over HTTP, as Likely does it: authorize (no redirect
    followed), code -> short-lived -> long-lived."""
    r = requests.get(f"{sb.url}/oauth/authorize", allow_redirects=False,
                     params={**AUTHORIZE, "state": "abc", "account": account})
    assert r.status_code == 302
    q = parse_qs(urlsplit(r.headers["Location"]).query)
    assert q["state"] == ["abc"] and r.headers["Location"].startswith(CB + "?")
    r = requests.post(
        f"{sb.url}/oauth/access_token",
        data={
            "client_id": CID,
            "client_secret": SECRET,
            "grant_type": "authorization_code",
            "redirect_uri": CB,
            "code": q["code"][0],
        },
    )
    assert r.status_code == 200, r.text
    short = r.json()["data"][0]
    r = requests.get(f"{sb.url}/access_token", params={
        "grant_type": "ig_exchange_token", "client_secret": SECRET, "access_token": short["access_token"]})
    assert r.status_code == 200, r.text
    long = r.json()
    assert long["token_type"] == "bearer" and long["expires_in"] == 5184000
    return short, long["access_token"]


def all_pages(sb, token, limit):
    url, params, pages = f"{sb.url}/v21.0/me/media", {"fields": FIELDS, "limit": limit, "access_token": token}, []
    while url:
        r = requests.get(url, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body)
        url, params = body["paging"].get("next"), None
    return pages


def test_oauth_round_trip_me_and_refresh(sb):
    short, token = connect(sb)
    me = requests.get(f"{sb.url}/v21.0/me", params={"fields": "user_id,username", "access_token": token}).json()[
        "data"
    ][0]
    assert me["username"] == "alice" and short["user_id"] == me["user_id"]
    assert (
        requests.get(f"{sb.url}/me", params={"fields": "username", "access_token": token}).json()["data"][0]["username"]
        == "alice"
    )
    r = requests.get(f"{sb.url}/refresh_access_token", params={"grant_type": "ig_refresh_token", "access_token": token})
    assert r.status_code == 200 and r.json()["expires_in"] == 5184000
    assert requests.get(f"{sb.url}/v21.0/me", params={"access_token": r.json()["access_token"]}).status_code == 200


def test_account_picker_lists_accounts(sb):
    r = requests.get(f"{sb.url}/oauth/authorize", params={**AUTHORIZE, "state": "s"})
    assert r.status_code == 200 and ">alice</a>" in r.text


def test_pagination_over_pages(sb, accounts):
    _, posts = accounts
    _, token = connect(sb)
    pages = all_pages(sb, token, 5)
    assert [len(p["data"]) for p in pages] == [5, 5, 5, 5, 3]
    ids = [i["id"] for p in pages for i in p["data"]]
    assert ids == [p["id"] for p in reversed(posts)]  # newest first, none twice
    assert "next" not in pages[-1]["paging"] and all("next" in p["paging"] for p in pages[:-1])
    for p in pages:
        assert set(p["paging"]["cursors"]) == {"before", "after"}
    item = pages[0]["data"][0]
    assert set(item) == set(FIELDS.split(",")) - ({"caption"} if not item.get("caption") else set())
    # default page size 25 covers all 23; media files download as images
    assert len(all_pages(sb, token, 25)) == 1
    r = requests.get(item["media_url"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    Image.open(io.BytesIO(r.content)).verify()


def test_tokens_survive_a_restart(accounts):
    root, _ = accounts
    with SandboxServer(root, CID, SECRET) as first:
        _, token = connect(first)
    with SandboxServer(root, CID, SECRET) as second:
        assert requests.get(f"{second.url}/v21.0/me/media", params={"access_token": token}).status_code == 200
    with SandboxServer(root, CID, "another-secret") as other:
        r = requests.get(f"{other.url}/v21.0/me/media", params={"access_token": token})
        assert r.status_code == 400 and r.json()["error"]["code"] == 190


@pytest.mark.parametrize("code,status", [(4, 400), (17, 400), (32, 400), (613, 429)])
def test_throttle_next_requests(sb, code, status):
    _, token = connect(sb)
    sb.throttle("alice", count=2, code=code)
    for _ in range(2):
        r = requests.get(f"{sb.url}/v21.0/me/media", params={"access_token": token})
        e = r.json()["error"]
        assert r.status_code == status and e["code"] == code and e["type"] == "OAuthException" and e["fbtrace_id"]
    assert requests.get(f"{sb.url}/v21.0/me/media", params={"access_token": token}).status_code == 200
    assert sb.state("alice")["stats"]["throttled"] == 2


def test_throttle_status_override_and_clear(sb):
    _, token = connect(sb)
    sb.throttle("alice", count=5, code=4, status=429)
    assert requests.get(f"{sb.url}/v21.0/me/media", params={"access_token": token}).status_code == 429
    sb.call("DELETE", "/_sandbox/accounts/alice/throttle")
    assert requests.get(f"{sb.url}/v21.0/me/media", params={"access_token": token}).status_code == 200


def test_reject_tokens(sb):
    _, token = connect(sb)
    sb.reject("alice")
    for path in ("/v21.0/me", "/v21.0/me/media"):
        r = requests.get(sb.url + path, params={"access_token": token})
        assert r.status_code == 400 and r.json()["error"]["code"] == 190
    r = requests.get(f"{sb.url}/refresh_access_token", params={"grant_type": "ig_refresh_token", "access_token": token})
    assert r.json()["error"]["code"] == 190
    sb.unreject("alice")
    assert requests.get(f"{sb.url}/v21.0/me", params={"access_token": token}).status_code == 200
    # "the user changed their password": old tokens die, a new connection works
    time.sleep(0.01)
    sb.reject("alice", before_now=True)
    assert requests.get(f"{sb.url}/v21.0/me", params={"access_token": token}).status_code == 400
    time.sleep(0.01)
    _, fresh = connect(sb)
    assert requests.get(f"{sb.url}/v21.0/me", params={"access_token": fresh}).status_code == 200


def test_broken_and_missing_images(sb, accounts):
    _, posts = accounts
    _, token = connect(sb)
    a, b, c = posts[-1]["id"], posts[-2]["id"], posts[-3]["id"]
    sb.fault("alice", [a], "broken")
    sb.fault("alice", [b], "404")
    sb.fault("alice", [c], "truncated")
    urls = {i["id"]: i["media_url"] for i in all_pages(sb, token, 100)[0]["data"]}
    r = requests.get(urls[a])
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    with pytest.raises(OSError):
        Image.open(io.BytesIO(r.content)).load()
    assert requests.get(urls[b]).status_code == 404
    with pytest.raises(OSError):
        Image.open(io.BytesIO(requests.get(urls[c]).content)).load()
    sb.clear_faults("alice")
    Image.open(io.BytesIO(requests.get(urls[a]).content)).load()


def test_add_post_at_run_time_and_reset(sb, accounts):
    _, posts = accounts
    _, token = connect(sb)
    new = sb.add_post("alice", caption="fresh", like_count=999, comments_count=9, copy_of=posts[0]["id"])
    newest = requests.get(
        f"{sb.url}/v21.0/me/media", params={"fields": FIELDS, "limit": 1, "access_token": token}
    ).json()["data"][0]
    assert newest["id"] == new["id"] and newest["like_count"] == 999
    assert requests.get(newest["media_url"]).status_code == 200
    sb.reset("alice")
    ids = [i["id"] for p in all_pages(sb, token, 100) for i in p["data"]]
    assert new["id"] not in ids and len(ids) == 23


def test_shared_instagram_client_against_the_sandbox(sb, accounts):
    """Likely's own client (shared.instagram.client) talks to the sandbox as to Instagram."""
    instagram = pytest.importorskip("shared.instagram")
    from dataclasses import replace

    from shared.settings import load
    s = replace(load(), instagram_client_id=CID, instagram_client_secret=SECRET, instagram_auth_url=sb.url,
                instagram_api_url=sb.url, instagram_graph_url=sb.url, instagram_backoff=0.0)
    client = instagram.InstagramClient(s, sleep=lambda _: None)
    assert client.authorize_url(CB, "st").startswith(f"{sb.url}/oauth/authorize?")
    code = sb.authorize("alice", CB)["code"]
    short = client.exchange_code(code, CB)
    long = client.long_lived(short.access_token)
    assert client.me(long.access_token)["username"] == "alice"
    sb.throttle("alice", count=2, code=613)
    media = list(client.media(long.access_token, page_size=4))
    assert len(media) == 23 and media[0].timestamp > media[-1].timestamp
    sb.reject("alice")
    with pytest.raises(instagram.TokenRejected):
        list(client.media(long.access_token))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_module_runs_as_a_server(accounts):
    root, _ = accounts
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.instagram", "--port", str(port), "--accounts", str(root)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                r = requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("sandbox did not start")
        assert r.json() == {"ok": True, "accounts": ["alice"]}
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
