"""Fetching an image over HTTP with a size limit and a total deadline."""
from __future__ import annotations

import time

import requests


class DownloadFailed(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def fetch(url: str, *, max_bytes: int, timeout: float, session: requests.Session | None = None) -> bytes:
    """The image at `url`. `timeout` is a deadline for the whole download: a server that drips
    its bytes slowly is cut off (requests' own timeout only bounds each read)."""
    http = session or requests
    deadline = time.monotonic() + timeout
    try:
        # each socket read may take a quarter of the deadline: a stalled server is seen early
        with http.get(url, stream=True, timeout=(timeout, max(timeout / 4, 0.5))) as resp:
            if resp.status_code >= 500 or resp.status_code == 429:
                raise DownloadFailed(f"image server answered HTTP {resp.status_code}", permanent=False)
            if resp.status_code != 200:
                raise DownloadFailed(f"image not available (HTTP {resp.status_code})", permanent=True)
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise DownloadFailed(f"image is larger than {max_bytes} bytes", permanent=True)
            chunks, size = [], 0
            while chunk := resp.raw.read1(64 * 1024, decode_content=True):  # at most one socket read
                if time.monotonic() > deadline:
                    raise DownloadFailed(f"image download took longer than {timeout:g} s", permanent=False)
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadFailed(f"image is larger than {max_bytes} bytes", permanent=True)
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException as exc:
        raise DownloadFailed(f"image download failed: {exc.__class__.__name__}", permanent=False) from exc
