"""What the gateway checks of an uploaded image before it stores it: the header only.

Pillow's `Image.open` is lazy: it reads the format and the declared size and decodes no pixel,
so a small PNG declaring 8000×6000 costs the gateway nothing. The inferer decodes the image
later, one at a time, and refuses what cannot be decoded (a truncated file); the gateway then
deletes the upload. Refused here:

- nothing at all (`empty_image`), more bytes than LIKELY_MAX_IMAGE_BYTES (`image_too_large`);
- anything but JPEG, PNG, WebP, GIF, BMP or TIFF, whatever its name says (`not_an_image`):
  Pillow is asked for these formats alone, so no other format's parser ever runs;
- more pixels than LIKELY_MAX_IMAGE_PIXELS (50 M by default: a 48 MP phone photo passes)
  (`too_many_pixels`): a decompression bomb;
- polyglots (`polyglot`): an image that is also a ZIP archive, a PDF or an HTML document.
  Answers are sent as `image/*` with `nosniff`, so none would run; refusing them keeps such
  files out of the store altogether.
"""
from __future__ import annotations

import hashlib
import io
import re
import struct
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from shared.labeling import ImageRejected
from shared.labeling.intake import EXTENSIONS

_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # MPO comes through Pillow's JPEG opener
MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif", "bmp": "image/bmp",
         "tiff": "image/tiff"}
# Tags a browser would act on; long enough (tag + delimiter) that compressed pixel data does not
# spell one by chance (≈ 2^-40 per byte).
_MARKUP = re.compile(rb"<(?:script|html|body|iframe|object|embed|!doctype)[\s>/]", re.IGNORECASE)
_ZIP_END = b"PK\x05\x06"  # the end-of-central-directory record, within the last 64 KiB


@dataclass(frozen=True)
class Upload:
    format: str  # as Pillow names it
    ext: str  # the extension it is stored under (never the uploaded name's)
    mimetype: str
    width: int
    height: int
    sha256: str


def inspect(data: bytes, *, max_bytes: int, max_pixels: int) -> Upload:
    """Check an upload from its header; raise ImageRejected naming the problem."""
    if not data:
        raise ImageRejected("empty_image", "the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected("image_too_large", f"the file has {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as img:  # the header only: nothing decoded
            fmt, (width, height) = img.format or "", img.size
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image", "the file is not a JPEG, PNG, WebP, GIF, BMP or TIFF image") from None
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling (2 × 89 M pixels)
        raise ImageRejected("too_many_pixels", str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a header Pillow chokes on
        raise ImageRejected("corrupt_image", f"the image header cannot be read: {exc}") from None
    if width <= 0 or height <= 0:
        raise ImageRejected("corrupt_image", f"the image declares a size of {width}×{height}")
    if width * height > max_pixels:
        raise ImageRejected("too_many_pixels", f"the image declares {width}×{height} = {width * height:,} pixels; "
                                               f"the limit is {max_pixels:,}: scale it down")
    other = other_format(data)
    if other:
        raise ImageRejected("polyglot", f"the file is an image and also {other}")
    ext = EXTENSIONS[fmt]
    return Upload(fmt, ext, MIME_TYPES[ext], width, height, hashlib.sha256(data).hexdigest())


def other_format(data: bytes) -> str | None:
    """What else the bytes can be read as: "a ZIP archive", "a PDF", "an HTML document", or None."""
    if _is_zip(data):
        return "a ZIP archive"
    if b"%PDF-" in data[:1024]:  # PDF readers look for their header in the first KiB
        return "a PDF"
    if _MARKUP.search(data):
        return "an HTML document"
    return None


def _is_zip(data: bytes) -> bool:
    """As unzip finds an archive: the end record near the end, pointing back at a central
    directory (also when the archive is appended to other bytes, as in image+ZIP polyglots).
    zipfile.is_zipfile checks the end record alone (one real photo in ~65,000 has one by
    chance); opening the archive would build every entry of a hostile directory in memory."""
    end = data.rfind(_ZIP_END, max(0, len(data) - 65_557))
    if end < 0 or len(data) < end + 22:
        return False
    cd_size, cd_offset = struct.unpack_from("<II", data, end + 12)
    if cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        return True  # ZIP64: its real values are elsewhere; an image has no business with one
    start = end - cd_size
    return cd_size > 0 and start >= 0 and data[start:start + 4] == b"PK\x01\x02"
