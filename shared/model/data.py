"""Training posts and their encoding into flat numpy arrays (shared by every model kind)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from .caption import caption_features
from .formats import media_of

#: Labels below this confidence are dropped, at fit and at predict time (the seed's threshold: docs/design.md).
MIN_CONFIDENCE = 50.0
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DAY = 86400.0


class NotEnoughPosts(Exception):
    """Raised when a user has no usable post to fit a model on."""


@dataclass(frozen=True)
class TrainingPost:
    media_id: str
    timestamp: datetime  # tz-aware, UTC
    likes: int
    comments: int | None
    labels: tuple[tuple[str, float], ...]  # (name, confidence 0-100)
    #: Instagram's media_product_type ("FEED", "REELS", ...); None when unknown. A feature.
    product_type: str | None = None
    #: Instagram's media_type (IMAGE, VIDEO, CAROUSEL_ALBUM); None when unknown. A feature.
    media_type: str | None = None
    #: The caption's text (None: unknown): its hashtags, mentions and length are features.
    caption: str | None = None


def to_days(ts: datetime) -> float:
    """Days since the Unix epoch (naive datetimes are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return (ts - _EPOCH).total_seconds() / DAY


def from_days(days: float) -> datetime:
    return datetime.fromtimestamp(days * DAY, tz=timezone.utc)


def hour_dow(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTC hour of day (0-23) and day of week (0 = Monday) of times given in epoch days."""
    d = np.floor(days)
    hour = np.clip(((days - d) * 24.0).astype(np.int64), 0, 23)
    dow = ((d.astype(np.int64) + 3) % 7)  # 1970-01-01 was a Thursday
    return hour, dow


@dataclass
class Encoded:
    """Usable posts sorted by time, with their labels flattened.

    Post i's labels are lab[offsets[i]:offsets[i+1]] (indices into vocab) with weights
    conf[...] in (0, 1]; post_of maps each flat entry back to its post.
    """

    t: np.ndarray  # epoch days, ascending
    likes: np.ndarray  # float
    comments: np.ndarray  # float, nan where unknown
    vocab: list[str]
    lab: np.ndarray
    conf: np.ndarray
    post_of: np.ndarray
    offsets: np.ndarray
    ptype: np.ndarray = None  # type: ignore[assignment]  # set by __post_init__; object array: each post's product type (str) or None
    mtype: np.ndarray = None  # type: ignore[assignment]  # set by __post_init__; object array: each post's media type (str) or None
    mentions: np.ndarray = None  # type: ignore[assignment]  # set by __post_init__; the caption's mentions; nan where the caption is unknown
    caplen: np.ndarray = None  # type: ignore[assignment]  # set by __post_init__; the caption's length in characters; nan where unknown

    def __post_init__(self):
        n = self.t.shape[0]
        if self.ptype is None:
            self.ptype = np.full(n, None, dtype=object)
        if self.mtype is None:
            self.mtype = np.full(n, None, dtype=object)
        if self.mentions is None:
            self.mentions = np.full(n, np.nan)
        if self.caplen is None:
            self.caplen = np.full(n, np.nan)

    def _rows(self, rows: slice) -> tuple:
        return self.ptype[rows], self.mtype[rows], self.mentions[rows], self.caplen[rows]

    @property
    def n(self) -> int:
        return int(self.t.shape[0])

    def subset(self, count: int) -> "Encoded":
        """The first `count` posts (the oldest), sharing the vocabulary."""
        end = int(self.offsets[count])
        return Encoded(self.t[:count], self.likes[:count], self.comments[:count], self.vocab,
                       self.lab[:end], self.conf[:end], self.post_of[:end], self.offsets[: count + 1],
                       *self._rows(slice(None, count)))

    def tail(self, start: int) -> "Encoded":
        """Posts from index `start` on (the newest)."""
        b = int(self.offsets[start])
        return Encoded(self.t[start:], self.likes[start:], self.comments[start:], self.vocab,
                       self.lab[b:], self.conf[b:], self.post_of[b:] - start, self.offsets[start:] - b,
                       *self._rows(slice(start, None)))

    def labels_of(self, i: int) -> list[tuple[str, float]]:
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return [(self.vocab[j], float(c) * 100.0)
                for j, c in zip(self.lab[a:b].tolist(), self.conf[a:b].tolist(), strict=True)]


def usable(posts) -> list[TrainingPost]:
    """Posts with a like count (negative or missing counts are not usable)."""
    return [p for p in posts if p.likes is not None and p.likes >= 0 and p.timestamp is not None]


def encode(posts: list[TrainingPost]) -> Encoded:
    posts = sorted(usable(posts), key=lambda p: to_days(p.timestamp))
    n = len(posts)
    t = np.fromiter((to_days(p.timestamp) for p in posts), dtype=np.float64, count=n)
    likes = np.fromiter((p.likes for p in posts), dtype=np.float64, count=n)
    comments = np.fromiter((np.nan if p.comments is None or p.comments < 0 else p.comments for p in posts),
                           dtype=np.float64, count=n)
    captions = [None if p.caption is None else caption_features(p.caption) for p in posts]
    vocab, lab_a, conf_a, counts = _flat_labels(posts, captions)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    post_of = np.repeat(np.arange(n, dtype=np.int64), counts)
    ptype = np.empty(n, dtype=object)  # filled item by item: numpy would split strings otherwise
    ptype[:] = [p.product_type or None for p in posts]
    mtype = np.empty(n, dtype=object)
    mtype[:] = [media_of(p.media_type, p.product_type) for p in posts]
    mentions = np.array([np.nan if c is None else c.mentions for c in captions], dtype=np.float64)
    caplen = np.array([np.nan if c is None else c.length for c in captions], dtype=np.float64)
    return Encoded(t, likes, comments, vocab, lab_a, conf_a, post_of, offsets, ptype, mtype, mentions, caplen)


def _flat_labels(posts, captions):
    """(vocab, label index, confidence in (0, 1], labels per post) of labels >= MIN_CONFIDENCE,
    and of the caption's hashtags ('#name', confidence 100: the caption says it)."""
    names: list[str] = []
    confs: list[float] = []
    counts = np.zeros(len(posts), dtype=np.int64)
    for i, p in enumerate(posts):
        seen: dict[str, float] = {}
        for name, c in p.labels:  # one entry per name, its highest confidence
            if c is not None and c >= MIN_CONFIDENCE and (name not in seen or seen[name] < c):
                seen[name] = c
        for tag in captions[i].hashtags if captions[i] is not None else ():
            seen[tag] = 100.0
        counts[i] = len(seen)
        names.extend(seen.keys())
        confs.extend(seen.values())
    vocab = list(dict.fromkeys(names))
    index = {name: j for j, name in enumerate(vocab)}
    lab = np.fromiter(map(index.__getitem__, names), dtype=np.int64, count=len(names))
    return vocab, lab, np.minimum(np.asarray(confs, dtype=np.float64), 100.0) / 100.0, counts


def clean_labels(labels) -> list[tuple[str, float]]:
    """Labels of an image to predict for: confidence >= MIN_CONFIDENCE, one entry per name."""
    seen: dict[str, float] = {}
    for name, c in labels or ():
        if c is not None and c >= MIN_CONFIDENCE and (name not in seen or seen[name] < c):
            seen[name] = float(c)
    return list(seen.items())
