"""Client for the Instagram API with Instagram Login (and the project's sandbox of it).

Errors come as `{"error": {message, type, code, fbtrace_id}}`. Throttling (codes 4, 17, 32,
613, or HTTP 429) is retried with exponential back-off; a rejected token raises
`TokenRejected`, which fails a run with a reason the user can read.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import urlencode

import requests

from shared.settings import Settings, load

log = logging.getLogger(__name__)

THROTTLE_CODES = {4, 17, 32, 613}
MEDIA_FIELDS = "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count"


class InstagramError(Exception):
    def __init__(self, message: str, *, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class TokenRejected(InstagramError):
    """The access token is invalid, expired or revoked: the user must reconnect."""


class Throttled(InstagramError):
    """Still throttled after every retry."""


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: datetime | None
    user_id: str | None = None


@dataclass(frozen=True)
class Media:
    id: str
    media_type: str
    media_url: str | None
    timestamp: datetime
    caption: str | None
    permalink: str | None
    like_count: int
    comments_count: int | None


def parse_timestamp(value: str) -> datetime:
    # Instagram writes "2024-05-01T12:00:00+0000"; fromisoformat wants "+00:00".
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


class InstagramClient:
    def __init__(self, settings: Settings | None = None, session: requests.Session | None = None,
                 sleep=time.sleep):
        self.s = settings or load()
        self.http = session or requests.Session()
        self.sleep = sleep

    # --- OAuth -------------------------------------------------------------------------------
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode({
            "client_id": self.s.instagram_client_id, "redirect_uri": redirect_uri,
            "response_type": "code", "scope": "instagram_business_basic", "state": state,
        })
        return f"{self.s.instagram_auth_url}/oauth/authorize?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> Token:
        data = self._request("POST", f"{self.s.instagram_api_url}/oauth/access_token", data={
            "client_id": self.s.instagram_client_id, "client_secret": self.s.instagram_client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code,
        })
        return Token(data["access_token"], None, str(data.get("user_id", "")) or None)

    def long_lived(self, short_token: str) -> Token:
        data = self._request("GET", f"{self.s.instagram_graph_url}/access_token", params={
            "grant_type": "ig_exchange_token", "client_secret": self.s.instagram_client_secret,
            "access_token": short_token,
        })
        return self._token(data)

    def refresh(self, long_token: str) -> Token:
        data = self._request("GET", f"{self.s.instagram_graph_url}/refresh_access_token", params={
            "grant_type": "ig_refresh_token", "access_token": long_token,
        })
        return self._token(data)

    # --- Graph -------------------------------------------------------------------------------
    def me(self, token: str) -> dict:
        return self._request("GET", f"{self._graph()}/me", params={"fields": "user_id,username", "access_token": token})

    def media(self, token: str, page_size: int = 100) -> Iterator[Media]:
        """Every media item of the user, following the cursors to the last page."""
        url = f"{self._graph()}/me/media"
        params: dict | None = {"fields": MEDIA_FIELDS, "limit": page_size, "access_token": token}
        while url:
            page = self._request("GET", url, params=params)
            for item in page.get("data", []):
                yield Media(
                    id=str(item["id"]), media_type=item.get("media_type", "IMAGE"),
                    media_url=item.get("media_url"), timestamp=parse_timestamp(item["timestamp"]),
                    caption=item.get("caption"), permalink=item.get("permalink"),
                    like_count=int(item.get("like_count") or 0),
                    comments_count=None if item.get("comments_count") is None else int(item["comments_count"]),
                )
            # `paging.next` carries every parameter, the `after` cursor included; the last page has none.
            url, params = (page.get("paging") or {}).get("next"), None

    # --- plumbing ----------------------------------------------------------------------------
    def _graph(self) -> str:
        return f"{self.s.instagram_graph_url}/{self.s.instagram_api_version}"

    @staticmethod
    def _token(data: dict) -> Token:
        expires_in = data.get("expires_in")
        expires_at = (datetime.fromtimestamp(time.time() + int(expires_in), timezone.utc)
                      if expires_in else None)
        return Token(data["access_token"], expires_at)

    def _request(self, method: str, url: str, **kwargs) -> dict:
        delay = self.s.instagram_backoff
        for attempt in range(self.s.instagram_retries + 1):
            try:
                resp = self.http.request(method, url, timeout=self.s.instagram_timeout, **kwargs)
            except requests.RequestException as exc:
                raise InstagramError(f"Instagram could not be reached: {exc.__class__.__name__}") from exc
            try:
                body = resp.json()
            except ValueError:
                body = {}
            error = body.get("error") if isinstance(body, dict) else None
            if resp.ok and not error:
                return body
            code = error.get("code") if isinstance(error, dict) else None
            message = (error or {}).get("message") if isinstance(error, dict) else None
            message = message or f"HTTP {resp.status_code}"
            if resp.status_code == 429 or code in THROTTLE_CODES:
                if attempt < self.s.instagram_retries:
                    log.warning("Instagram throttled (code %s), retrying in %.1fs", code, delay)
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise Throttled(f"Instagram is throttling requests: {message}", code=code, status=resp.status_code)
            if code == 190 or resp.status_code in (401, 403) or (isinstance(error, dict) and error.get("type") == "OAuthException"):
                raise TokenRejected(f"Instagram rejected the access token: {message}", code=code, status=resp.status_code)
            raise InstagramError(f"Instagram error: {message}", code=code, status=resp.status_code)
        raise AssertionError("unreachable")
