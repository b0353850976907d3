"""The shapes of the API's answers (and the query strings it reads), as pydantic models:
/openapi.json is generated from them (`services.gateway.http.openapi`), so the spec says what the
routes answer. Request bodies are the models next to their routes (`accounts.routes`, `runs.instagram`)."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import MEDIA_TYPES, PRODUCT_TYPES
from shared.model import KINDS
from shared.model.post_metrics import RANK_BY
from shared.run_state import LIVE_STATES, TERMINAL_STATES


class _Open(BaseModel):
    """An answer that may carry more than these fields (newer fields, error details)."""

    model_config = ConfigDict(extra="allow")


#: What the API takes as an email address (services.gateway.accounts.mail normal_address takes a little more). The
#: characters Python counts as space beyond JSON Schema's `\s` (ECMA-262) are spelt out.
_CHAR = r"[^@\s\u001c-\u001f\u0085"
EMAIL_PATTERN = rf"^{_CHAR}]+@{_CHAR}.]+(\.{_CHAR}.]+)+$"


class ErrorDetail(_Open):
    code: str = Field(description="snake_case, stable: what went wrong")
    message: str = Field(description="in words, for people")


class Error(BaseModel):
    error: ErrorDetail


class User(_Open):
    user_id: str
    email: str


class Me(_Open):
    user_id: str
    email: Optional[str]


class Session(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    expires_at: str = Field(description="ISO-8601")
    user_id: str


class Authorize(BaseModel):
    url: str = Field(description="Instagram's authorization page, to open in the browser")
    state: str


class InstagramStatus(BaseModel):
    connected: bool
    username: Optional[str]
    valid: bool
    expires_at: Optional[str]


RUN_STATES = tuple(s.value for s in (*sorted(LIVE_STATES), *TERMINAL_STATES))


class RunStarted(BaseModel):
    run_id: str
    state: Literal[RUN_STATES]  # type: ignore[valid-type]


class RunStatus(RunStarted):
    total: int
    done: int
    failed: int
    started_at: Optional[str]
    finished_at: Optional[str]
    reason: Optional[str] = Field(description="why the run failed or ended early")
    likes_hidden: Optional[int] = Field(description="posts left out because their likes are hidden")


class Queued(BaseModel):
    request_id: str
    state: Literal["queued"]


MediaType = Literal[MEDIA_TYPES]  # type: ignore[valid-type]
ProductType = Literal[PRODUCT_TYPES]  # type: ignore[valid-type]


class PostFormat(_Open):
    media_type: MediaType
    product_type: ProductType
    likes_factor: Optional[float] = Field(description="the format's effect on likes against a photo (x1.4)")
    comments_factor: Optional[float]


class FormatOutcome(_Open):
    media_type: MediaType
    product_type: ProductType
    likes: Optional[float]
    comments: Optional[float]
    likes_range: Optional[list[float]] = Field(description="80% range [low, high]")
    comments_range: Optional[list[float]]
    likes_factor: Optional[float]
    posts: int = Field(description="how many of the account's posts had this format")


class HashtagEffect(_Open):
    name: str = Field(description="as written, with its # (lower case)")
    matched: bool = Field(description="seen in the account's past captions")
    likes: Optional[float] = Field(description="the likes the prediction would lose without it")
    likes_factor: Optional[float]
    comments: Optional[float]
    comments_factor: Optional[float]


class CaptionEffect(_Open):
    given: bool = Field(description="false: no caption, the prediction is the image's alone")
    hashtags: list[HashtagEffect]
    mentions: int
    length: int = Field(description="characters")


class MetricEffect(_Open):
    name: str = Field(description="a label, or a caption's hashtag ('#name')")
    matched: bool = Field(description="seen on the account's posts that have this metric")
    effect: Optional[float] = Field(description="what the prediction would lose without it (negative: it lowers it)")
    factor: Optional[float]


class MetricPrediction(_Open):
    """One metric Instagram reports beside likes (reach, views, saves, shares), predicted by the
    same model fitted on the account's posts that have it; or why the model has not got it."""

    available: bool = Field(description="false: the model has not got this metric (`reason`, `why`)")
    posts: int = Field(description="the account's posts with a settled count of it, trained on")
    value: Optional[float] = Field(default=None, description="the prediction (a median)")
    range: Optional[list[float]] = Field(default=None, description="80% range [low, high]")
    level: Optional[float] = Field(default=None, description="the prediction without any label or hashtag")
    labels: Optional[list[MetricEffect]] = None
    hashtags: Optional[list[MetricEffect]] = None
    factors: Optional[dict[str, float]] = Field(default=None, description="gap, hour, format and caption factors")
    format_factor: Optional[float] = None
    backtest: Optional[dict] = Field(default=None, description="{mae, mae_log, spearman, coverage_80, test_posts, "
                                                               "train_posts} on the newest posts, held out")
    reason: Optional[Literal["not_granted", "too_old", "not_available", "no_data", "not_settled", "unreadable",
                             "not_read", "not_enough_posts"]] = Field(default=None, description="why not, as a code")
    why: Optional[str] = Field(default=None, description="why not, in words (the posts missing it, by reason)")


