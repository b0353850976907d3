"""Image intake shared by every caller: decode, check, normalise to RGB.

Rejections raise ImageRejected(code, message); codes are snake_case and stable:
`empty_image`, `image_too_large` (bytes), `not_an_image`, `unsupported_format`,
`decompression_bomb` (pixels), `truncated_image`, `corrupt_image`.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# Formats a photo can come in; the extension each is stored under.
EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif",
              "BMP": "bmp", "TIFF": "tiff"}


class ImageRejected(Exception):
    """The bytes are not an image we accept. `code` is snake_case; `message` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IntakeImage:
    image: Image.Image  # RGB, EXIF orientation applied
    format: str  # as Pillow names it: "JPEG", "PNG", …
    ext: str  # "jpg", "png", …
    width: int  # after EXIF orientation
    height: int
    sha256: str  # of the original bytes


@dataclass(frozen=True)
class ImageLimits:
    """What an accepted image may weigh (bytes) and declare (pixels). A hot path builds it once:
    `load_image` without limits reads them from the settings, which costs ~1 ms a call."""
    max_bytes: int
    max_pixels: int

    @classmethod
    def from_settings(cls, settings) -> "ImageLimits":
        return cls(settings.max_image_bytes, settings.max_image_pixels)


def _defaults(max_bytes, max_pixels):
    if max_bytes is None or max_pixels is None:
        from shared.settings import Settings

        s = Settings()
        max_bytes = s.max_image_bytes if max_bytes is None else max_bytes
        max_pixels = s.max_image_pixels if max_pixels is None else max_pixels
    return max_bytes, max_pixels


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any mode to RGB; transparency is composed over white (as a viewer shows it)."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
        if mode == "RGB":
            return img
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
        return Image.fromarray(a.astype(np.uint8), "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV


def load_image(data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None,
               draft: int | None = None) -> IntakeImage:
    """Decode and check an image; raise ImageRejected naming the problem.

    max_bytes / max_pixels default to the settings LIKELY_MAX_IMAGE_BYTES /
    LIKELY_MAX_IMAGE_PIXELS. `draft`: for JPEG, let the decoder scale down by 1/2, 1/4 or 1/8
    while keeping both sides ≥ draft pixels (much faster when only a small image is needed);
    width/height then still give the full image's size.
    """
    max_bytes, max_pixels = _defaults(max_bytes, max_pixels)
    if not data:
        raise ImageRejected("empty_image", "the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected("image_too_large", f"the file has {len(data):,} bytes; the limit is {max_bytes:,}")
    sha = hashlib.sha256(data).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image", "the file is not an image Pillow can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageRejected("decompression_bomb", f"the image declares too many pixels ({e})") from None
    except Exception as e:  # noqa: BLE001 - a header Pillow chokes on
        raise ImageRejected("corrupt_image", f"the image header cannot be read: {e}") from None
    fmt = img.format or ""
    if fmt not in EXTENSIONS:
        raise ImageRejected(
            "unsupported_format", f"{fmt or 'this'} images are not accepted (JPEG, PNG, WebP, GIF, BMP, TIFF are)"
        )
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ImageRejected("corrupt_image", f"the image declares a size of {w}×{h}")
    if w * h > max_pixels:
        raise ImageRejected(
            "decompression_bomb", f"the image declares {w}×{h} = {w * h:,} pixels; the limit is {max_pixels:,}"
        )
    orientation = 1
    try:
        orientation = int(img.getexif().get(0x0112, 1) or 1)
    except Exception:  # noqa: BLE001 - an EXIF block Pillow cannot read: the image as stored
        pass
    try:
        if draft and fmt in ("JPEG", "MPO"):
            img.draft("RGB", (draft, draft))
        img.load()
    except OSError as e:
        text = str(e)
        if "truncated" in text or "broken data stream" in text or "end of file" in text.lower():
            raise ImageRejected("truncated_image", f"the image data ends early ({text})") from None
        raise ImageRejected("corrupt_image", f"the image data cannot be decoded ({text})") from None
    except (Image.DecompressionBombError, ValueError, SyntaxError, EOFError) as e:
        raise ImageRejected("corrupt_image", f"the image data cannot be decoded ({e})") from None
    if orientation != 1:
        img = ImageOps.exif_transpose(img)
        if orientation in (5, 6, 7, 8):
            w, h = h, w
    img = _to_rgb(img)
    return IntakeImage(image=img, format=fmt, ext=EXTENSIONS[fmt], width=w, height=h, sha256=sha)


ImageFile.LOAD_TRUNCATED_IMAGES = False  # truncated files are errors, never half-grey images
