"""The demo account's source photographs (real photos that ship inside registry packages,
PROVENANCE.md) with what each shows and how its posts do, and the variations that turn one
photograph into many distinct posts. Used by make_demo."""
from __future__ import annotations

import hashlib
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


@dataclass(frozen=True)
class Source:
    key: str
    package: str  # distribution that ships the file
    module: str  # importable package the file is in
    path: str  # path inside that package
    shows: str
    likes: float  # content effect on likes
    comments: float  # content effect on comments per like
    captions: tuple[str, ...]
    tags: str


SOURCES: tuple[Source, ...] = (
    Source("astronaut", "scikit-image", "skimage", "data/astronaut.png",
           "portrait of a person (astronaut Eileen Collins)", 2.0, 1.4,
           ("Met a real astronaut today!", "Portrait session, flight suit edition", "Role models.",
            "That smile after 38 days in space"),
           "#portrait #space #people"),
    Source("camera", "scikit-image", "skimage", "data/camera.png",
           "a person with a camera on a tripod (black and white)", 1.5, 1.2,
           ("Behind the lens", "Black and white Sunday", "The photographer, photographed", "Old-school film mood"),
           "#bnw #photographer #people"),
    Source("chelsea", "scikit-image", "skimage", "data/chelsea.png", "a cat (Chelsea)", 2.3, 1.3,
           ("Chelsea says hi", "Caturday!", "Who's a good cat", "She knows she's cute", "Judging you, lovingly"),
           "#cat #catsofinstagram #pets"),
    Source("coffee", "scikit-image", "skimage", "data/coffee.png", "a cup of coffee on a saucer", 1.2, 1.0,
           ("Morning fuel", "Espresso o'clock", "Best cup in town", "Coffee first, then everything else"),
           "#coffee #espresso #food"),
    Source("flower", "scikit-learn", "sklearn", "datasets/images/flower.jpg", "a flower, close up", 1.3, 0.9,
           ("Spring is here", "Petals", "Found this one on a walk", "Nature's colours"), "#flowers #nature #macro"),
    Source("china", "scikit-learn", "sklearn", "datasets/images/china.jpg",
           "a Chinese temple building and trees", 1.0, 0.9,
           ("Travel throwback", "Temple morning", "Architecture details", "Wanderlust"),
           "#travel #architecture #temple"),
    Source("rocket", "scikit-image", "skimage", "data/rocket.jpg", "a rocket launch (Falcon 9)", 1.1, 1.0,
           ("Liftoff!", "Launch day", "Watching history go up", "Fire and smoke"), "#rocket #space #launch"),
    Source("hubble", "scikit-image", "skimage", "data/hubble_deep_field.jpg",
           "galaxies (Hubble eXtreme Deep Field)", 0.8, 0.7,
           ("Feeling small", "Thousands of galaxies in one frame", "Deep field", "Look up"),
           "#astronomy #space #galaxies"),
    Source("moon", "scikit-image", "skimage", "data/moon.png", "the surface of the moon (black and white)", 0.7, 0.6,
           ("Craters", "Moon texture", "Lunar surface study"), "#moon #bnw #space"),
    Source("clock", "scikit-image", "skimage", "data/clock_motion.png",
           "a wall clock, motion blurred (black and white)", 0.5, 0.6,
           ("Time flies", "Motion blur experiment", "Tick tock"), "#clock #blur #bnw"),
    Source("coins", "scikit-image", "skimage", "data/coins.png", "old coins on a table (black and white)", 0.45, 0.5,
           ("Coin collection", "Old money", "Found these in a drawer"), "#coins #collection #bnw"),
    Source("brick", "scikit-image", "skimage", "data/brick.png", "a brick wall texture (black and white)", 0.4, 0.4,
           ("Textures", "Brick by brick", "Walls"), "#texture #brick #minimal"),
)


def source_file(src: Source) -> Path:
    spec = importlib.util.find_spec(src.module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"make_demo: package {src.package} is not installed (pip install -e '.[assets]')")
    path = Path(list(spec.submodule_search_locations)[0]) / src.path
    if not path.is_file():
        raise SystemExit(f"make_demo: {path} is missing from {src.package}")
    return path


def sources_digest() -> dict[str, str]:
    return {s.key: hashlib.sha256(source_file(s).read_bytes()).hexdigest() for s in SOURCES}


def variation(img: Image.Image, rng: np.random.Generator, size: tuple[int, int],
              force_bw: bool = False) -> tuple[Image.Image, dict]:
    """A random crop (same aspect as size), flip, exposure / contrast / colour change, resized."""
    iw, ih = img.size
    tw, th = size
    ar = tw / th
    cw = min(iw, ih * ar)
    scale = float(rng.uniform(0.62, 1.0))
    cw *= scale
    ch = cw / ar
    x0 = float(rng.uniform(0, iw - cw)) if iw > cw else 0.0
    y0 = float(rng.uniform(0, ih - ch)) if ih > ch else 0.0
    out = img.crop((round(x0), round(y0), round(x0 + cw), round(y0 + ch)))
    flip = bool(rng.random() < 0.5)
    if flip:
        out = ImageOps.mirror(out)
    exposure = float(rng.uniform(0.78, 1.28))
    contrast = float(rng.uniform(0.85, 1.2))
    saturation = float(rng.uniform(0.65, 1.35))
    warmth = float(rng.uniform(-14, 14))
    bw = force_bw or bool(rng.random() < 0.08)
    out = out.convert("RGB")
    out = ImageEnhance.Brightness(out).enhance(exposure)
    out = ImageEnhance.Contrast(out).enhance(contrast)
    if bw:
        out = ImageOps.grayscale(out).convert("RGB")
    else:
        out = ImageEnhance.Color(out).enhance(saturation)
        a = np.asarray(out).astype(np.float32)
        a[..., 0] += warmth
        a[..., 2] -= warmth
        out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    out = out.resize(size, Image.LANCZOS)
    meta = {"crop": [round(x0), round(y0), round(cw), round(ch)], "flip": flip, "exposure": round(exposure, 3),
            "contrast": round(contrast, 3), "saturation": None if bw else round(saturation, 3),
            "warmth": None if bw else round(warmth, 1), "black_and_white": bw, "size": list(size)}
    return out, meta


def jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88, optimize=False, progressive=False)
    return buf.getvalue()
