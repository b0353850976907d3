"""Message shapes: one frozen, versioned, validated model per message type.

The type travels in the AMQP `type` property (e.g. `post.discovered.v1`); the body is the
model's JSON. `decode()` is the only way a consumer turns a delivery into a message. A run's
messages have ids derived from the run (`train:<run>`, `build:<run>`, `<run>:<media>`), made by
their constructors here alone (`TrainRequested.for_run`, `PostDiscovered.of_post`,
`BuildRequested.for_run`): a message published again is the same message.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.model.formats import FORMATS as MODEL_FORMATS


def new_id() -> str:
    return uuid.uuid4().hex


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    TYPE: ClassVar[str]

    message_id: str = Field(default_factory=new_id, min_length=1, max_length=200)

    def body(self) -> str:
        return self.model_dump_json()


class TrainRequested(Message):
    """gateway → ingestor: list the user's Instagram media for this run."""
    TYPE: ClassVar[str] = "train.requested.v1"
    run_id: str
    user_id: str

    @classmethod
    def for_run(cls, run_id: str, user_id: str) -> TrainRequested:
        return cls(message_id=f"train:{run_id}", run_id=run_id, user_id=user_id)


class PostDiscovered(Message):
    """ingestor → labelers: one new image post of a run."""
    TYPE: ClassVar[str] = "post.discovered.v1"
    run_id: str
    user_id: str
    media_id: str
    media_url: str
    timestamp: datetime
    caption: str | None = None
    permalink: str | None = None
    media_type: str = "IMAGE"
    product_type: str | None = None  # Instagram's media_product_type (FEED, REELS, ...)
    likes: int = Field(ge=0)
    comments: int | None = Field(default=None, ge=0)

    @classmethod
    def of_post(cls, post: dict) -> PostDiscovered:
        """The message of one listed post (its fields as the run's media keep them)."""
        return cls(message_id=f"{post['run_id']}:{post['media_id']}", **post)


class BuildRequested(Message):
    """labeler (last post of a run) or gateway (rebuild) → builder."""
    TYPE: ClassVar[str] = "model.build.v1"
    user_id: str
    run_id: str | None = None
    reason: Literal["run_complete", "rebuild"] = "run_complete"

    @classmethod
    def for_run(cls, run_id: str, user_id: str) -> BuildRequested:
        """The build of a run whose every post is counted."""
        return cls(message_id=f"build:{run_id}", user_id=user_id, run_id=run_id)

    @classmethod
    def rebuild(cls, user_id: str) -> BuildRequested:
        """A build from the user's stored posts, asked for outside any run (a fresh id each)."""
        return cls(user_id=user_id, reason="rebuild")


class InferRequest(Message):
    """gateway → inferer (RPC): label an uploaded image and apply the user's model."""
    TYPE: ClassVar[str] = "infer.request.v1"
    user_id: str
    image_key: str
    sha256: str | None = None  # of the image bytes: a cached image is answered without reading it
    model_kind: str | None = None
    deadline: float | None = None  # epoch seconds after which nobody waits for the answer


#: The formats a person can post today, by the word people use, as (media_type, product_type):
#: the model's table (shared.model.formats, in its order) named. The gateway, the inferer,
#: the web app (its choices are rendered from it) and the CLI read this. A video posted today
#: is a reel, so VIDEO/FEED (older feed videos, still in people's histories) is not offered.
FORMATS: dict[str, tuple[str, str]] = dict(zip(("photo", "carousel", "reel"), MODEL_FORMATS, strict=True))
#: Instagram's media_type and media_product_type values a prediction can name.
MEDIA_TYPES: tuple[str, ...] = tuple(dict.fromkeys(media for media, _ in FORMATS.values()))
PRODUCT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(product for _, product in FORMATS.values()))
DEFAULT_FORMAT = "photo"
#: Instagram's limit on a caption, in characters.
MAX_CAPTION_CHARS = 2200


class UnknownFormat(ValueError):
    """A media_type / product_type pair that is not one of FORMATS."""


def post_format(media_type: str | None = None, product_type: str | None = None) -> tuple[str, str]:
    """The (media_type, product_type) a request names, a missing half filled in from the other
    (nothing: a photo; VIDEO alone: a reel; REELS alone: a video); UnknownFormat otherwise."""
    if media_type is None and product_type is None:
        return FORMATS[DEFAULT_FORMAT]
    for media, product in FORMATS.values():
        if media_type in (None, media) and product_type in (None, product):
            return media, product
    known = ", ".join(f"{m}/{p} ({name})" for name, (m, p) in FORMATS.items())
    raise UnknownFormat(f"{media_type or '-'}/{product_type or '-'} is not a format you can post; known: {known}")


class InferRequestV2(InferRequest):
    """gateway → inferer (RPC): v1 and the post the person intends: its format and its caption.
    The gateway sends v1 when neither is given (an inferer of before v2 still answers it); an
    inferer answers both (v1: a photo in the feed, no caption)."""
    TYPE: ClassVar[str] = "infer.request.v2"
    media_type: Literal[MEDIA_TYPES] = FORMATS[DEFAULT_FORMAT][0]  # type: ignore[valid-type]
    product_type: Literal[PRODUCT_TYPES] = FORMATS[DEFAULT_FORMAT][1]  # type: ignore[valid-type]
    caption: str | None = Field(default=None, max_length=MAX_CAPTION_CHARS)

    @model_validator(mode="after")
    def _a_format_one_can_post(self):
        post_format(self.media_type, self.product_type)
        return self


def infer_request(*, media_type: str | None = None, product_type: str | None = None, caption: str | None = None,
                  **fields) -> InferRequest:
    """The request to send: v2 when a format or a caption is named, v1 otherwise."""
    if media_type is None and product_type is None and caption is None:
        return InferRequest(**fields)
    media_type, product_type = post_format(media_type, product_type)
    return InferRequestV2(media_type=media_type, product_type=product_type, caption=caption, **fields)


class InferReply(Message):
    """inferer → gateway: the prediction, or an error code the gateway maps to HTTP."""
    TYPE: ClassVar[str] = "infer.reply.v1"
    ok: bool
    #: The prediction as shared.model answers it (docs/model.md): likes, comments, their ranges and
    #: explanations, and `metrics` (reach, views, saves, shares, each predicted or why not: a key of
    #: the result since issue 24, not a field of the message, so the type stays v1).
    result: dict | None = None
    error_code: str | None = None
    error_message: str | None = None


MESSAGE_TYPES: dict[str, type[Message]] = {
    m.TYPE: m for m in (TrainRequested, PostDiscovered, BuildRequested, InferRequest, InferRequestV2, InferReply)
}


class UndecodableMessage(ValueError):
    """A delivery that no retry can fix: unknown type, bad JSON, or a shape that fails validation."""


def decode(type_name: str | None, body: bytes | str) -> Message:
    model = MESSAGE_TYPES.get(type_name or "")
    if model is None:
        raise UndecodableMessage(f"unknown message type {type_name!r}")
    try:
        data = json.loads(body)
        return model.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise UndecodableMessage(f"invalid {type_name}: {exc}") from exc
