"""Real photographs that ship inside packages, as JPEG bytes, for tests and benchmarks."""
from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image


def _jpeg(array, size=None) -> bytes:
    img = Image.fromarray(array).convert("RGB")
    if size:
        img = img.resize(size)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


@lru_cache(maxsize=None)
def photo(name: str, size: tuple[int, int] | None = None) -> bytes:
    """`chelsea` (a cat), `coffee`, `astronaut`, `rocket`, `camera` from scikit-image;
    `china`, `flower` from scikit-learn."""
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return _jpeg(load_sample_image(f"{name}.jpg"), size)
    from skimage import data

    return _jpeg(getattr(data, name)(), size)
