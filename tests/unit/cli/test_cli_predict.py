"""`likely predict`'s request and report (services/cli/predict.py), apart from the gateway."""
from __future__ import annotations

from services.cli.predict import report, request_parts


def test_the_format_named_in_words_becomes_the_pair_and_the_caption_goes_as_is(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"jpeg")
    files, data = request_parts([str(tmp_path / "a.jpg")], "carousel", "#a  #b\n")
    assert files == [("image", ("a.jpg", b"jpeg", "application/octet-stream"))]
    assert data == {"media_type": "CAROUSEL_ALBUM", "product_type": "FEED", "caption": "#a  #b\n"}
    assert request_parts([str(tmp_path / "a.jpg")], None, None)[1] == {}


def test_an_answer_without_formats_prints_the_table_alone():
    """A history entry or a model kind from before formats: no format, formats or caption."""
    out = {"filename": "a.jpg", "likes": 10.0, "comments": None, "labels": [{"name": "Dog", "matched": False}],
           "model_version": 3, "model_kind": "label_mean"}
    assert report(out).splitlines() == [
        " #  image                           likes  comments  labels",
        " 1  a.jpg                            10.0         -  Dog?",
        "model v3 (label_mean); '?' = label unknown to the model"]
