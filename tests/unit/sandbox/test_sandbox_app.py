"""The sandbox app in-process (Flask test client): validation, fields, paging, control."""
import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.instagram.server import create_app
from sandbox.instagram.testing import sample_account, tiny_jpeg

CID, SECRET, CB = "app-id", "app-secret", "http://127.0.0.1:8000/instagram/callback"


@pytest.fixture()
def env(tmp_path):
    posts = sample_account(tmp_path, "alice", 7)
    sample_account(tmp_path, "bob", 2, carousel=False, video=False)
    app = create_app(tmp_path, CID, SECRET)
    return app.test_client(), posts


def auth_params(**kw):
    p = {
        "client_id": CID,
        "redirect_uri": CB,
        "response_type": "code",
        "scope": "instagram_business_basic",
        "state": "st",
    }
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}


def long_token(c, account="alice"):
    return c.post(f"/_sandbox/accounts/{account}/token", json={"kind": "long"}).get_json()["access_token"]


def err(resp):
    e = resp.get_json()["error"]
    assert set(e) >= {"message", "type", "code", "fbtrace_id"}
    return e


@pytest.mark.parametrize("missing", ["client_id", "redirect_uri", "scope"])
def test_authorize_requires_params(env, missing):
    c, _ = env
    r = c.get("/oauth/authorize", query_string=auth_params(**{missing: None}, account="alice"))
    assert r.status_code == 400 and err(r)["code"] == 100


def test_authorize_validates(env):
    c, _ = env
    assert err(c.get("/oauth/authorize", query_string=auth_params(client_id="nope", account="alice")))["code"] == 101
    assert (
        c.get("/oauth/authorize", query_string=auth_params(response_type="token", account="alice")).status_code == 400
    )
    assert c.get("/oauth/authorize", query_string=auth_params(scope="user_profile", account="alice")).status_code == 400
    assert (
        c.get("/oauth/authorize", query_string=auth_params(redirect_uri="ftp://x/y", account="alice")).status_code
        == 400
    )
    assert c.get("/oauth/authorize", query_string=auth_params(account="nobody")).status_code == 404


def test_authorize_redirects_with_code_and_state(env):
    c, _ = env
    r = c.get("/oauth/authorize", query_string=auth_params(redirect_uri=CB + "?x=1", account="alice"))
    assert r.status_code == 302
    loc = urlsplit(r.headers["Location"])
    q = parse_qs(loc.query)
    assert loc.path == "/instagram/callback" and q["x"] == ["1"] and q["state"] == ["st"] and q["code"][0]


def test_authorize_picker_and_deny(env):
    c, _ = env
    r = c.get("/oauth/authorize", query_string=auth_params())
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert ">alice</a>" in page and ">bob</a>" in page and "account=alice" in page
    r = c.get("/oauth/authorize", query_string=auth_params(deny="1"))
    q = parse_qs(urlsplit(r.headers["Location"]).query)
    assert q["error"] == ["access_denied"] and q["state"] == ["st"] and "code" not in q