class Prediction(_Open):
    id: str
    created_at: str
    image_url: str = Field(description="a signed URL of the uploaded image, valid for an hour")
    filename: Optional[str]
    likes: Optional[float]
    comments: Optional[float]
    model_version: int
    model_kind: str
    labels: list[dict] = Field(description="{name, confidence, matched, likes, comments, parents}")
    rank: Optional[int] = Field(default=None, description="several images: 1 for the best by `rank_by`")
    format: Optional[PostFormat] = Field(default=None, description="the format asked for and its effect")
    formats: Optional[list[FormatOutcome]] = Field(
        default=None, description="what the same image would get as each format one can post (photo, carousel, reel)")
    caption: Optional[CaptionEffect] = Field(default=None, description="the caption's hashtags and their effects")
    metrics: Optional[dict[str, MetricPrediction]] = Field(
        default=None, description="reach, views, saves, shares: each predicted where the model has it, else why not "
                                  "(null: a prediction made before Likely read insights)")
    rank_by: Optional[str] = Field(default=None, description="several images: what they were ranked by")


class Ranked(BaseModel):
    predictions: list[Prediction] = Field(description="best first")


class History(BaseModel):
    predictions: list[Prediction]
    page: int
    per_page: int
    total: int


#: POST /api/v1/predictions answers one prediction for one image, the ranking for several.
PredictionAnswer = Union[Prediction, Ranked]


class ModelQuery(BaseModel):
    coefficients: Optional[Literal["1", "true", "0", "false"]] = Field(
        default=None, description="1 or true: add each label's coefficients")


class HistoryQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=20, ge=1, le=100)


class PredictQuery(BaseModel):
    model: Optional[Literal[KINDS]] = Field(  # type: ignore[valid-type]
        default=None, description="the model kind to ask (default: the one the model selected)")
    rank_by: Literal[RANK_BY] = Field(  # type: ignore[valid-type]
        default="likes", description="several images: rank them by this prediction (a metric the model has not got: "
                                     "409 metric_not_predicted)")

    error_codes: ClassVar[dict] = {("model", "literal_error"): "unknown_model_kind",
                                   ("rank_by", "literal_error"): "unknown_rank_by"}


class ImageQuery(BaseModel):
    sig: Optional[str] = Field(default=None, max_length=64, description="the signed URL's signature")
    exp: Optional[int] = Field(default=None, ge=0, description="the signed URL's expiry, Unix time")


class AdminDeadLettersQuery(BaseModel):
    limit: int = Field(default=50, description="how many, newest first (1 to 500)")


class AdminReplay(BaseModel):
    ids: Optional[list[str]] = Field(default=None, description="the dead letters to replay")
    all: Optional[bool] = Field(default=None, description="true: every one still waiting")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(description="mongodb, redis, rabbitmq: ok or why not")


# --- GET /api/v1/insights (services.gateway.insights; docs/insights.md) ---------------------------

class InsightsQuery(BaseModel):
    tz: str = Field(default="UTC", min_length=1, max_length=64,
                    description="the person's time zone, an IANA name (Europe/Athens): the slots are in it")


class Effect(_Open):
    effect: float = Field(description="log-scale effect on likes against the account's typical post")
    low: float = Field(description="the 90% interval's low end (log scale)")
    high: float
    factor: float = Field(description="times the likes of the typical post: exp(effect)")
    factor_low: float
    factor_high: float
    evidence: bool = Field(description="false: the 90% interval includes no effect (not enough evidence)")


class TimeCell(Effect):
    weekday: int = Field(ge=0, le=6, description="0 = Monday, in the time zone asked")
    hour: int = Field(ge=0, le=23)
    posts: int = Field(description="the account's posts in this slot")


class BestSlot(TimeCell):
    slot: str = Field(description="in words: Tuesday 18:00–19:00")


class WeekdayEffect(Effect):
    weekday: int = Field(ge=0, le=6)
    posts: int


class HourEffect(Effect):
    hour: int = Field(ge=0, le=23)
    posts: int


Verdict = Literal["evidence", "not_enough_evidence"]


class Timing(_Open):
    time_zone: str
    verdict: Verdict = Field(description="evidence only where a best slot's interval lies above no effect")
    message: str = Field(description="the answer in words")
    posts: int
    cells: list[TimeCell] = Field(description="every weekday × hour (168), weekday-major")
    weekdays: list[WeekdayEffect]
    hours: list[HourEffect]
    best: list[BestSlot] = Field(description="up to 3 slots, best first, each posted at 3 times at least")


class WorkingItem(Effect):
    name: str = Field(description="a label, a hashtag (with its #) or a format (VIDEO, CAROUSEL_ALBUM, REELS)")
    kind: Literal["label", "hashtag", "format"]
    posts: int = Field(description="the posts carrying it")
    z: float = Field(description="|effect| / its standard error: the ranking")


class WhatWorks(_Open):
    verdict: Verdict
    message: str
    items: list[WorkingItem] = Field(description="ranked by evidence; seen on 3 posts at least")


class FollowersHour(BaseModel):
    hour: int = Field(ge=0, le=23, description="in the time zone asked")
    followers: float = Field(description="mean followers online in that hour")


class OnlineFollowers(_Open):
    status: Literal["shown", "not_connected", "not_granted", "no_data", "unavailable"]
    message: str
    days: int
    hours: Optional[list[FollowersHour]]
    peak_hour: Optional[int]


class Insights(_Open):
    model_version: int
    trained_at: str
    posts: int = Field(description="the posts the timing was read from (the newest 1,000 at most)")
    level: float = Field(description="the intervals' level: 0.9")
    time_zone: str
    timing: Timing
    effects: WhatWorks
    online_followers: OnlineFollowers = Field(description="Instagram's figures, where granted, shown beside")
