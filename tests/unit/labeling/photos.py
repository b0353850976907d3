"""Real photographs that ship inside installed packages (scikit-image, scikit-learn,
matplotlib), read from the package directories: nothing is downloaded."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from PIL import Image


def _pkg_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        raise RuntimeError(f"{name} is not installed: run `make install` (it is in the assets extra)")
    return Path(spec.origin).parent


def photo_path(name: str) -> Path:
    paths = {
        "cat": _pkg_dir("skimage") / "data" / "chelsea.png",
        "coffee": _pkg_dir("skimage") / "data" / "coffee.png",
        "astronaut": _pkg_dir("skimage") / "data" / "astronaut.png",
        "rocket": _pkg_dir("skimage") / "data" / "rocket.jpg",
        "camera": _pkg_dir("skimage") / "data" / "camera.png",
        "motorcycle": _pkg_dir("skimage") / "data" / "motorcycle_left.png",
        "china": _pkg_dir("sklearn") / "datasets" / "images" / "china.jpg",
        "flower": _pkg_dir("sklearn") / "datasets" / "images" / "flower.jpg",
        "hopper": _pkg_dir("matplotlib") / "mpl-data" / "sample_data" / "grace_hopper.jpg",
    }
    return paths[name]


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
