"""The gateway's header-only upload check (`services.gateway.predictions.uploads`): what it refuses, that it
decodes nothing, and that photos are not taken for polyglots."""
from __future__ import annotations

import io
import os
import random
import tracemalloc
import zipfile

import pytest
from PIL import Image

from sandbox.photos import jpeg as photo
from services.gateway.predictions.uploads import inspect as inspect_with_limits
from services.gateway.predictions.uploads import other_format
from shared.labeling import ImageRejected

LIMIT = 20 * 1024 * 1024
PIXELS = 50_000_000  # LIKELY_MAX_IMAGE_PIXELS's default


def inspect(data: bytes, *, max_bytes: int):
    return inspect_with_limits(data, max_bytes=max_bytes, max_pixels=PIXELS)


def encoded(fmt: str, size=(40, 30), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,ext", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif"),
                                     ("BMP", "bmp"), ("TIFF", "tiff")])
def test_each_accepted_format_is_read_from_its_header(fmt, ext):
    upload = inspect(encoded(fmt), max_bytes=LIMIT)
    assert (upload.format, upload.ext, upload.width, upload.height) == (fmt, ext, 40, 30)
    assert upload.mimetype.startswith("image/") and len(upload.sha256) == 64


@pytest.mark.parametrize("data,code", [
    (b"", "empty_image"),
    (b"<html><body>hi</body></html>", "not_an_image"),
    (encoded("ICO"), "not_an_image"),  # a format Pillow reads, not one we take: its parser never runs
    (encoded("PNG")[:30], "not_an_image"),  # the header itself cut short
])
def test_what_is_refused(data, code):
    with pytest.raises(ImageRejected) as err:
        inspect(data, max_bytes=LIMIT)
    assert err.value.code == code


def test_pixels_are_counted_from_the_header_without_decoding():
    bomb, phone = encoded("PNG", (10000, 6000), "L"), encoded("PNG", (8000, 6000), "L")  # 60 M and 48 M pixels
    tracemalloc.start()
    with pytest.raises(ImageRejected) as err:
        inspect(bomb, max_bytes=LIMIT)
    assert inspect(phone, max_bytes=LIMIT).width == 8000  # a 48 MP phone photo is taken
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err.value.code == "too_many_pixels" and "10000×6000" in err.value.message
    assert peak < 5 * 1024 * 1024  # decoding either would take 48 MB or more


def test_polyglots_are_recognised():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.html", "<script>alert(1)</script>")
    assert other_format(photo("cat") + archive.getvalue()) == "a ZIP archive"
    assert other_format(archive.getvalue()) == "a ZIP archive"
    assert other_format(photo("cat") + b"<!DOCTYPE html><p>") == "an HTML document"
    assert other_format(photo("cat")[:100] + b"%PDF-1.4" + photo("cat")[100:]) == "a PDF"
    with pytest.raises(ImageRejected) as err:
        inspect(photo("cat") + archive.getvalue(), max_bytes=LIMIT)
    assert err.value.code == "polyglot"


def test_photos_and_random_bytes_are_not_polyglots():
    for name in ("cat", "coffee", "rocket", "astronaut"):
        assert other_format(photo(name)) is None
    rng = random.Random(7)
    # the end-of-archive signature by chance, without a central directory behind it
    noise = bytearray(os.urandom(200_000))
    noise[-5000:-4996] = b"PK\x05\x06"
    assert other_format(bytes(noise)) is None
    assert all(other_format(rng.randbytes(1_000_000)) is None for _ in range(5))
