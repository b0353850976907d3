"""Run the sandbox in a thread, and drive its control API, from tests.

    with SandboxServer(accounts_dir, "app-id", "app-secret") as sb:
        sb.url                       # http://127.0.0.1:PORT (use as auth, api and graph base)
        code = sb.authorize("demo", "http://127.0.0.1/cb")["code"]
        sb.throttle("demo", count=2, code=4)
        sb.reject("demo"); sb.unreject("demo")
        sb.fault("demo", ["1790..."], mode="broken")
        sb.add_post("demo", like_count=10, copy_of="1790...")
        sb.token("demo", kind="long", ttl=-1)["access_token"]   # an expired token
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request

from werkzeug.serving import WSGIRequestHandler, make_server

from .server import create_app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # keep test output readable
        pass


class SandboxServer:
    def __init__(self, accounts_dir, client_id: str = "likely-test", client_secret: str = "likely-test-secret",
                 host: str = "127.0.0.1", port: int = 0, **app_kwargs):
        self.accounts_dir, self.client_id, self.client_secret = accounts_dir, client_id, client_secret
        self.app = create_app(accounts_dir, client_id, client_secret, **app_kwargs)
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="ig-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- plain HTTP (no dependency on requests) ----
    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def _ok(self, method: str, path: str, body: dict | None = None) -> dict:
        status, out = self.call(method, path, body)
        if status >= 400:
            raise RuntimeError(f"sandbox control {method} {path}: {status} {out}")
        return out

    # ---- control ----
    def state(self, account: str) -> dict:
        return self._ok("GET", f"/_sandbox/accounts/{account}")

    def reset(self, account: str | None = None) -> dict:
        return self._ok("POST", f"/_sandbox/accounts/{account}/reset" if account else "/_sandbox/reset")

    def reject(self, account: str, before_now: bool = False) -> dict:
        return self._ok("POST", f"/_sandbox/accounts/{account}/reject", {"before_now": before_now})

    def unreject(self, account: str) -> dict:
        return self._ok("DELETE", f"/_sandbox/accounts/{account}/reject")

    def throttle(self, account: str, count: int = 1, code: int = 4, status: int | None = None) -> dict:
        body = {"count": count, "code": code}
        if status is not None:
            body["status"] = status
        return self._ok("POST", f"/_sandbox/accounts/{account}/throttle", body)

    def fault(self, account: str, media_ids: list[str], mode: str = "broken", seconds: float | None = None) -> dict:
        body: dict = {"media_ids": list(media_ids), "mode": mode}
        if seconds is not None:
            body["seconds"] = seconds
        return self._ok("POST", f"/_sandbox/accounts/{account}/faults", body)

    def clear_faults(self, account: str) -> dict:
        return self._ok("DELETE", f"/_sandbox/accounts/{account}/faults")

    def shapes(self, **shapes) -> dict:
        """Choose response shapes (see server.SHAPES); none given: back to the documented ones."""
        if not shapes:
            return self._ok("DELETE", "/_sandbox/shapes")
        return self._ok("POST", "/_sandbox/shapes", shapes)

    def usage(self, account: str, app: dict | None = None, business: dict | None = None) -> dict:
        """Serve these usage headers (percent numbers) on the account's Graph responses; none: stop."""
        if app is None and business is None:
            return self._ok("DELETE", f"/_sandbox/accounts/{account}/usage")
        return self._ok("POST", f"/_sandbox/accounts/{account}/usage",
                        {k: v for k, v in (("app", app), ("business", business)) if v is not None})

    def add_post(self, account: str, **post) -> dict:
        return self._ok("POST", f"/_sandbox/accounts/{account}/posts", post)

    def token(
        self, account: str, kind: str = "long", ttl: float | None = None, redirect_uri: str | None = None
    ) -> dict:
        body: dict = {"kind": kind}
        if ttl is not None:
            body["ttl"] = ttl
        if redirect_uri is not None:
            body["redirect_uri"] = redirect_uri
        return self._ok("POST", f"/_sandbox/accounts/{account}/token", body)

    def authorize(
        self, account: str, redirect_uri: str, state: str = "s", scope: str = "instagram_business_basic"
    ) -> dict:
        """Run the authorize step as a browser would; returns the redirect's query {code, state}."""
        q = urllib.parse.urlencode({"client_id": self.client_id, "redirect_uri": redirect_uri, "response_type": "code",
                                    "scope": scope, "state": state, "account": account})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(f"{self.url}/oauth/authorize?{q}", timeout=10)
        except urllib.error.HTTPError as e:
            if e.code != 302:
                raise
            loc = e.headers["Location"]
            return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        raise RuntimeError("authorize did not redirect")


def trainable_posts(accounts_dir, account: str) -> list[dict]:
    """The posts of an account folder that Likely trains on: those with a picture (an IMAGE, a
    carousel's cover, a VIDEO's thumbnail) and a like count (not hidden)."""
    import json
    from pathlib import Path

    data = json.loads((Path(accounts_dir) / account / "account.json").read_text())
    return [p for p in data["posts"] if p.get("like_count") is not None
            and (p["media_type"] in ("IMAGE", "CAROUSEL_ALBUM") or p.get("thumbnail"))]


def tiny_jpeg(seed: int, size: tuple[int, int] = (64, 64)) -> bytes:
    """A small, valid JPEG whose bytes depend on seed."""
    import io

    from PIL import Image

    img = Image.new("RGB", size, ((seed * 53) % 256, (seed * 97) % 256, (seed * 29) % 256))
    img.putpixel((seed % size[0], (seed // size[0]) % size[1]), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def sample_account(root, name: str = "alice", n_posts: int = 7, *, carousel: bool = True, video: bool = True,
                   start: str = "2025-01-01T12:00:00+0000", insights: dict | None = None) -> list[dict]:
    """Write a small account of n_posts (one day apart, likes 10, 20, ...) and return its posts
    oldest first. With carousel / video, the 2nd and 3rd posts are a CAROUSEL_ALBUM and a VIDEO.
    `insights`: the account's insights settings (sandbox.instagram.media_insights)."""
    import hashlib
    from datetime import timedelta

    from .accounts import parse_timestamp, write_account

    t0 = parse_timestamp(start)
    # ids differ across accounts
    base = 17900000000000000 + int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**6 * 10**6
    posts, images = [], {}
    for i in range(n_posts):
        mid = str(base + i * 1000 + 7)
        post = {"id": mid, "caption": f"{name} post {i}", "timestamp": t0 + timedelta(days=i),
                "like_count": 10 * (i + 1), "comments_count": i}
        if carousel and i == 1:
            post.update(media_type="CAROUSEL_ALBUM", children=[f"{mid}_1.jpg", f"{mid}_2.jpg"])
            images[f"{mid}_1.jpg"], images[f"{mid}_2.jpg"] = tiny_jpeg(1000 + i), tiny_jpeg(2000 + i)
        elif video and i == 2:
            post.update(media_type="VIDEO", file=f"{mid}.mp4", thumbnail=f"{mid}_thumb.jpg")
            images[f"{mid}.mp4"], images[f"{mid}_thumb.jpg"] = b"\x00\x00\x00\x18ftypisom", tiny_jpeg(3000 + i)
        else:
            post.update(media_type="IMAGE", file=f"{mid}.jpg")
            images[f"{mid}.jpg"] = tiny_jpeg(i)
        posts.append(post)
    write_account(root, name, posts, images, extra={"insights": insights} if insights else None)
    return posts
