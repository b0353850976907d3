"""infer.request v1 and v2 (shared/contracts.py) and what the inferer asks the model for each."""
from __future__ import annotations

import json

import pytest

from shared.contracts import (
    FORMATS,
    MAX_CAPTION_CHARS,
    InferRequest,
    InferRequestV2,
    UndecodableMessage,
    UnknownFormat,
    decode,
    infer_request,
    post_format,
)


def test_a_missing_half_of_the_format_is_filled_in_and_a_pair_one_cannot_post_is_refused():
    assert post_format() == FORMATS["photo"] == ("IMAGE", "FEED")
    assert post_format("VIDEO") == post_format(None, "REELS") == FORMATS["reel"]
    assert post_format("CAROUSEL_ALBUM") == post_format("CAROUSEL_ALBUM", "FEED") == FORMATS["carousel"]
    for media, product in (("IMAGE", "REELS"), ("VIDEO", "FEED"), ("STORY", None)):
        with pytest.raises(UnknownFormat, match="is not a format you can post"):
            post_format(media, product)


def test_v1_when_nothing_is_named_v2_otherwise_and_both_decode():
    plain = infer_request(user_id="u", image_key="k")
    assert type(plain) is InferRequest and plain.TYPE == "infer.request.v1"
    named = infer_request(user_id="u", image_key="k", media_type="VIDEO", caption="#a")
    assert named.TYPE == "infer.request.v2" and (named.media_type, named.product_type) == ("VIDEO", "REELS")
    for msg in (plain, named):
        assert decode(msg.TYPE, msg.body()) == msg


@pytest.mark.parametrize("fields", [{"media_type": "IMAGE", "product_type": "REELS"}, {"media_type": "GIF"},
                                    {"caption": "x" * (MAX_CAPTION_CHARS + 1)}, {"caption": 12}])
def test_a_v2_message_out_of_the_contract_is_undecodable(fields):
    body = InferRequestV2(user_id="u", image_key="k").model_dump() | fields
    with pytest.raises(UndecodableMessage):
        decode("infer.request.v2", json.dumps(body))


class Labels:
    labeler = "offline-test"
    labels = ()


class Labeler:
    def cached(self, sha256):
        return Labels()


class Model:
    doc = {"version": 1}
    kind = "ridge"

    def __init__(self):
        self.asked = []

    def predict(self, labels, **kwargs):
        self.asked.append(kwargs)
        return {"labels": [], "kind": "ridge"}


class Models:
    def __init__(self, model):
        self.model = model

    def get(self, user_id):
        return self.model


@pytest.mark.parametrize("msg,asked", [
    (InferRequest(user_id="u", image_key="users/u/uploads/a.jpg", sha256="s"),
     {"media_type": "IMAGE", "product_type": "FEED", "caption": None}),
    (InferRequestV2(user_id="u", image_key="users/u/uploads/a.jpg", sha256="s", media_type="VIDEO",
                    product_type="REELS", caption="#beach"),
     {"media_type": "VIDEO", "product_type": "REELS", "caption": "#beach"}),
])
def test_the_inferer_asks_the_model_for_the_format_and_caption_of_the_message(msg, asked):
    from services.inferer.handler import infer

    model = Model()
    assert infer(msg, store=None, labeler=Labeler(), models=Models(model)).ok
    assert model.asked == [{"kind": None, **asked}]