def test_code_exchange_errors(env):
    c, _ = env
    code = parse_qs(
        urlsplit(c.get("/oauth/authorize", query_string=auth_params(account="alice")).headers["Location"]).query
    )["code"][0]
    form = {
        "client_id": CID,
        "client_secret": SECRET,
        "grant_type": "authorization_code",
        "redirect_uri": CB,
        "code": code,
    }
    assert err(c.post("/oauth/access_token", data={**form, "client_secret": "bad"}))["code"] == 1
    assert err(c.post("/oauth/access_token", data={**form, "grant_type": "password"}))["code"] == 100
    assert "redirect_uri" in err(c.post("/oauth/access_token", data={**form, "redirect_uri": CB + "x"}))["message"]
    assert c.post("/oauth/access_token", data={k: v for k, v in form.items() if k != "code"}).status_code == 400
    expired = c.post("/_sandbox/accounts/alice/token", json={"kind": "code", "ttl": -1, "redirect_uri": CB}).get_json()[
        "code"
    ]
    assert "expired" in err(c.post("/oauth/access_token", data={**form, "code": expired}))["message"]
    ok = c.post("/oauth/access_token", data=form)
    assert ok.status_code == 200
    body = ok.get_json()  # the documented shape: wrapped, user_id a string, permissions a string
    assert list(body) == ["data"] and set(body["data"][0]) == {"access_token", "user_id", "permissions"}
    assert body["data"][0]["permissions"] == "instagram_business_basic" and isinstance(body["data"][0]["user_id"], str)
    again = c.post("/oauth/access_token", data=form)
    assert again.status_code == 400 and "used" in err(again)["message"]
    # the shape Instagram is also known to answer with: flat, user_id a number, permissions a list
    assert (
        c.post("/_sandbox/shapes", json={"token": "flat", "user_id": "number", "permissions": "list"}).status_code
        == 200
    )
    assert c.post("/_sandbox/shapes", json={"token": "round"}).status_code == 400
    code = parse_qs(
        urlsplit(c.get("/oauth/authorize", query_string=auth_params(account="alice")).headers["Location"]).query
    )["code"][0]
    flat = c.post("/oauth/access_token", data={**form, "code": code}).get_json()
    assert set(flat) == {"access_token", "user_id", "permissions"} and flat["permissions"] == [
        "instagram_business_basic"
    ]
    assert isinstance(flat["user_id"], int)
    assert c.delete("/_sandbox/shapes").get_json()["token"] == "wrapped"


def test_fields_and_media_types(env):
    c, posts = env
    tok = long_token(c)
    r = c.get("/v21.0/me/media", query_string={"access_token": tok, "fields": "caption,like_count"})
    items = r.get_json()["data"]
    assert all(set(i) == {"id", "caption", "like_count"} for i in items)
    r = c.get(
        "/v21.0/me/media",
        query_string={
            "access_token": tok,
            "fields": "id,media_type,media_url,thumbnail_url,permalink,timestamp,comments_count",
        },
    )
    by_id = {i["id"]: i for i in r.get_json()["data"]}
    album, video = by_id[posts[1]["id"]], by_id[posts[2]["id"]]
    assert album["media_type"] == "CAROUSEL_ALBUM" and album["media_url"].endswith(
        f"/media/alice/{posts[1]['id']}_1.jpg"
    )
    assert (
        video["media_type"] == "VIDEO"
        and video["media_url"].endswith(".mp4")
        and video["thumbnail_url"].endswith("_thumb.jpg")
    )
    img = by_id[posts[0]["id"]]
    assert "thumbnail_url" not in img and img["timestamp"] == "2025-01-01T12:00:00+0000"
    assert c.get(urlsplit(img["media_url"]).path).data == tiny_jpeg(0)
    assert c.get(urlsplit(img["permalink"]).path).status_code == 200
    assert err(c.get("/v21.0/me/media", query_string={"access_token": tok, "fields": "id,nope"}))["code"] == 100
    assert c.get("/v21.0/me/media", query_string={"access_token": tok}).get_json()["data"][0] == {"id": posts[-1]["id"]}


def test_paging_limits_and_cursors(env):
    c, posts = env
    tok = long_token(c)
    newest_first = [p["id"] for p in reversed(posts)]
    r = c.get("/v21.0/me/media", query_string={"access_token": tok, "limit": 3}).get_json()
    assert [i["id"] for i in r["data"]] == newest_first[:3] and "previous" not in r["paging"]
    r2 = c.get(
        "/v21.0/me/media", query_string={"access_token": tok, "limit": 3, "after": r["paging"]["cursors"]["after"]}
    ).get_json()
    assert [i["id"] for i in r2["data"]] == newest_first[3:6] and "previous" in r2["paging"]
    back = c.get(
        "/v21.0/me/media", query_string={"access_token": tok, "limit": 3, "before": r2["paging"]["cursors"]["before"]}
    ).get_json()
    assert [i["id"] for i in back["data"]] == newest_first[:3]
    assert c.get("/v21.0/me/media", query_string={"access_token": tok, "limit": 0}).status_code == 400
    assert c.get("/v21.0/me/media", query_string={"access_token": tok, "limit": "x"}).status_code == 400
    assert c.get("/v21.0/me/media", query_string={"access_token": tok, "after": "bm9wZQ"}).status_code == 400
    big = c.get("/v21.0/me/media", query_string={"access_token": tok, "limit": 1000}).get_json()
    assert len(big["data"]) == 7 and "next" not in big["paging"]


