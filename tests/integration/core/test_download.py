"""Image downloads over real HTTP: a total deadline, not only a per-read timeout."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.labeler.download import DownloadFailed, fetch


class Dripping(BaseHTTPRequestHandler):
    """Sends a 'JPEG' one byte every 0.2 s: every read is quick, the whole takes forever."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        if self.path == "/fast":
            self.wfile.write(b"x" * 1000)
            return
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_slowly_dripping_download_is_cut_off_at_its_deadline(server):
    started = time.monotonic()
    with pytest.raises(DownloadFailed) as info:
        fetch(f"{server}/slow", max_bytes=10_000, timeout=1.5)
    assert time.monotonic() - started < 2.5
    assert not info.value.permanent and "longer than 1.5 s" in str(info.value)
    assert fetch(f"{server}/fast", max_bytes=10_000, timeout=1.5) == b"x" * 1000
