"""Format (media type × product type) and caption (hashtags, mentions, length) in the default
model and in every prediction's answer."""
import math
from datetime import datetime, timedelta, timezone

import pytest

from shared.model import TrainingPost, build_model, predict
from shared.model.caption import caption_features, hashtag
from shared.model.formats import FORMATS, format_key, media_of

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def post(i, likes, media="IMAGE", product="FEED", caption=None, labels=()):
    return TrainingPost(f"m{i}", T0 + timedelta(hours=24 * i), likes, max(1, likes // 30), tuple(labels),
                        product, media, caption)


def test_caption_features_parse_hashtags_mentions_and_length():
    c = caption_features("Sunset at #Beach with @ana.b and @tom_1 #beach #Σπίτι mail me@x.com &#39; #")
    assert c.hashtags == ("#beach", "#σπίτι")
    assert c.mentions == 2
    assert c.length == len("Sunset at #Beach with @ana.b and @tom_1 #beach #Σπίτι mail me@x.com &#39; #")
    assert caption_features(None) == caption_features("") == type(c)((), 0, 0)
    assert hashtag("Beach") == hashtag("#beach") == "#beach"
    assert all("." not in t and "$" not in t for t in caption_features("#a.b #c$d").hashtags)


def test_format_of_a_post():
    assert format_key("IMAGE", None) == "IMAGE/FEED"
    assert format_key(None, "REELS") == "VIDEO/REELS" and media_of("IMAGE", "REELS") == "VIDEO"
    assert format_key(None, None) is None


def test_format_is_learned_and_every_format_is_answered():
    kinds = ["CAROUSEL_ALBUM" if i % 3 == 0 else "IMAGE" for i in range(45)]
    posts = [post(i, 600 if k == "CAROUSEL_ALBUM" else 200, media=k) for i, k in enumerate(kinds)]
    doc = build_model(posts)
    carousel = predict(doc, [], media_type="CAROUSEL_ALBUM")
    image = predict(doc, [])
    assert carousel["likes"] > 1.8 * image["likes"]
    assert carousel["format"] == {"media_type": "CAROUSEL_ALBUM", "product_type": "FEED",
                                  "likes_factor": pytest.approx(carousel["factors"]["format_factor"]),
                                  "comments_factor": carousel["format"]["comments_factor"]}
    assert image["format"]["likes_factor"] == 1.0
    formats = {(f["media_type"], f["product_type"]): f for f in image["formats"]}
    assert list(formats) == list(FORMATS)
    assert formats[("CAROUSEL_ALBUM", "FEED")]["likes"] == pytest.approx(carousel["likes"])
    assert formats[("CAROUSEL_ALBUM", "FEED")]["posts"] == 15 and formats[("IMAGE", "FEED")]["posts"] == 30
    reel = formats[("VIDEO", "REELS")]  # never posted: the prior, no effect
    assert reel["posts"] == 0 and reel["likes_factor"] == 1.0 and reel["likes"] == pytest.approx(image["likes"])
    assert {"likes_range", "comments_range", "comments"} <= set(reel)


def test_a_format_seen_a_few_times_is_shrunk_toward_no_effect():
    many = [post(i, 600 if i % 2 else 200, media="VIDEO" if i % 2 else "IMAGE") for i in range(60)]
    few = [post(i, 600 if i in (30, 50) else 200, media="VIDEO" if i in (30, 50) else "IMAGE") for i in range(60)]
    f_many = predict(build_model(many), [], media_type="VIDEO")["format"]["likes_factor"]
    f_few = predict(build_model(few), [], media_type="VIDEO")["format"]["likes_factor"]
    assert 1.0 < f_few < f_many


def test_caption_hashtags_are_features_distinct_from_labels():
    posts = [post(i, 500 if i % 2 else 100, caption="#beach day" if i % 2 else "a day",
                  labels=[("Beach", 90.0)]) for i in range(40)]
    doc = build_model(posts)
    effects = {e["label"] for e in doc["models"]["ridge"]["likes"]["effects"]}
    assert {"#beach", "Beach"} <= effects
    with_tag = predict(doc, [("Beach", 90.0)], caption="#Beach again @friend")
    assert with_tag["caption"]["given"] is True
    assert with_tag["caption"]["mentions"] == 1 and with_tag["caption"]["length"] == len("#Beach again @friend")
    (tag,) = with_tag["caption"]["hashtags"]
    assert tag["name"] == "#beach" and tag["matched"] and tag["likes_factor"] > 1.5
    assert [lab["name"] for lab in with_tag["labels"]] == ["Beach"]
    plain = predict(doc, [("Beach", 90.0)], caption="again")
    assert with_tag["likes"] > 2 * plain["likes"]
    unknown = predict(doc, [("Beach", 90.0)], caption="#nothere")
    assert unknown["caption"]["hashtags"][0]["matched"] is False


def test_no_caption_is_the_image_alone_with_the_accounts_typical_caption():
    posts = [post(i, 500 if i % 2 else 100, caption="#beach" if i % 2 else "") for i in range(40)]
    doc = build_model(posts)
    none = predict(doc, [])
    assert none["caption"] == {"given": False, "hashtags": [], "mentions": 0, "length": 0}
    tagged, bare = predict(doc, [], caption="#beach"), predict(doc, [], caption="")
    assert bare["likes"] < none["likes"] < tagged["likes"]


def test_the_explanation_multiplies_out_in_log_space():
    posts = [post(i, 300 + 40 * (i % 5), media="VIDEO" if i % 4 == 0 else "IMAGE",
                  caption=f"#sun {'@a ' * (i % 3)}" + "x" * (i % 7 * 10), labels=[("Dog", 80.0)]) for i in range(50)]
    doc = build_model(posts)
    out = predict(doc, [("Dog", 80.0)], media_type="VIDEO", caption="#sun @a @b long caption text")
    logs = math.log1p(out["level"]["likes"]) + math.log(out["labels"][0]["likes_factor"])
    logs += sum(math.log(t["likes_factor"]) for t in out["caption"]["hashtags"])
    assert math.log1p(out["likes"]) == pytest.approx(logs)
    assert set(out["factors"]) >= {"gap_factor", "hour_factor", "format_factor", "caption_factor"}


def _mongo_keys_ok(value):
    if isinstance(value, dict):
        return all("." not in k and "$" not in k and _mongo_keys_ok(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_mongo_keys_ok(v) for v in value)
    return True


def test_the_document_stays_storable_and_every_kind_answers_the_new_keys():
    posts = [post(i, 100 + i, media=("IMAGE", "VIDEO", "CAROUSEL_ALBUM")[i % 3], caption=f"#t{i % 4} hi @x")
             for i in range(30)]
    doc = build_model(posts)
    assert _mongo_keys_ok(doc)
    for kind in ("ridge", "label_mean", "user_mean", "recent_median", "trend"):
        out = predict(doc, [("Dog", 90.0)], kind=kind, media_type="VIDEO", product_type="REELS", caption="#t1")
        assert {"format", "formats", "caption", "factors"} <= set(out), kind
        assert len(out["formats"]) == 3 and out["caption"]["given"] and out["caption"]["hashtags"][0]["name"] == "#t1"
        assert [lab["name"] for lab in out["labels"]] == ["Dog"]


def test_an_old_document_without_the_new_features_still_predicts():
    posts = [post(i, 200 + 10 * (i % 3), labels=[("Dog", 90.0)]) for i in range(20)]
    doc = build_model(posts)
    for part in ("likes", "comments"):
        for key in ("media_effects", "format_posts", "caption_effect", "caption_typical", "hashtags_typical"):
            doc["models"]["ridge"][part].pop(key)
    out = predict(doc, [("Dog", 90.0)], media_type="CAROUSEL_ALBUM", caption="#new @x")
    assert out["likes"] > 0 and out["format"]["likes_factor"] == 1.0 and out["factors"]["caption_factor"] == 1.0
    assert [f["posts"] for f in out["formats"]] == [0, 0, 0]
