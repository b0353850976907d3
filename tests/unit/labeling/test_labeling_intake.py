from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from shared.labeling import ImageRejected, load_image

from .photos import encode, photo


def rejected(data, **kw) -> ImageRejected:
    with pytest.raises(ImageRejected) as e:
        load_image(data, **kw)
    assert e.value.message and e.value.code in str(e.value)
    return e.value


def test_photo_decodes_to_rgb_with_metadata():
    data = photo("rocket")
    img = load_image(data)
    assert (img.format, img.ext, img.image.mode) == ("JPEG", "jpg", "RGB")
    assert (img.width, img.height) == img.image.size == Image.open(io.BytesIO(data)).size
    assert img.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("mode", ["L", "1", "CMYK", "P", "RGBA", "LA", "I;16", "I", "F"])
def test_every_mode_becomes_rgb(mode):
    base = Image.open(io.BytesIO(photo("cat"))).convert("RGB").resize((64, 48))
    if mode == "P":
        img = base.convert("P", palette=Image.ADAPTIVE)
    elif mode in ("I;16", "I", "F"):
        img = Image.fromarray((np.asarray(base.convert("L"), dtype=np.uint16) * 200).astype(np.uint16))
        if mode != "I;16":
            img = img.convert(mode)
    else:
        img = base.convert(mode)
    fmt = {"CMYK": "JPEG", "F": "TIFF", "I": "TIFF"}.get(mode, "PNG")
    out = load_image(encode(img, fmt))
    assert out.image.mode == "RGB" and out.image.size == (64, 48)
    assert np.asarray(out.image).std() > 5  # still a picture, not a blank


def test_transparency_is_composed_over_white():
    img = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    img.putpixel((0, 0), (0, 0, 255, 255))
    out = load_image(encode(img, "PNG")).image
    assert out.getpixel((5, 5)) == (255, 255, 255) and out.getpixel((0, 0)) == (0, 0, 255)
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0])
    assert load_image(encode(pal, "PNG", transparency=0)).image.getpixel((1, 1)) == (255, 255, 255)
    gif = load_image(encode(pal, "GIF", transparency=0))
    assert gif.format == "GIF" and gif.image.getpixel((1, 1)) == (255, 255, 255)


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (40, 20), (255, 255, 255))
    img.paste((255, 0, 0), (0, 0, 10, 20))  # left stripe red
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    data = encode(img, "JPEG", exif=exif.tobytes(), quality=95)
    out = load_image(data)
    assert (out.width, out.height) == out.image.size == (20, 40)
    r, g, b = out.image.getpixel((10, 2))  # the red stripe is now at the top
    assert r > 200 and g < 60 and b < 60


def test_draft_decodes_a_smaller_jpeg_but_reports_the_full_size():
    data = encode(Image.new("RGB", (1080, 1080), (10, 200, 30)), "JPEG")
    out = load_image(data, draft=256)
    assert (out.width, out.height) == (1080, 1080)
    assert 256 <= out.image.width < 1080


def test_text_file_is_not_an_image():
    e = rejected(b"just some words, not a picture\n")
    assert e.code == "not_an_image"


def test_empty_file():
    assert rejected(b"").code == "empty_image"


def test_truncated_jpeg_and_png():
    jpeg = photo("rocket")
    assert rejected(jpeg[: len(jpeg) // 2]).code == "truncated_image"
    png = photo("coffee")
    assert rejected(png[: len(png) // 2]).code == "truncated_image"


def test_size_limit_in_bytes():
    data = photo("rocket")
    e = rejected(data, max_bytes=len(data) - 1)
    assert e.code == "image_too_large" and f"{len(data) - 1:,}" in e.message
    assert load_image(data, max_bytes=len(data)).format == "JPEG"


def test_decompression_bomb_is_rejected_before_decoding():
    # a tiny file that declares 20000×20000 pixels
    data = encode(Image.new("L", (20000, 20000)), "PNG", optimize=True)
    assert len(data) < 2_000_000
    e = rejected(data)
    assert e.code == "decompression_bomb" and "pixels" in e.message
    assert rejected(photo("rocket"), max_pixels=1000).code == "decompression_bomb"


def test_unsupported_format():
    data = encode(Image.new("RGB", (8, 8)), "PPM")
    assert rejected(data).code == "unsupported_format"


def test_settings_give_the_default_limits(monkeypatch):
    monkeypatch.setenv("LIKELY_MAX_IMAGE_BYTES", "100")
    assert rejected(photo("rocket")).code == "image_too_large"
