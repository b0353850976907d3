"""python -m shared.labeling [--backend offline|rekognition] IMAGE...

Prints one JSON object per image and line: {"image", "labeler", "labels": [{"name",
"confidence", "parents"}]}; an image that cannot be labelled prints {"image", "error":
{"code", "message"}} and the exit status is 1.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import BACKENDS, ImageRejected, LabelerUnavailable, get_labeler


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m shared.labeling", description="Say what images show.")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="default: LIKELY_LABELER (offline)")
    args = p.parse_args(argv)
    try:
        labeler = get_labeler(backend=args.backend)
    except LabelerUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    status = 0
    for path in args.images:
        try:
            with open(path, "rb") as f:
                data = f.read()
            result = labeler.label(data)
            out = {"image": path, "labeler": result.labeler, "labels": result.to_dicts()}
        except ImageRejected as e:
            out, status = {"image": path, "error": {"code": e.code, "message": e.message}}, 1
        except OSError as e:
            out, status = {"image": path, "error": {"code": "unreadable_file", "message": str(e)}}, 1
        print(json.dumps(out), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
