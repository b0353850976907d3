"""The image store: `users/{user_id}/instagram/{media_id}.{ext}`, `users/{user_id}/uploads/{uuid}.{ext}`.

A local directory by default, S3 (boto3) when LIKELY_IMAGE_STORE=s3. Keys are built here only.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from shared.settings import Settings, load

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _part(value: str) -> str:
    if not _SAFE.match(value) or value in (".", ".."):
        raise ValueError(f"unsafe key part {value!r}")
    return value


def instagram_key(user_id: str, media_id: str, ext: str) -> str:
    return f"users/{_part(user_id)}/instagram/{_part(media_id)}.{_part(ext)}"


def upload_key(user_id: str, upload_id: str, ext: str) -> str:
    return f"users/{_part(user_id)}/uploads/{_part(upload_id)}.{_part(ext)}"


def user_prefix(user_id: str) -> str:
    return f"users/{_part(user_id)}/"


def key_owner(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) == 4 and parts[0] == "users" else None


class ImageStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...


class LocalImageStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half an image, a crash leaves no torn file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        """Delete one image; a missing one is not an error."""
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every image under a `users/{id}/` prefix; returns how many."""
        import shutil

        folder = self._path(prefix.rstrip("/"))
        if not folder.exists():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
        return count


class S3ImageStore:
    def __init__(self, bucket: str, client):
        self.bucket = bucket
        self.s3 = client

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.s3.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError:
            return False

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)  # S3 answers 204 for a missing key too

    def delete_prefix(self, prefix: str) -> int:
        count = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                count += len(keys)
        return count


def from_settings(settings: Settings | None = None) -> ImageStore:
    s = settings or load()
    if s.image_store == "local":
        return LocalImageStore(s.image_dir)
    if s.image_store == "s3":
        import boto3

        client = boto3.client("s3", region_name=s.aws_region, endpoint_url=s.s3_endpoint_url or None)
        store = S3ImageStore(s.s3_bucket, client)
        store.ensure_bucket()
        return store
    raise ValueError(f"LIKELY_IMAGE_STORE must be 'local' or 's3', not {s.image_store!r}")
