"""Client for the Instagram API with Instagram Login (and the project's sandbox of it).

It reads every shape Meta documents or is known to return (docs/instagram.md lists them,
tests/integration/instagram holds Meta's documented examples): the code exchange and /me wrapped in
`{"data": [...]}` (documented) or flat (seen), user ids as strings or numbers, permissions
as a comma-separated string or a list. Errors come as `{"error": {message, type, code,
error_subcode, is_transient, fbtrace_id}}` (api.instagram.com's OAuth endpoint: `{error_type,
code, error_message}`). Throttling (codes 4, 17, 32, 613, HTTP 429), 5xx and transient errors
are retried with exponential back-off; a rejected token raises
`TokenRejected`, which fails a run with a reason the user can read. The usage headers
(`X-App-Usage`, `X-Business-Use-Case-Usage`) space requests out before Instagram throttles.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import urlencode

import requests

from shared.instagram.usage import parse_usage, pause_for
from shared.settings import Settings, load

log = logging.getLogger(__name__)

THROTTLE_CODES = {4, 17, 32, 613}
TRANSIENT_CODES = {1, 2}  # "API Unknown" / "API Service": temporary, retry
TOKEN_CODES = {102, 190}  # the session or access token is invalid, expired or revoked
MEDIA_FIELDS = ("id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,timestamp,"
                "like_count,comments_count")


class InstagramError(Exception):
    def __init__(self, message: str, *, code: int | None = None, status: int | None = None,
                 subcode: int | None = None, transient: bool = False, trace_id: str | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.subcode = subcode
        self.transient = transient
        self.trace_id = trace_id  # fbtrace_id: what Meta's support asks for
        self.retry_after = retry_after
        self.detail = message  # Instagram's own words, without our prefix


class TokenRejected(InstagramError):
    """The access token is invalid, expired or revoked: the user must reconnect."""


class Throttled(InstagramError):
    """Still throttled after every retry, or asked to wait longer than a worker waits."""


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: datetime | None
    user_id: str | None = None
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Media:
    id: str
    media_type: str
    media_url: str | None
    timestamp: datetime
    caption: str | None
    permalink: str | None
    like_count: int | None  # None: not returned (the owner hid like counts)
    comments_count: int | None
    thumbnail_url: str | None = None
    product_type: str | None = None  # media_product_type: FEED, REELS, STORY, AD

    @property
    def image_url(self) -> str | None:
        """The picture to label: a VIDEO's (reels too) thumbnail; an IMAGE's or a carousel's
        media_url (a carousel's is its cover, the first child)."""
        return self.thumbnail_url if self.media_type == "VIDEO" else self.media_url


def _id(value) -> str | None:
    """An id as a string, whether Instagram sent it as a number or a string."""
    return None if value is None or value == "" else str(value)


def _permissions(value) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else (value or [])
    return tuple(p.strip() for p in items if isinstance(p, str) and p.strip())


def unwrap(body: dict, key: str) -> dict:
    """The object holding `key`: the body itself (flat) or its first `data` entry (wrapped)."""
    if not isinstance(body, dict):
        raise InstagramError(f"Instagram answered with a {type(body).__name__}, not an object")
    if key in body:
        return body
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict) and key in data[0]:
        return data[0]
    if isinstance(data, dict) and key in data:
        return data
    raise InstagramError(f"Instagram answered without {key!r}: {', '.join(sorted(body)) or 'an empty object'}")


def parse_media(item: dict) -> Media:
    return Media(
        id=str(item["id"]), media_type=item.get("media_type", "IMAGE"), media_url=item.get("media_url"),
        timestamp=parse_timestamp(item["timestamp"]), caption=item.get("caption"), permalink=item.get("permalink"),
        like_count=_int_or_none(item.get("like_count")), comments_count=_int_or_none(item.get("comments_count")),
        thumbnail_url=item.get("thumbnail_url"), product_type=item.get("media_product_type"),
    )


def parse_timestamp(value: str) -> datetime:
    # Instagram writes "2024-05-01T12:00:00+0000"; fromisoformat wants "+00:00".
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


