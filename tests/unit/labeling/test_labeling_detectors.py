"""The offline labeler's detectors on real photographs changed the way a feed changes them:
a face covered, two people side by side, words over a photo."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .photos import encode, photo


def _image(name: str) -> Image.Image:
    return Image.open(io.BytesIO(photo(name))).convert("RGB")


def names(result) -> set[str]:
    return {label.name for label in result.labels}


def test_a_person_whose_face_is_hidden_is_still_a_person(offline_labeler):
    img = _image("astronaut")
    img.paste(img.crop((160, 60, 300, 200)).filter(ImageFilter.GaussianBlur(12)), (160, 60))  # her face, unreadable
    got = offline_labeler.label(encode(img, "JPEG", quality=92))
    assert "Person" in names(got) and "Face" not in names(got)


def test_two_people_are_people(offline_labeler):
    one = _image("hopper").resize((400, 512))
    both = Image.new("RGB", (800, 512))
    both.paste(one, (0, 0))
    both.paste(one.transpose(Image.FLIP_LEFT_RIGHT), (400, 0))
    got = offline_labeler.label(encode(both, "JPEG", quality=92))
    assert {"Person", "People", "Face"} <= names(got)
    assert "Group" not in names(got)


def test_words_over_a_photo_are_text(offline_labeler):
    img = _image("coffee").resize((1080, 1080))
    draw = ImageDraw.Draw(img)
    draw.rectangle((60, 780, 1020, 1000), fill=(255, 255, 255))
    draw.text((90, 800), "MORNING COFFEE", fill=(0, 0, 0), font=ImageFont.load_default(size=110))
    plain = offline_labeler.label(photo("coffee"))
    worded = offline_labeler.label(encode(img, "JPEG", quality=92))
    assert "Text" not in names(plain)
    text = worded.get("Text")
    assert text is not None and text.confidence >= 80


def test_a_cats_face_is_not_a_person(offline_labeler):
    """BlazeFace scores the cat's face 0.8; the classifier's confident "Animal" outweighs it."""
    assert "Person" not in names(offline_labeler.label(photo("cat")))
