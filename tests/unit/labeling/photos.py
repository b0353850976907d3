"""Real photographs that ship inside installed packages (scikit-image, scikit-learn,
matplotlib), read from the package directories: nothing is downloaded."""
from __future__ import annotations

import io

from PIL import Image

from sandbox.photos import photo_path


def photo(name: str) -> bytes:
    return photo_path(name).read_bytes()


def encode(img: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def grey(size: int = 640) -> bytes:
    return encode(Image.new("RGB", (size, size), (128, 128, 128)), "PNG")


def jpeg_1080(name: str = "cat") -> bytes:
    """A photo as Instagram serves it: 1080×1080 JPEG."""
    img = Image.open(photo_path(name)).convert("RGB").resize((1080, 1080), Image.BICUBIC)
    return encode(img, "JPEG", quality=90)
