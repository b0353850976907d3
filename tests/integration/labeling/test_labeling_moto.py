"""The Rekognition backend over HTTP against moto's server (started here on a free port).

moto's DetectLabels always answers one canned label ("Mobile Phone"); what this checks is
the real client path: endpoint and region from the settings, signing, the wire format,
parsing, the labeler id, the cache and the CLI's `--backend rekognition`."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shared.labeling import CachedLabeler, MemoryCacheStore, RekognitionLabeler, get_labeler
from shared.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _photo(name: str) -> Path:
    import importlib.util

    return Path(importlib.util.find_spec("skimage").origin).parent / "data" / name


@pytest.fixture(scope="module")
def moto_url():
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = _free_port()
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def rekognition_env(moto_url, monkeypatch):
    env = {"LIKELY_REKOGNITION_ENDPOINT_URL": moto_url, "AWS_DEFAULT_REGION": "eu-west-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "LIKELY_LABELER": "rekognition"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def test_detect_labels_over_http(rekognition_env):
    labeler = RekognitionLabeler(settings=Settings())
    assert labeler.client.meta.region_name == "eu-west-1"
    assert labeler.client.meta.endpoint_url == rekognition_env["LIKELY_REKOGNITION_ENDPOINT_URL"]
    result = labeler.label(_photo("coffee.png").read_bytes())
    assert result.labeler == "rekognition@3.0" == labeler.id
    phone = result.get("Mobile Phone")
    assert phone is not None and 50 <= phone.confidence <= 100 and phone.parents == ("Phone",)
    assert phone.aliases == ("Cell Phone",)


def test_get_labeler_builds_the_rekognition_backend_from_settings(rekognition_env):
    from shared import labeling

    labeling._reset_for_tests()
    try:
        labeler = get_labeler()
        assert isinstance(labeler, RekognitionLabeler) and get_labeler() is labeler
        cached = CachedLabeler(labeler, MemoryCacheStore())
        data = _photo("rocket.jpg").read_bytes()
        first, second = cached.label(data), cached.label(data)
        assert first == second and cached.misses == 1 and cached.hits == 1
    finally:
        labeling._reset_for_tests()


def test_cli_with_rekognition_backend(rekognition_env, tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("hello")
    env = {**os.environ, **rekognition_env}
    out = subprocess.run([sys.executable, "-m", "shared.labeling", "--backend", "rekognition",
                          str(_photo("chelsea.png")), str(text)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 1, out.stderr
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    assert first["labeler"] == "rekognition@3.0" and first["labels"][0]["name"] == "Mobile Phone"
    assert second["error"]["code"] == "not_an_image"
