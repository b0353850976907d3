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


def test_metrics_beside_likes_each_with_its_range_or_why_not_and_ranked_by_one():
    metrics = {"reach": {"available": True, "value": 1313.4, "range": [1042.0, 1842.0], "posts": 25,
                         "labels": [{"name": "Dog", "matched": True, "effect": 200.0, "factor": 1.18}], "hashtags": []},
               "shares": {"available": False, "reason": "no_data", "posts": 0,
                          "why": "shares: 0 of your posts have it, 10 needed (25 Instagram had no data for it)"}}
    row = {"filename": "a.jpg", "likes": 10.0, "comments": 1.0, "labels": [{"name": "Dog", "matched": True}],
           "model_version": 2, "model_kind": "ridge", "metrics": metrics, "rank_by": "reach"}
    lines = report({"predictions": [row, {**row, "filename": "b.jpg", "metrics": {**metrics, "reach": {
        **metrics["reach"], "value": 900.0}}}]}).splitlines()
    assert lines[0].split() == ["#", "image", "likes", "comments", "reach", "labels"]
    assert lines[1].split()[-2:] == ["1,313", "Dog"] and lines[2].split()[-2:] == ["900", "Dog"]
    assert "    reach         1,313       1,042-1,842  from 25 posts; Dog x1.18" in lines
    assert any(line.strip().startswith("shares") and "not predicted: shares: 0 of your posts" in line for line in lines)
    assert lines[-1].startswith("reach, views, saves, shares: learnt from your posts' insights")


def test_the_query_names_only_what_is_not_the_default():
    from services.cli.predict import query

    assert query(None, "likes") == "" and query("ridge", None) == "?model=ridge"
    assert query(None, "shares") == "?rank_by=shares"