def test_me_and_tokens(env):
    c, _ = env
    tok = long_token(c)
    me = c.get("/v21.0/me", query_string={"fields": "user_id,username", "access_token": tok}).get_json()["data"][0]
    assert me["username"] == "alice" and me["user_id"] == me["id"]
    assert c.get("/me", headers={"Authorization": f"Bearer {tok}"}).get_json() == {"data": [{"id": me["id"]}]}
    c.post("/_sandbox/shapes", json={"me": "flat"})
    assert c.get("/me", headers={"Authorization": f"Bearer {tok}"}).get_json() == {"id": me["id"]}
    c.post("/_sandbox/reset")
    assert c.get("/v21.0/me").status_code == 400
    bad = c.get("/v21.0/me", query_string={"access_token": tok + "x"})
    assert bad.status_code == 400 and err(bad)["code"] == 190
    expired = c.post("/_sandbox/accounts/alice/token", json={"kind": "long", "ttl": -5}).get_json()["access_token"]
    e = err(c.get("/v21.0/me", query_string={"access_token": expired}))
    assert e["code"] == 190 and e["error_subcode"] == 463
    # exchange wants a short token and the client secret; refresh wants a long token
    short = c.post("/_sandbox/accounts/alice/token", json={"kind": "short"}).get_json()["access_token"]
    q = {"grant_type": "ig_exchange_token", "client_secret": SECRET, "access_token": short}
    assert c.get("/access_token", query_string={**q, "client_secret": "bad"}).status_code == 400
    assert c.get("/access_token", query_string={**q, "access_token": tok}).status_code == 400
    ll = c.get("/access_token", query_string=q).get_json()
    assert ll["token_type"] == "bearer" and ll["expires_in"] == 5184000
    assert (
        c.get(
            "/refresh_access_token", query_string={"grant_type": "ig_refresh_token", "access_token": short}
        ).status_code
        == 400
    )
    rr = c.get(
        "/refresh_access_token", query_string={"grant_type": "ig_refresh_token", "access_token": ll["access_token"]}
    ).get_json()
    assert rr["expires_in"] == 5184000 and rr["access_token"] != ll["access_token"]


def test_control_api(env):
    c, posts = env
    assert c.get("/_sandbox/health").get_json()["accounts"] == ["alice", "bob"]
    assert c.get("/_sandbox/accounts/nobody").status_code == 404
    assert c.post("/_sandbox/accounts/alice/throttle", json={"code": 5}).status_code == 400
    assert c.post("/_sandbox/accounts/alice/faults", json={"media_ids": ["999"]}).status_code == 404
    assert (
        c.post("/_sandbox/accounts/alice/faults", json={"media_ids": [posts[0]["id"]], "mode": "weird"}).status_code
        == 400
    )
    img = base64.b64encode(tiny_jpeg(77)).decode()
    r = c.post("/_sandbox/accounts/alice/posts", json={"caption": "new", "like_count": 5, "image_b64": img})
    assert r.status_code == 201
    new = r.get_json()
    assert new["media_type"] == "IMAGE" and new["file"].startswith("added-")
    tok = long_token(c)
    first = c.get("/v21.0/me/media", query_string={"access_token": tok, "fields": "media_url"}).get_json()["data"][0]
    assert first["id"] == new["id"] and c.get(urlsplit(first["media_url"]).path).data == tiny_jpeg(77)
    assert (
        c.post("/_sandbox/accounts/alice/posts", json={"copy_of": posts[1]["id"]}).get_json()["media_type"]
        == "CAROUSEL_ALBUM"
    )
    assert c.post("/_sandbox/accounts/alice/posts", json={"id": posts[0]["id"]}).status_code == 409
    st = c.get("/_sandbox/accounts/alice").get_json()
    assert st["posts"] == 9 and len(st["added_posts"]) == 2 and st["stats"]["media_list"] == 1
    c.post("/_sandbox/accounts/alice/reset")
    assert c.get("/_sandbox/accounts/alice").get_json()["posts"] == 7
