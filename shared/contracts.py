"""Message shapes: one frozen, versioned, validated model per message type.

The type travels in the AMQP `type` property (e.g. `post.discovered.v1`); the body is the
model's JSON. `decode()` is the only way a consumer turns a delivery into a message.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


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


class BuildRequested(Message):
    """labeler (last post of a run) or gateway (rebuild) → builder."""
    TYPE: ClassVar[str] = "model.build.v1"
    user_id: str
    run_id: str | None = None
    reason: Literal["run_complete", "rebuild"] = "run_complete"


class InferRequest(Message):
    """gateway → inferer (RPC): label an uploaded image and apply the user's model."""
    TYPE: ClassVar[str] = "infer.request.v1"
    user_id: str
    image_key: str
    sha256: str | None = None  # of the image bytes: a cached image is answered without reading it
    model_kind: str | None = None
    deadline: float | None = None  # epoch seconds after which nobody waits for the answer


class InferReply(Message):
    """inferer → gateway: the prediction, or an error code the gateway maps to HTTP."""
    TYPE: ClassVar[str] = "infer.reply.v1"
    ok: bool
    result: dict | None = None
    error_code: str | None = None
    error_message: str | None = None


MESSAGE_TYPES: dict[str, type[Message]] = {
    m.TYPE: m for m in (TrainRequested, PostDiscovered, BuildRequested, InferRequest, InferReply)
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
