"""Fetching an image over HTTP with a size limit, a total deadline, and only from allowed hosts.

SSRF: a media URL comes from Instagram's listing (or from whoever can publish to the posts queue),
so before any connection the URL's scheme and host are checked against the allowed hosts
(LIKELY_DOWNLOAD_HOSTS, plus the configured Instagram Graph host), every redirect is followed by
hand and checked the same way, and the address a host resolves to is refused when it is
loopback, private, link-local or otherwise reserved (requests-hardened connects to the very
address it checked, so a DNS answer cannot change in between), unless the host is trusted with
private addresses (LIKELY_DOWNLOAD_PRIVATE_HOSTS; the Instagram Graph host: the sandbox in dev)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class DownloadFailed(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def _hosts(text: str) -> tuple[str, ...]:
    return tuple(h.strip().lower().rstrip(".") for h in text.split(",") if h.strip())


@dataclass(frozen=True)
class Policy:
    """Where images may come from. `hosts`: exact names, or `*.example.com` for its subdomains;
    `private_origins`: scheme://host:port of servers allowed on non-public addresses."""
    hosts: tuple[str, ...]
    private_origins: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        graph = urlsplit(settings.instagram_graph_url)
        trusted = [f"{graph.scheme}://{graph.netloc}".lower()] if graph.hostname else []
        hosts = _hosts(settings.download_hosts) + ((graph.hostname.lower(),) if graph.hostname else ())
        for host in _hosts(settings.download_private_hosts):
            trusted += [f"http://{host}", f"https://{host}"]  # any port of a host trusted by name
        return cls(hosts=hosts, private_origins=tuple(trusted))

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
            return False
        return any(host == h or (h.startswith("*.") and host.endswith(h[1:])) for h in self.hosts)

    def session(self) -> requests.Session:
        """Connections to public addresses only, except to the trusted origins."""
        http = HTTPSession(Config(ip_filter_enable=True, ip_filter_allow_loopback_ips=False, never_redirect=True,
                                  default_timeout=None))
        for origin in self.private_origins:
            scheme, _, rest = origin.partition("://")
            # with and without a port: a mount prefix matches the start of the URL
            http.mount(f"{origin}/", HTTPAdapter())
            if ":" not in rest:
                http.mount(f"{origin}:", HTTPAdapter())
        return http


def fetch(url: str, *, max_bytes: int, timeout: float, policy: Policy | None = None,
          session: requests.Session | None = None) -> bytes:
    """The image at `url`. `timeout` is a deadline for the whole download, redirects included: a
    server that drips its bytes slowly is cut off (requests' own timeout only bounds each read).
    `policy`: where images may come from (default: from the settings)."""
    if policy is None:
        from shared.settings import load

        policy = Policy.from_settings(load())
    http = session or policy.session()
    deadline = time.monotonic() + timeout
    try:
        for _ in range(MAX_REDIRECTS + 1):
            if not policy.allows(url):
                raise DownloadFailed(f"image host not allowed: {urlsplit(url).scheme}://{urlsplit(url).hostname}",
                                     permanent=True)
            left = max(deadline - time.monotonic(), 0.1)
            # each socket read may take a quarter of the deadline: a stalled server is seen early
            with http.get(url, stream=True, allow_redirects=False, timeout=(left, max(timeout / 4, 0.5))) as resp:
                if resp.status_code in REDIRECTS and resp.headers.get("Location"):
                    url = urljoin(url, resp.headers["Location"])  # checked again at the top
                    continue
                return _body(resp, max_bytes=max_bytes, timeout=timeout, deadline=deadline)
        raise DownloadFailed(f"image URL redirects more than {MAX_REDIRECTS} times", permanent=True)
    except InvalidIPAddress as exc:
        raise DownloadFailed(f"image host resolves to a refused address ({exc})", permanent=True) from exc
    except requests.RequestException as exc:
        raise DownloadFailed(f"image download failed: {exc.__class__.__name__}", permanent=False) from exc


def _body(resp, *, max_bytes: int, timeout: float, deadline: float) -> bytes:
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
