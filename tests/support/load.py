"""Load on the gateway (issue 10): clients polling a run's status twice a second, as the web app
does (keeping the ETag and sending If-None-Match, like the browser), and clients predicting one
photo after another, for a while; every answer that is not what the route gives is an error.
Used by bench/load.py (60 s, figures printed) and tests/e2e/test_load.py (shortened)."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

TIMEOUT = 30.0


@dataclass
class Tally:
    ok: set[int]
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    reconnected: int = 0  # GETs sent again on a new connection (see _get_as_a_browser)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, status: int | None, error: str | None = None) -> None:
        ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies_ms.append(ms)
            self.statuses[status if status is not None else "exception"] += 1
            if error or status not in self.ok:
                self.errors.append(error or f"HTTP {status}")

    def figures(self, duration: float) -> dict:
        from statistics import quantiles

        lat = sorted(self.latencies_ms)
        cuts = quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
        return {"requests": len(lat), "errors": len(self.errors), "per_s": round(len(lat) / duration, 1),
                "p50_ms": round(cuts[49], 1) if lat else None, "p99_ms": round(cuts[98], 1) if lat else None,
                "max_ms": round(lat[-1], 1) if lat else None,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
                "error_samples": self.errors[:5], "reconnected": self.reconnected}


def _poller(base_url: str, token: str, path: str, interval: float, stop_at: float, tally: Tally, seen: dict) -> None:
    """GET the status every `interval` seconds (from a random start), revalidating like a browser."""
    etag = None
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        next_at = time.monotonic() + random.uniform(0, interval)
        while True:
            time.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= stop_at:
                return
            next_at += interval
            started = time.perf_counter()
            try:
                resp = _get_as_a_browser(http, base_url + path, {"If-None-Match": etag} if etag else {}, tally)
            except requests.RequestException as exc:
                tally.add(started, None, repr(exc))
                continue
            tally.add(started, resp.status_code)
            if resp.status_code == 200:
                etag = resp.headers.get("ETag")
                seen["state"] = resp.json().get("state")
                seen["status"] = resp.json()


def _get_as_a_browser(http: requests.Session, url: str, headers: dict, tally: "Tally") -> requests.Response:
    """GET, and once more on a new connection if a kept-alive one was closed under the request.

    The server may close an idle kept-alive connection just as the client reuses it; HTTP/1.1 lets
    a client retry an idempotent request then (RFC 9112 §9.3.1), and browsers do so unseen. Such
    retries are counted (`reconnected`), not hidden; a second failure is an error."""
    try:
        return http.get(url, headers=headers, timeout=TIMEOUT)
    except requests.ConnectionError as exc:
        if "Connection aborted" not in str(exc):  # urllib3's word for "closed before any answer"
            raise
    with tally.lock:
        tally.reconnected += 1
    return http.get(url, headers=headers, timeout=TIMEOUT)


def _predictor(base_url: str, token: str, photos: list[tuple[str, bytes]], stop_at: float, tally: Tally) -> None:
    """One prediction after another, until the time is up."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        i = random.randrange(len(photos))
        while time.monotonic() < stop_at:
            name, data = photos[i % len(photos)]
            i += 1
            started = time.perf_counter()
            try:
                resp = http.post(base_url + "/api/v1/predictions", files={"image": (name, data, "image/jpeg")},
                                 timeout=TIMEOUT)
            except requests.RequestException as exc:
                tally.add(started, None, repr(exc))
                continue
            tally.add(started, resp.status_code, None if resp.status_code == 201 else resp.text[:200])


def run(base_url: str, *, poll_tokens: list[str], predict_token: str, photos: list[tuple[str, bytes]],
        predictors: int, duration: float, interval: float = 0.5,
        poll_path: str = "/api/v1/training-runs/current") -> dict:
    """Poll and predict at once for `duration` seconds; the figures of each."""
    polls, predictions = Tally(ok={200, 304}), Tally(ok={201})
    seen: dict = {}
    stop_at = time.monotonic() + duration
    threads = [
        threading.Thread(target=_poller, args=(base_url, t, poll_path, interval, stop_at, polls, seen), daemon=True)
        for t in poll_tokens
    ]
    threads += [threading.Thread(target=_predictor, args=(base_url, predict_token, photos, stop_at, predictions),
                                 daemon=True) for _ in range(predictors)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + TIMEOUT + 30)
    elapsed = time.monotonic() - started
    return {"duration_s": round(elapsed, 1), "pollers": len(poll_tokens), "predictors": predictors,
            "polls": polls.figures(elapsed), "predictions": predictions.figures(elapsed),
            "run_state_last_seen": seen.get("state"), "run_last_seen": seen.get("status")}


def sessions(base_url: str, email: str, password: str, n: int, workers: int = 8) -> list[str]:
    """`n` session tokens of one account (n people, or n tabs, watching one run), logged in through the API."""
    from concurrent.futures import ThreadPoolExecutor

    def log_in(_):
        resp = requests.post(base_url + "/api/v1/sessions", json={"email": email, "password": password}, timeout=60)
        resp.raise_for_status()
        return resp.json()["token"]

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(log_in, range(n)))