class InstagramClient:
    def __init__(self, settings: Settings | None = None, session: requests.Session | None = None,
                 sleep=time.sleep, clock=time.monotonic):
        self.s = settings or load()
        self.http = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self._resume_at = 0.0  # clock time before which no request goes out (usage headers)

    # --- OAuth -------------------------------------------------------------------------------
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode({
            "client_id": self.s.instagram_client_id, "redirect_uri": redirect_uri,
            "response_type": "code", "scope": ",".join(self.scopes()), "state": state,
        })
        return f"{self.s.instagram_auth_url}/oauth/authorize?{query}"

    def scopes(self) -> tuple[str, ...]:
        """The permissions asked for: the profile and media, and each post's insights unless
        LIKELY_INSTAGRAM_INSIGHTS is off (an app not approved for them)."""
        return ("instagram_business_basic",) + (
            ("instagram_business_manage_insights",) if self.s.instagram_insights else ())

    def exchange_code(self, code: str, redirect_uri: str) -> Token:
        data = self._request("POST", f"{self.s.instagram_api_url}/oauth/access_token", data={
            "client_id": self.s.instagram_client_id, "client_secret": self.s.instagram_client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code,
        })
        token = unwrap(data, "access_token")
        return Token(token["access_token"], None, _id(token.get("user_id")), _permissions(token.get("permissions")))

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
        """{"user_id", "username", "id"} of the token's account (ids as strings)."""
        body = unwrap(self._request("GET", f"{self._graph()}/me",
                                    params={"fields": "user_id,username", "access_token": token}), "username")
        return {**body, "user_id": _id(body.get("user_id") or body.get("id")), "id": _id(body.get("id"))}

    def media(self, token: str, page_size: int = 100) -> Iterator[Media]:
        """Every media item of the user, following the cursors to the last page."""
        url: str | None = f"{self._graph()}/me/media"
        params: dict | None = {"fields": MEDIA_FIELDS, "limit": page_size, "access_token": token}
        while url:
            page = self._request("GET", url, params=params)
            for item in page.get("data", []):
                yield parse_media(item)
            # `paging.next` carries every parameter, the `after` cursor included; the last page has none.
            url, params = (page.get("paging") or {}).get("next"), None

    def media_insights(self, token: str, media_id: str, metrics: tuple[str, ...]) -> dict:
        """`GET /{media-id}/insights?metric=...`, Instagram's answer as it came
        (shared.instagram.media_insights reads it); a refusal raises as any request's does."""
        return self._request("GET", f"{self._graph()}/{media_id}/insights",
                             params={"metric": ",".join(metrics), "access_token": token})

    def online_followers(self, token: str, ig_user_id: str, days: int = 29) -> dict:
        """`GET /{ig-user-id}/insights?metric=online_followers&period=lifetime` over the last
        `days` days (Meta keeps 30), Meta's answer as it came (shared.instagram.online_followers
        reads it); a refusal (no permission: error 10) raises as any request's does."""
        until = int(time.time())
        return self._request("GET", f"{self._graph()}/{ig_user_id}/insights", params={
            "metric": "online_followers", "period": "lifetime", "since": until - days * 86400, "until": until,
            "access_token": token})

    # --- plumbing ----------------------------------------------------------------------------
    def _graph(self) -> str:
        return f"{self.s.instagram_graph_url}/{self.s.instagram_api_version}"

    @staticmethod
    def _token(data: dict) -> Token:
        data = unwrap(data, "access_token")
        expires_in = _int_or_none(data.get("expires_in"))
        expires_at = (datetime.fromtimestamp(time.time() + expires_in, timezone.utc)
                      if expires_in else None)
        return Token(data["access_token"], expires_at, _id(data.get("user_id")), _permissions(data.get("permissions")))

    def _wait_for_quota(self) -> None:
        """Wait out the pause the last usage headers asked for; one longer than the longest a
        worker waits fails as throttled, without asking Instagram (it would only refuse)."""
        wait = self._resume_at - self.clock()
        if wait > self.s.instagram_max_pause:
            raise Throttled(f"Instagram asks us to wait {wait / 60:.0f} minutes before the next request; "
                            "try again later", retry_after=wait)
        if wait > 0:
            log.info("Instagram usage is high: waiting %.1fs before the next request", wait)
            self.sleep(wait)

    def _note_usage(self, headers) -> float:
        """Remember the pause the usage headers ask for before the next request; returns it."""
        pause = pause_for(parse_usage(headers), slow_above=self.s.instagram_slow_above,
                          slow_delay=self.s.instagram_slow_delay, full_pause=self.s.instagram_full_pause)
        self._resume_at = self.clock() + pause if pause > 0 else 0.0
        return pause

    def _request(self, method: str, url: str, **kwargs) -> dict:
        delay = self.s.instagram_backoff
        for attempt in range(self.s.instagram_retries + 1):
            self._wait_for_quota()
            try:
                resp = self.http.request(method, url, timeout=self.s.instagram_timeout, **kwargs)
            except requests.RequestException as exc:
                raise InstagramError(f"Instagram could not be reached: {exc.__class__.__name__}") from exc
            try:
                body = resp.json()
            except ValueError:
                body = {}
            error = body.get("error") if isinstance(body, dict) else None
            if error is None and isinstance(body, dict) and "error_type" in body:
                # api.instagram.com's OAuth errors: {"error_type", "code" (the HTTP status), "error_message"}
                error = {"message": body.get("error_message"), "type": body["error_type"]}
            if resp.ok and not error:
                self._note_usage(resp.headers)
                return body
            err = _error(resp.status_code, error)
            if resp.status_code == 429 or resp.status_code >= 500 or err.code in THROTTLE_CODES or err.transient:
                pause = self._note_usage(resp.headers)
                if attempt < self.s.instagram_retries:
                    log.warning("Instagram throttled (code %s, trace %s), retrying in %.1fs", err.code, err.trace_id,
                                max(delay, pause))
                    if pause < delay:
                        self.sleep(delay - pause)  # the usage pause, if any, is waited out before the next try
                    delay *= 2
                    continue
                raise Throttled(f"Instagram is busy or throttling requests: {err.detail}", code=err.code,
                                status=err.status, subcode=err.subcode, transient=True, trace_id=err.trace_id)
            raise err
        raise AssertionError("unreachable")


def _error(status: int, error) -> InstagramError:
    """The exception for an error response (`error` is the body's "error" member, if any)."""
    err = error if isinstance(error, dict) else {}
    code, subcode = _int_or_none(err.get("code")), _int_or_none(err.get("error_subcode"))
    message = err.get("message") or (error if isinstance(error, str) else None) or f"HTTP {status}"
    trace = err.get("fbtrace_id")
    transient = bool(err.get("is_transient")) or code in TRANSIENT_CODES
    kind = InstagramError
    if code in TOKEN_CODES or (code is None and status in (401, 403)):
        kind = TokenRejected
    prefix = {TokenRejected: "Instagram rejected the access token", InstagramError: "Instagram error"}[kind]
    detail = f" (trace {trace})" if trace else ""
    exc = kind(f"{prefix}: {message}{detail}", code=code, status=status, subcode=subcode, transient=transient,
               trace_id=trace)
    exc.detail = message
    return exc


def _int_or_none(value) -> int | None:
    """An integer Instagram sent as a number or a numeric string; None when absent or not one."""
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None
