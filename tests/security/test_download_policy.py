"""SSRF: image downloads only from allowed hosts, each redirect checked again, non-public
addresses refused. A guard fails the test on any connection or name lookup that would leave
this machine's loopback: refusals must happen before any traffic."""
from __future__ import annotations

import ipaddress
import socket
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from services.labeler.download import DownloadFailed, Policy, fetch
from shared.settings import Settings
from tests.support.http_images import QuietHandler

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Every connection and name lookup of the test, recorded; any outside loopback refused."""
    outside: list[str] = []
    real_connect, real_gai = socket.socket.connect, socket.getaddrinfo

    def connect(self, address):
        if not ipaddress.ip_address(address[0]).is_loopback:
            outside.append(f"connect {address}")
            raise AssertionError(f"a connection outside loopback was attempted: {address}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if host != "localhost" and literal is None:
            outside.append(f"lookup {host}")  # a DNS query would leave the machine
            raise AssertionError(f"a name lookup was attempted: {host}")
        return real_gai(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield outside
    assert outside == []


class Server(QuietHandler):
    hits: list[str]

    def do_GET(self):  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        to = ["/loop"] if self.path == "/loop" else parse_qs(urlsplit(self.path).query).get("to")
        if to:
            self.send_response(302)
            self.send_header("Location", to[0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_jpeg(JPEG)


@pytest.fixture
def server():
    hits: list[str] = []
    handler = type("Handler", (Server,), {"hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], hits
    httpd.shutdown()


def trusted(port: int) -> Policy:
    """The sandbox's case: 127.0.0.1:port allowed, with its loopback address; `localhost` allowed
    by name only (so on a public address)."""
    return Policy(hosts=("127.0.0.1", "localhost", "*.cdninstagram.com"), private_origins=(f"http://127.0.0.1:{port}",))


def get(url: str, policy: Policy) -> bytes:
    return fetch(url, max_bytes=10_000, timeout=3, policy=policy)


def refused(url: str, policy: Policy, why: str) -> None:
    with pytest.raises(DownloadFailed) as err:
        get(url, policy)
    assert err.value.permanent and why in str(err.value), str(err.value)


def test_an_allowed_host_is_fetched(server):
    port, hits = server
    assert get(f"http://127.0.0.1:{port}/a.jpg", trusted(port)) == JPEG
    assert get(f"http://127.0.0.1:{port}/r?to=/b.jpg", trusted(port)) == JPEG  # a redirect within it
    assert hits == ["/a.jpg", "/r?to=/b.jpg", "/b.jpg"]


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://10.0.0.5/x.jpg",
    "http://[::1]:80/x.jpg",
    "http://internal.service.local/x.jpg",
    "https://cdninstagram.com.evil.example/x.jpg",
    "https://evilcdninstagram.com/x.jpg",
    "https://user@scontent.cdninstagram.com/x.jpg",  # credentials in the URL
    "file:///etc/passwd",
    "ftp://scontent.cdninstagram.com/x.jpg",
    "gopher://127.0.0.1:6379/_INFO",
])
def test_a_host_not_allowed_is_refused_before_any_traffic(server, url):
    port, hits = server
    refused(url, trusted(port), "not allowed")
    assert hits == []


def test_an_allowed_name_on_a_loopback_address_is_refused(server):
    port, hits = server
    refused(f"http://localhost:{port}/x.jpg", trusted(port), "refused address")
    assert hits == []  # refused at the address check: the server never saw a request


def test_every_redirect_is_checked_again(server):
    port, hits = server
    policy = trusted(port)
    refused(f"http://127.0.0.1:{port}/r?to=http://169.254.169.254/latest/meta-data/", policy, "not allowed")
    refused(f"http://127.0.0.1:{port}/r?to=http://localhost:{port}/x.jpg", policy, "refused address")
    assert all(h.startswith("/r?to=") for h in hits)  # the refused targets were never requested
    refused(f"http://127.0.0.1:{port}/loop", policy, "redirects more than")


def test_the_default_settings_allow_instagrams_cdn_and_the_configured_instagram_only():
    policy = Policy.from_settings(Settings(download_hosts="*.cdninstagram.com,*.fbcdn.net", download_private_hosts="",
                                           instagram_graph_url="https://graph.instagram.com"))
    assert policy.allows("https://scontent-fra5-1.cdninstagram.com/v/t51/abc.jpg?stp=1")
    assert policy.allows("https://video.xx.fbcdn.net/x.jpg")
    assert policy.allows("https://graph.instagram.com/media/1")
    assert not policy.allows("http://127.0.0.1:8100/media/1.jpg")
    assert policy.private_origins == ("https://graph.instagram.com",)
