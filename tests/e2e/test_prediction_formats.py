"""The post a person intends, end to end: a format (photo, carousel, reel) and a caption named
beside the upload → gateway → inferer → the model, on a model trained on the sandbox's demo
account (photos, carousels and reels; captions with hashtags such as #space and #bnw)."""
from __future__ import annotations

import time
from collections import Counter

import pytest

from sandbox.photos import jpeg as photo
from services.cli.client import ApiError
from shared.contracts import FORMATS, MAX_CAPTION_CHARS
from tests.e2e.test_predictions import trained, uploads_of  # noqa: F401 - the module's trained user

PAIRS = list(FORMATS.values())


def predict(client, *names: str, fields: dict | None = None, files: list | None = None):
    parts = [("image", (f"{name}.jpg", photo(name), "image/jpeg")) for name in names] + (files or [])
    return client.request("POST", "/api/v1/predictions", files=parts, data=fields or {})


def as_format(name: str) -> dict:
    media_type, product_type = FORMATS[name]
    return {"media_type": media_type, "product_type": product_type}


def pair(entry: dict) -> tuple[str, str]:
    return entry["media_type"], entry["product_type"]


def test_each_format_is_compared_and_the_one_asked_is_named(trained, mongo_db):  # noqa: F811
    out = predict(trained, "cat", fields=as_format("reel"))
    assert pair(out["format"]) == ("VIDEO", "REELS")
    assert [pair(f) for f in out["formats"]] == PAIRS
    by_pair = {pair(f): f for f in out["formats"]}
    reel = by_pair[("VIDEO", "REELS")]
    assert reel["likes"] == pytest.approx(out["likes"]) and reel["comments"] == pytest.approx(out["comments"])
    assert reel["likes_factor"] == pytest.approx(out["format"]["likes_factor"])
    assert by_pair[("IMAGE", "FEED")]["likes_factor"] == pytest.approx(1.0)  # a photo is the base
    for f in out["formats"]:
        lo, hi = f["likes_range"]
        assert lo <= f["likes"] <= hi
    # `posts`: how many of the account's posts (those it learnt from) had each format
    user_id = trained.request("GET", "/api/v1/me")["user_id"]
    stored = Counter((p["media_type"], p.get("product_type") or "FEED")
                     for p in mongo_db.posts.find({"user_id": user_id, "likes": {"$ne": None}}))
    for f in out["formats"]:
        assert f["posts"] == stored[pair(f)], (pair(f), stored)
    assert stored[("CAROUSEL_ALBUM", "FEED")] > 0 and stored[("VIDEO", "REELS")] > 0
    assert {"format_factor", "caption_factor"} <= set(out["factors"])


def test_without_fields_a_photo_with_no_caption_and_the_same_answer_as_naming_it(trained):  # noqa: F811
    plain = predict(trained, "cat")
    assert pair(plain["format"]) == ("IMAGE", "FEED")
    assert plain["caption"] == {"given": False, "hashtags": [], "mentions": 0, "length": 0}
    named = predict(trained, "cat", fields={**as_format("photo"), "caption": "   "})  # blank: no caption
    assert named["likes"] == pytest.approx(plain["likes"]) and named["caption"]["given"] is False
    # the label cache answers by the image's hash; the format still changes the answer each time
    reel = predict(trained, "cat", fields=as_format("reel"))
    again = predict(trained, "cat")
    assert again["likes"] == pytest.approx(plain["likes"])
    assert reel["likes"] == pytest.approx({pair(f): f for f in plain["formats"]}[("VIDEO", "REELS")]["likes"])
    assert predict(trained, "cat", fields={"product_type": "REELS"})["format"] == reel["format"]  # a reel is a video
    assert pair(predict(trained, "cat", fields={"media_type": "VIDEO"})["format"]) == ("VIDEO", "REELS")


def test_a_caption_adds_its_hashtags_and_says_what_each_does(trained):  # noqa: F811
    alone = predict(trained, "rocket")
    text = "Liftoff! #Space #bnw #nosuchtagonthisaccount with @friend"
    out = predict(trained, "rocket", fields={"caption": text})
    c = out["caption"]
    assert c["given"] is True and c["mentions"] == 1 and c["length"] == len(text)
    tags = {h["name"]: h for h in c["hashtags"]}
    assert list(tags) == ["#space", "#bnw", "#nosuchtagonthisaccount"]
    assert tags["#space"]["matched"] and tags["#bnw"]["matched"]
    unknown = tags["#nosuchtagonthisaccount"]
    assert not unknown["matched"] and unknown["likes"] is None and unknown["likes_factor"] is None
    assert all(h["likes_factor"] > 0 for h in c["hashtags"] if h["matched"])
    # the caption's part of the prediction: the image alone times the caption's factor
    assert out["likes"] != pytest.approx(alone["likes"])
    assert {lab["name"] for lab in out["labels"]} == {lab["name"] for lab in alone["labels"]}  # `Space` ≠ `#space`


def test_several_images_are_ranked_as_the_format_and_caption_asked(trained):  # noqa: F811
    out = predict(trained, "cat", "rocket", "coffee", fields={**as_format("carousel"), "caption": "#coffee time"})
    ranked = out["predictions"]
    assert [p["rank"] for p in ranked] == [1, 2, 3]
    assert [p["likes"] for p in ranked] == sorted((p["likes"] for p in ranked), reverse=True)
    for p in ranked:
        assert pair(p["format"]) == ("CAROUSEL_ALBUM", "FEED") and p["caption"]["given"] is True
        assert [h["name"] for h in p["caption"]["hashtags"]] == ["#coffee"]
    history = trained.request("GET", "/api/v1/predictions?per_page=3")["predictions"]
    assert {pair(p["format"]) for p in history} == {("CAROUSEL_ALBUM", "FEED")}  # kept in history as asked


