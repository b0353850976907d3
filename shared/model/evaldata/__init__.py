"""An evaluation set for the backtest: accounts of many regimes, written as posts JSONL.

    python -m shared.model.evaldata --out /tmp/eval.jsonl [--accounts 80] [--seed 2]

Why a generator of its own: the sandbox's demo account is made by our own generator and the
models must not be tuned to it. This one is written to be *unlike* the `trend` model it tests
(see docs/model.md): audiences follow follower counts that grow linearly, along an S-curve,
jump once (a post that went viral), shrink, stay flat, or wake up after a dormant start (the
seed report's own account); like counts are negative-binomial (heavy tails, with rare viral
outliers) around an engagement rate, not log-normal; content acts through *topics* (a dog
photo carries Dog, Pet, Animal, Mammal, Canine...), not through independent labels, and in
a third of the accounts content does not matter at all; the topic mix may drift over time
(which confounds a per-label average with the trend); posting hour matters in the account's
own time zone for some accounts only; comments are missing for some accounts or some posts.
Every regime's parameters are drawn from wide ranges.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np

# A small taxonomy in the style of image-labeling services: a topic emits its own labels
# and their parents (correlated labels), with confidences.
TOPICS: dict[str, list[str]] = {
    "dog": ["Dog", "Pet", "Animal", "Mammal", "Canine", "Puppy"],
    "cat": ["Cat", "Pet", "Animal", "Mammal", "Kitten"],
    "food": ["Food", "Meal", "Dish", "Plate", "Lunch", "Dinner"],
    "dessert": ["Dessert", "Food", "Cake", "Sweets", "Cream"],
    "coffee": ["Coffee Cup", "Cup", "Beverage", "Drink", "Latte"],
    "beach": ["Beach", "Sea", "Ocean", "Water", "Shoreline", "Sand", "Outdoors"],
    "mountain": ["Mountain", "Nature", "Outdoors", "Landscape", "Peak", "Scenery"],
    "city": ["City", "Urban", "Building", "Architecture", "Town", "Street"],
    "selfie": ["Person", "Human", "Face", "Selfie", "Portrait", "Smile"],
    "group": ["Person", "Human", "People", "Crowd", "Party", "Friends"],
    "car": ["Car", "Vehicle", "Transportation", "Automobile", "Wheel"],
    "flower": ["Flower", "Plant", "Blossom", "Petal", "Garden"],
    "sport": ["Sport", "Sports", "Person", "Ball", "Athlete", "Stadium"],
    "fashion": ["Clothing", "Apparel", "Fashion", "Dress", "Shoe", "Person"],
    "art": ["Art", "Painting", "Drawing", "Canvas", "Modern Art"],
    "sunset": ["Sunset", "Sky", "Dusk", "Red Sky", "Nature", "Outdoors"],
}
GENERIC = ["Outdoors", "Nature", "Sky", "Indoors", "Light", "Text", "Plant", "Tree", "Wood",
           "Night", "Daytime", "Furniture", "Room", "Pattern", "Art"]
TREND_REGIMES = ("grow_linear", "grow_scurve", "viral_jump", "shrink", "flat", "dormant_then_active")
LABEL_REGIMES = ("none", "mild", "strong")


def _followers(regime: str, x: np.ndarray, rng) -> np.ndarray:
    """Audience size over relative time x in [0, 1], starting at 1."""
    if regime == "grow_linear":
        return 1.0 + rng.uniform(1.0, 6.0) * x
    if regime == "grow_scurve":
        mid, k, top = rng.uniform(0.3, 0.8), rng.uniform(6, 15), rng.uniform(3, 12)
        return 1.0 + (top - 1.0) / (1.0 + np.exp(-k * (x - mid)))
    if regime == "viral_jump":
        at = rng.uniform(0.3, 0.85)
        return np.where(x < at, 1.0, rng.uniform(2.5, 8.0)) * (1 + 0.3 * x)
    if regime == "shrink":
        return np.exp(-rng.uniform(0.4, 1.6) * x)
    if regime == "flat":
        return np.ones_like(x) * (1 + 0.05 * np.sin(6 * x))
    if regime == "dormant_then_active":  # the first 20-50% of the posts, rare and little liked
        at = x[int(rng.uniform(0.2, 0.5) * x.size)]
        return np.where(x < at, rng.uniform(0.08, 0.25), 1.0 + 0.5 * (x - at))
    raise ValueError(regime)


def _times(n: int, regime: str, rng) -> np.ndarray:
    """Posting times, days from the account's start: bursty gaps, some long pauses."""
    gaps = rng.gamma(rng.uniform(0.4, 1.5), rng.uniform(1.0, 6.0), size=n)
    pauses = rng.random(n) < 0.02
    gaps[pauses] *= rng.uniform(10, 40)
    if regime == "dormant_then_active":  # rare posts first, as in the seed report's account
        gaps[: max(2, n // 3)] *= rng.uniform(5, 15)
    return np.cumsum(gaps)


def account(idx: int, rng) -> list[dict]:
    n = int(rng.choice([12, 20, 35, 60, 100, 150, 250, 400]))
    trend = TREND_REGIMES[idx % len(TREND_REGIMES)]
    label_regime = LABEL_REGIMES[(idx // len(TREND_REGIMES)) % len(LABEL_REGIMES)]
    days = _times(n, trend, rng)
    x = days / max(days[-1], 1e-9)
    audience = _followers(trend, x, rng)
    base = math.exp(rng.uniform(math.log(8), math.log(3000)))  # likes per post at the start
    topics = list(TOPICS)
    own = rng.choice(len(topics), size=int(rng.integers(2, 7)), replace=False)
    mix0 = rng.dirichlet(np.ones(own.size))
    mix1 = rng.dirichlet(np.ones(own.size)) if rng.random() < 0.5 else mix0  # topic drift
    sigma = {"none": 0.0, "mild": 0.25, "strong": 0.7}[label_regime]
    effect = {t: math.exp(rng.normal(0, sigma)) for t in topics}
    tz = int(rng.integers(-10, 11))
    hour_amp = rng.choice([0.0, 0.0, 0.15, 0.35])
    peak = rng.uniform(0, 24)
    noise = rng.uniform(0.15, 0.7)
    disp = rng.uniform(4.0, 40.0)  # negative-binomial shape: small = heavy tail
    comment_rate = rng.uniform(0.005, 0.08)
    comments_mode = rng.choice(["all", "all", "some", "none"])
    start = datetime(2016, 1, 1, tzinfo=timezone.utc) + timedelta(days=float(rng.uniform(0, 2000)))
    posts = []
    for i in range(n):
        mix = (1 - x[i]) * mix0 + x[i] * mix1
        k = 1 if rng.random() < 0.7 else 2
        chosen = [topics[j] for j in rng.choice(own, size=k, replace=False, p=mix)]
        ts = start + timedelta(days=float(days[i]) + float(rng.uniform(0, 1)))
        local_hour = (ts.hour + ts.minute / 60 + tz) % 24
        hour_mult = math.exp(hour_amp * math.cos(2 * math.pi * (local_hour - peak) / 24))
        content = float(np.prod([effect[t] for t in chosen]) ** (1 / len(chosen)))
        viral = rng.uniform(4, 15) if rng.random() < 0.01 else 1.0
        lam = base * audience[i] * content * hour_mult * viral * math.exp(rng.normal(0, noise))
        likes = int(rng.negative_binomial(disp, disp / (disp + lam)))
        cl = lam * comment_rate * math.exp(rng.normal(0, 0.4))
        comments: int | None = int(rng.negative_binomial(2.0, 2.0 / (2.0 + cl)))
        if comments_mode == "none" or (comments_mode == "some" and rng.random() < 0.3):
            comments = None
        labels: dict[str, float] = {}
        for t in chosen:
            for j, name in enumerate(TOPICS[t]):
                if rng.random() < 0.95 - 0.08 * j:
                    labels[name] = max(labels.get(name, 0), round(float(rng.uniform(60, 99.9)) - 3 * j, 2))
        for name in rng.choice(GENERIC, size=int(rng.integers(0, 5)), replace=False):
            labels.setdefault(str(name), round(float(rng.uniform(40, 95)), 2))
        if rng.random() < 0.3:  # a rare, one-off label
            labels[f"Thing{int(rng.integers(0, 100000))}"] = round(float(rng.uniform(50, 90)), 2)
        posts.append({"account": f"eval{idx:03d}-{trend}-{label_regime}", "id": f"{idx}-{i}",
                      "timestamp": ts.isoformat(), "likes": likes, "comments": comments,
                      "labels": [{"name": k2, "confidence": v} for k2, v in labels.items()]})
    return posts


def generate(accounts: int = 72, seed: int = 2) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(accounts):
        out.extend(account(i, rng))
    return out


def main(argv=None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--accounts", type=int, default=72)
    ap.add_argument("--seed", type=int, default=2)
    a = ap.parse_args(argv)
    posts = generate(a.accounts, a.seed)
    with open(a.out, "w") as f:
        for p in posts:
            f.write(json.dumps(p) + "\n")
    print(json.dumps({"posts": len(posts), "accounts": a.accounts, "seed": a.seed, "out": a.out}))
