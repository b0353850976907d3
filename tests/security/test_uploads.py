"""Hostile uploads against a real gateway (gunicorn), with a real inferer and builder behind it:
each refused with a clear 4xx, nothing left in the image store or in MongoDB, and the gateway's
workers never above 300 MB of memory while they refuse them (issue 11: ten small 8000×6000
PNGs used to cost it 1.9 GB)."""
from __future__ import annotations

import io
import socket
import struct
import threading
import time
import zipfile
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from PIL import Image

from sandbox.photos import jpeg as photo
from shared.settings import load
from tests.conftest import new_email
from tests.security.conftest import _gateway

MEMORY_CEILING = 300 * 1024 * 1024
WORKERS = 2


@pytest.fixture(scope="module")
def gateway(request, stack_vhost, mongo_db, redis_client, tmp_root):
    """A gateway with its own inferer and builder, on the test database and broker."""
    gw = _gateway(stack_vhost, tmp_root, "uploads", {"LIKELY_GATEWAY_WORKERS": str(WORKERS)})
    request.addfinalizer(gw.stop)
    for name in ("inferer", "builder"):
        gw.spawn(name, f"services.{name}")
    gw.wait_ready()
    return gw


@pytest.fixture(scope="module")
def user(gateway, mongo_db):
    """(user id, token) of an account with a model, built by the builder from posts stored for it."""
    email, password = new_email(), "correct horse battery"
    url = gateway.gateway_url
    assert (
        requests.post(f"{url}/api/v1/users", json={"email": email, "password": password}, timeout=10).status_code == 201
    )
    session = requests.post(f"{url}/api/v1/sessions", json={"email": email, "password": password}, timeout=10).json()
    user_id, auth = session["user_id"], {"Authorization": f"Bearer {session['token']}"}
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    mongo_db.posts.insert_many([
        {"user_id": user_id, "media_id": f"m{i}", "timestamp": t0 + timedelta(days=i), "likes": 20 + 5 * (i % 4),
         "comments": i % 3, "labeler": "offline", "image_key": None,
         "labels": [{"name": "Cat" if i % 2 else "Coffee", "confidence": 90.0, "parents": []}]} for i in range(12)])
    assert requests.post(f"{url}/api/v1/model/rebuild", headers=auth, timeout=10).status_code == 202
    deadline = time.monotonic() + 60
    while requests.get(f"{url}/api/v1/model", headers=auth, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the builder built no model"
        time.sleep(0.3)
    return user_id, session["token"]


def stored_uploads(user_id: str) -> list[Path]:
    folder = Path(load().image_dir) / "users" / user_id / "uploads"
    return sorted(folder.glob("*")) if folder.exists() else []


def post_images(gateway, token, *images) -> requests.Response:
    files = [("image", (name, data, "image/jpeg")) for name, data in images]
    return requests.post(f"{gateway.gateway_url}/api/v1/predictions", files=files,
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)


def gateway_workers(gateway) -> list[int]:
    master = gateway.procs["gateway"].pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == WORKERS
    return [int(pid) for pid in children]


def peak_rss(pid: int) -> int:
    """The process's high-water mark of resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


# --- hostile files --------------------------------------------------------------------------

def png_bytes(size: tuple[int, int], mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A 100-byte PNG whose header declares width × height (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 1000, 9))
            + png_chunk(b"IEND", b""))


def with_text_chunk(png: bytes, text: bytes) -> bytes:
    """The PNG with a tEXt chunk after IHDR: still a valid PNG for every reader."""
    at = 8 + 25  # signature, then IHDR (4 + 4 + 13 + 4)
    return png[:at] + png_chunk(b"tEXt", b"Comment\0" + text) + png[at:]


def zip_archive() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.html", "<script>alert(document.cookie)</script>")
    return buf.getvalue()


def ico_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(buf, "ICO")
    return buf.getvalue()


SMALL_PNG = png_bytes((64, 64), "RGB")
HOSTILE = {  # name: (files, status, code)
    "html named .jpg": ([("cat.jpg", b"<!doctype html><html><script>alert(1)</script></html>")], 400, "not_an_image"),
    "pdf named .png": ([("cat.png", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")], 400, "not_an_image"),
    "icon named .jpg": ([("cat.jpg", ico_bytes())], 400, "not_an_image"),
    "zero bytes": ([("empty.jpg", b"")], 400, "empty_image"),
    "bomb header 100000x100000": ([("bomb.png", png_declaring(100_000, 100_000))], 413, "too_many_pixels"),
    "bomb header just over the limit": (
        [("bomb.png", png_declaring(load().max_image_pixels // 1000 + 1, 1000))],
        413,
        "too_many_pixels",
    ),
    "jpeg + zip": ([("cat.jpg", photo("cat") + zip_archive())], 400, "polyglot"),
    "png with html inside": (
        [("cat.png", with_text_chunk(SMALL_PNG, b"<html><body onload=alert(1)>"))],
        400,
        "polyglot",
    ),
    "pdf behind a jpeg header": ([("cat.jpg", photo("cat")[:20] + b"%PDF-1.7\n" + photo("cat")[20:])], 400, "polyglot"),
    "good image, then a hostile one": ([("cat.jpg", photo("cat")), ("cat2.jpg", b"\x00" * 100)], 400, "not_an_image"),
}


def assert_refused(resp: requests.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    error = resp.json()["error"]
    assert error["code"] == code and error["message"]


def test_a_good_image_is_stored_and_predicted(gateway, user, mongo_db):
    """The control: what the refusals below leave out is what an accepted upload leaves in."""
    user_id, token = user
    before = len(stored_uploads(user_id))
    resp = post_images(gateway, token, ("cat.jpg", photo("cat")))
    assert resp.status_code == 201, resp.text
    assert len(stored_uploads(user_id)) == before + 1
    assert mongo_db.predictions.find_one({"_id": resp.json()["id"], "user_id": user_id})


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_upload_is_refused_and_nothing_is_stored(gateway, user, mongo_db, case):
    user_id, token = user
    files, status, code = HOSTILE[case]
    before = (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id}))
    assert_refused(post_images(gateway, token, *files), status, code)
    assert (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id})) == before


START = b'--b\r\nContent-Disposition: form-data; name="image"; filename="big.jpg"\r\n\r\n\xff\xd8'


def raw_upload(gateway, token: str, framing: str) -> socket.socket:
    """A connection with the headers of a prediction request sent; `framing` is its length header."""
    url = urlparse(gateway.gateway_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=60)
    sock.sendall((f"POST /api/v1/predictions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                  f"Content-Type: multipart/form-data; boundary=b\r\n{framing}\r\n\r\n").encode())
    return sock


def read_refusal(sock: socket.socket) -> bytes:
    reply = b""
    while b"payload_too_large" not in reply:
        data = sock.recv(65536)
        if not data:
            break
        reply += data
    return reply


def test_a_100_mb_body_is_refused_before_it_is_read(gateway, user, mongo_db):
    user_id, token = user
    before = (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id}))
    with raw_upload(gateway, token, f"Content-Length: {100 * 1024 * 1024}") as sock:
        sock.sendall(START + b"\0" * 65536)  # 64 KB of the 100 MB: the answer comes before the rest
        reply = read_refusal(sock)
    assert reply.startswith(b"HTTP/1.1 413") and b"payload_too_large" in reply
    assert (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id})) == before


def test_a_100_mb_body_without_a_length_is_cut_off_at_the_limit(gateway, user, mongo_db):
    """Chunked: the gateway cannot refuse it from a header, so it reads up to LIKELY_MAX_UPLOAD_BYTES
    (files spooled to disk, not memory) and answers 413; the sender is cut off there."""
    user_id, token = user
    before = (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id}))
    chunk = b"\0" * (1024 * 1024)
    sent = []

    def send(sock):
        try:
            sock.sendall(b"%x\r\n%s\r\n" % (len(START), START))
            for _ in range(100):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent.append(len(chunk))
        except OSError:  # the gateway answered and closed: the rest is never sent
            pass

    with raw_upload(gateway, token, "Transfer-Encoding: chunked") as sock:
        sender = threading.Thread(target=send, args=(sock,), daemon=True)
        sender.start()
        reply = read_refusal(sock)
        sock.shutdown(socket.SHUT_RDWR)
        sender.join(60)
    assert reply.startswith(b"HTTP/1.1 413") and b"payload_too_large" in reply
    assert sum(sent) < 100 * len(chunk)  # cut off before the whole 100 MB went
    assert (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id})) == before


def test_ten_small_60_mp_pngs_are_refused_within_300_mb(gateway, user, mongo_db):
    """Every hostile case again, then ten 10000×6000 PNGs of ~60 KB each in one request, several
    times on every worker: refused, and no worker's peak memory (VmHWM) ever reached 300 MB."""
    user_id, token = user
    before = (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id}))
    big = png_bytes((10000, 6000))  # 60 M pixels: over LIKELY_MAX_IMAGE_PIXELS (50 M)
    assert len(big) < 100_000
    for _ in range(3 * WORKERS):  # each worker gets some (gunicorn hands requests to any of them)
        for files, status, code in HOSTILE.values():
            assert_refused(post_images(gateway, token, *files), status, code)
        assert_refused(post_images(gateway, token, *[(f"big{i}.png", big) for i in range(10)]), 413, "too_many_pixels")
    peaks = {pid: peak_rss(pid) for pid in gateway_workers(gateway)}
    print("gateway workers' peak RSS, MB:", {pid: round(v / 2**20, 1) for pid, v in peaks.items()})
    assert max(peaks.values()) < MEMORY_CEILING, peaks
    assert (stored_uploads(user_id), mongo_db.predictions.count_documents({"user_id": user_id})) == before
