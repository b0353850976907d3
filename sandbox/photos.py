"""Real photographs that ship inside installed packages (scikit-image, scikit-learn,
matplotlib), read from the package directories: nothing is downloaded. Used by the demo,
the tests and the benchmarks. Provenance: sandbox/instagram/PROVENANCE.md."""
from __future__ import annotations

import importlib.util
import io
from functools import lru_cache
from pathlib import Path

from PIL import Image

_FILES = {
    "cat": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"),
    "astronaut": ("skimage", "data/astronaut.png"),
    "rocket": ("skimage", "data/rocket.jpg"),
    "camera": ("skimage", "data/camera.png"),
    "motorcycle": ("skimage", "data/motorcycle_left.png"),
    "china": ("sklearn", "datasets/images/china.jpg"),
    "flower": ("sklearn", "datasets/images/flower.jpg"),
    "hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}
NAMES = tuple(_FILES)


def _pkg_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        raise RuntimeError(f"{name} is not installed: run `make install` (it is in the assets extra)")
    return Path(spec.origin).parent


def photo_path(name: str) -> Path:
    package, relative = _FILES[name]
    return _pkg_dir(package) / relative


@lru_cache(maxsize=None)
def jpeg(name: str, size: tuple[int, int] | None = None, quality: int = 90) -> bytes:
    """The photograph as an RGB JPEG, resized to `size` if given (1080×1080 is Instagram's)."""
    img = Image.open(photo_path(name)).convert("RGB")
    if size:
        img = img.resize(size, Image.BICUBIC)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()
