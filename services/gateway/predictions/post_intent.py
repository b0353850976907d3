"""The post a person intends, as a prediction request names it beside its images: the format
(`media_type`, `product_type`) and the `caption` (multipart text fields, all optional).

The formats come from shared.contracts (FORMATS); /openapi.json describes the fields with
the same table, and the pairs one can post as one branch per format (`anyOf`), so the spec
refuses what the route refuses. Read before anything is stored: a bad field changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.gateway.http.errors import ApiError
from shared.contracts import FORMATS, MAX_CAPTION_CHARS, MEDIA_TYPES, PRODUCT_TYPES, UnknownFormat, post_format

#: The multipart fields, as JSON Schema (`services.gateway.predictions.routes` puts them in the form).
FIELDS: dict[str, dict] = {
    "media_type": {"type": "string", "enum": list(MEDIA_TYPES), "description":
                   "the format intended (Instagram's media_type; default IMAGE, or VIDEO with product_type REELS)"},
    "product_type": {"type": "string", "enum": list(PRODUCT_TYPES), "description":
                     "Instagram's media_product_type (default FEED, or REELS with media_type VIDEO)"},
    "caption": {"type": "string", "maxLength": MAX_CAPTION_CHARS, "description":
                f"the caption intended (at most {MAX_CAPTION_CHARS:,} characters, a line break counted once): "
                "its hashtags, mentions and length count; none or blank: the prediction is the image's alone"},
}

#: The pairs one can post: a form matches one branch (a field left out is filled in from the other).
FORMAT_CHOICES: dict = {"anyOf": [
    {"properties": {"media_type": {"const": media}, "product_type": {"const": product}}}
    for media, product in FORMATS.values()]}


@dataclass(frozen=True)
class Intent:
    media_type: str | None = None  # None: not named (the inferer fills the default in)
    product_type: str | None = None
    caption: str | None = None  # None: no caption given


def _text(form, files, name: str) -> str | None:
    """The one text value of field `name`, or None when it is absent."""
    if name in files:
        raise ApiError(400, f"invalid_{name}", f"{name}: send it as a text field, not a file.", field=name)
    values = form.getlist(name)
    if len(values) > 1:
        raise ApiError(400, f"invalid_{name}", f"{name}: send it once (got {len(values)}).", field=name)
    return values[0] if values else None


def _choice(form, files, name: str, known: tuple[str, ...]) -> str | None:
    value = _text(form, files, name)
    if value is not None and value not in known:
        raise ApiError(400, f"unknown_{name}", f"{name}: {value[:40]!r} is not one of {', '.join(known)}.",
                       field=name)
    return value


def caption_of(value: str | None) -> str | None:
    """The caption as Instagram counts it (a line break is one character); None when blank."""
    if value is None:
        return None
    value = value.replace("\r\n", "\n")
    if len(value) > MAX_CAPTION_CHARS:
        raise ApiError(400, "caption_too_long", f"caption: {len(value):,} characters; Instagram allows at most "
                                                f"{MAX_CAPTION_CHARS:,}.", field="caption")
    return value if value.strip() else None


def read(form, files) -> Intent:
    """The request's format and caption, checked; a 400 naming the field otherwise."""
    media_type = _choice(form, files, "media_type", MEDIA_TYPES)
    product_type = _choice(form, files, "product_type", PRODUCT_TYPES)
    try:
        post_format(media_type, product_type)
    except UnknownFormat as exc:
        raise ApiError(400, "unknown_format", f"media_type, product_type: {exc}.",
                       field="media_type,product_type") from None
    return Intent(media_type, product_type, caption_of(_text(form, files, "caption")))
