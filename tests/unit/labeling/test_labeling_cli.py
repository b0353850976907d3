from __future__ import annotations

import json
import subprocess
import sys

from .photos import jpeg_1080, photo_path


def run(*args):
    return subprocess.run([sys.executable, "-m", "shared.labeling", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_prints_one_json_object_per_image(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(jpeg_1080()[:5000])
    out = run(str(photo_path("cat")), str(text), str(truncated), "--backend", "offline")
    assert out.returncode == 1, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3
    cat = lines[0]
    assert cat["image"] == str(photo_path("cat")) and cat["labeler"].startswith("offline-effnet-nanodet-blazeface@")
    assert {"name", "confidence", "parents"} == set(cat["labels"][0])
    assert "Cat" in [lab["name"] for lab in cat["labels"]]
    assert lines[1]["error"]["code"] == "not_an_image"
    assert lines[2]["error"]["code"] == "truncated_image"


def test_cli_all_good_exits_zero():
    out = run(str(photo_path("coffee")))
    assert out.returncode == 0 and json.loads(out.stdout)["labels"]
