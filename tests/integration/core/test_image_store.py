"""The image store: a local directory, and S3 through boto3 against a real S3-compatible
server (s3rver, which checks SigV4 signatures)."""
from __future__ import annotations

import dataclasses
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from shared import storage
from shared.settings import load
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[3]


def test_keys_follow_the_design_and_refuse_unsafe_parts():
    assert storage.instagram_key("u1", "179", "jpg") == "users/u1/instagram/179.jpg"
    assert storage.upload_key("u1", "abc", "png") == "users/u1/uploads/abc.png"
    assert storage.key_owner("users/u1/uploads/abc.png") == "u1"
    for bad in ("../etc", "a/b", "", ".."):
        with pytest.raises(ValueError):
            storage.instagram_key(bad, "1", "jpg")


def test_local_store_round_trip_and_no_escape(tmp_path):
    store = storage.LocalImageStore(tmp_path)
    store.put("users/u1/uploads/a.jpg", b"bytes", "image/jpeg")
    assert store.get("users/u1/uploads/a.jpg") == b"bytes" and store.exists("users/u1/uploads/a.jpg")
    assert not list(tmp_path.rglob(".tmp-*"))  # written whole, then renamed
    with pytest.raises(KeyError):
        store.get("users/u1/uploads/missing.jpg")
    with pytest.raises(ValueError):
        store.put("../outside.jpg", b"x", "image/jpeg")
    store.put("users/u2/uploads/b.jpg", b"other", "image/jpeg")
    assert store.delete_prefix(storage.user_prefix("u1")) == 1
    assert not store.exists("users/u1/uploads/a.jpg") and store.exists("users/u2/uploads/b.jpg")


@pytest.fixture(scope="module")
def s3rver(tmp_path_factory):
    binary = ROOT / "node_modules" / ".bin" / "s3rver"
    if not binary.exists():
        pytest.fail("s3rver is not installed: run `make install`")
    port = free_port()
    proc = subprocess.Popen(
        [str(binary), "-d", str(tmp_path_factory.mktemp("s3")), "-a", "127.0.0.1", "-p", str(port), "-s"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def s3_settings(endpoint):
    return dataclasses.replace(load(), image_store="s3", s3_endpoint_url=endpoint, s3_bucket="likely-test-images")


def test_s3_store_round_trip(s3rver, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "S3RVER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "S3RVER")
    store = storage.from_settings(s3_settings(s3rver))
    key = storage.upload_key("u1", "abc", "jpg")
    assert not store.exists(key)
    store.put(key, b"\xff\xd8jpeg", "image/jpeg")
    assert store.exists(key) and store.get(key) == b"\xff\xd8jpeg"
    with pytest.raises(KeyError):
        store.get(storage.upload_key("u1", "nope", "jpg"))
    store.put(storage.upload_key("u2", "x", "jpg"), b"x", "image/jpeg")
    assert store.delete_prefix(storage.user_prefix("u1")) == 1
    assert not store.exists(key) and store.exists(storage.upload_key("u2", "x", "jpg"))


def test_s3_store_sends_credentials(s3rver):
    """The server checks the access key: an unknown one is refused, so the store's requests are
    really authenticated. (s3rver 3.7 accepts a wrong secret for a known key; AWS would not.)"""
    client = boto3.client("s3", endpoint_url=s3rver, region_name="us-east-1",
                          aws_access_key_id="NOBODY", aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as err:
        client.put_object(Bucket="likely-test-images", Key="users/u1/uploads/x.jpg", Body=b"x")
    assert err.value.response["Error"]["Code"] == "InvalidAccessKeyId"