def test_a_caption_of_the_full_length_counts_a_line_break_once(trained):  # noqa: F811
    line = "#space " * 10 + "\r\n"  # a browser sends a line break as CRLF
    text = (line * (MAX_CAPTION_CHARS // (len(line) - 1) + 1))
    text = text[:MAX_CAPTION_CHARS + text[:MAX_CAPTION_CHARS].count("\r\n")]
    assert len(text.replace("\r\n", "\n")) == MAX_CAPTION_CHARS < len(text)
    out = predict(trained, "cat", fields={"caption": text})
    assert out["caption"]["given"] and out["caption"]["length"] == MAX_CAPTION_CHARS


BAD = [
    ({"media_type": "STORY"}, None, "unknown_media_type", "media_type"),
    ({"media_type": "image"}, None, "unknown_media_type", "media_type"),
    ({"product_type": "AD"}, None, "unknown_product_type", "product_type"),
    ({"media_type": "IMAGE", "product_type": "REELS"}, None, "unknown_format", "media_type,product_type"),
    ({"media_type": "VIDEO", "product_type": "FEED"}, None, "unknown_format", "media_type,product_type"),
    ({"caption": "x" * (MAX_CAPTION_CHARS + 1)}, None, "caption_too_long", "caption"),
    ({}, [("caption", ("caption.txt", b"#beach", "text/plain"))], "invalid_caption", "caption"),
    ({"caption": ["#one", "#two"]}, None, "invalid_caption", "caption"),
]


@pytest.mark.parametrize("fields,files,code,field", BAD, ids=[b[2] + "-" + str(i) for i, b in enumerate(BAD)])
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_kept(trained, fields, files, code, field):  # noqa: F811
    before = trained.request("GET", "/api/v1/predictions")["total"], uploads_of(trained)
    with pytest.raises(ApiError) as err:
        predict(trained, "cat", fields=fields, files=files)
    assert (err.value.status, err.value.code) == (400, code)
    assert err.value.body["error"]["field"] == field and field.split(",")[0] in err.value.message
    assert (trained.request("GET", "/api/v1/predictions")["total"], uploads_of(trained)) == before


def test_an_infer_request_v1_without_the_fields_is_still_answered(trained, stack_vhost, mongo_db):  # noqa: F811
    """An older gateway's message (infer.request.v1): a photo in the feed, the image alone."""
    from kombu import Connection

    from shared.broker.rpc import RpcClient
    from shared.contracts import InferRequest

    user_id = trained.request("GET", "/api/v1/me")["user_id"]
    named = predict(trained, "cat", fields={"media_type": "IMAGE"})  # a v2 request: a photo, no caption
    key = mongo_db.predictions.find_one({"_id": named["id"]})["image_key"]
    request = InferRequest(user_id=user_id, image_key=key, deadline=time.time() + 15)
    assert request.TYPE == "infer.request.v1" and "media_type" not in request.body()
    [reply] = RpcClient(Connection(stack_vhost)).call_many([request], timeout=15)
    assert reply.ok, reply.error_message
    assert pair(reply.result["format"]) == ("IMAGE", "FEED") and reply.result["caption"]["given"] is False
    assert reply.result["likes"] == pytest.approx(named["likes"])
    assert reply.result["formats"] == named["formats"]


def test_the_spec_says_what_the_route_takes_and_the_answers_match_it(trained):  # noqa: F811
    from jsonschema import Draft202012Validator

    from shared.contracts import MEDIA_TYPES, PRODUCT_TYPES

    spec = trained.request("GET", "/openapi.json")
    op = spec["paths"]["/api/v1/predictions"]["post"]
    form = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    fields = form["properties"]
    assert fields["media_type"]["enum"] == list(MEDIA_TYPES) and fields["product_type"]["enum"] == list(PRODUCT_TYPES)
    assert fields["caption"] == {**fields["caption"], "type": "string", "maxLength": MAX_CAPTION_CHARS}
    assert [(b["properties"]["media_type"]["const"], b["properties"]["product_type"]["const"])
            for b in form["anyOf"]] == PAIRS
    for code in ("unknown_media_type", "unknown_product_type", "unknown_format", "caption_too_long", "invalid_caption"):
        assert code in op["responses"]["400"]["description"]
    form_validator = Draft202012Validator(form)
    for ok in ({}, {"product_type": "REELS"}, {"media_type": "VIDEO"}, {"media_type": "CAROUSEL_ALBUM"}):
        assert form_validator.is_valid({"image": "", **ok}), ok
    for bad in ({"media_type": "IMAGE", "product_type": "REELS"}, {"media_type": "VIDEO", "product_type": "FEED"}):
        assert not form_validator.is_valid({"image": "", **bad}), bad

    answer = {**op["responses"]["201"]["content"]["application/json"]["schema"], "components": spec["components"]}
    validator = Draft202012Validator(answer)
    one = predict(trained, "cat", fields={**as_format("carousel"), "caption": "#space @a"})
    several = predict(trained, "cat", "coffee", fields=as_format("reel"))
    history = trained.request("GET", "/api/v1/predictions?per_page=5")
    for out in (one, several, *history["predictions"]):
        assert not list(validator.iter_errors(out)), [e.message for e in validator.iter_errors(out)][:5]
    assert list(validator.iter_errors({**one, "format": {**one["format"], "media_type": "STORY"}}))
