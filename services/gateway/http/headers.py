"""Security headers on every answer of the gateway: pages, API, images, errors alike."""
from __future__ import annotations

from flask import Flask

# Pages only talk to their own origin; images are the user's own (blob: for thumbnails).
PAGE_CSP = ("default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'")
# Anything else (JSON, images, scripts) is never a document: it may load nothing, run nothing.
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def headers_for(mimetype: str, public_url: str) -> dict[str, str]:
    """The headers an answer of this type gets (kept where a view set its own)."""
    out = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",  # OAuth codes and signed image URLs go nowhere else
        "Content-Security-Policy": PAGE_CSP if mimetype == "text/html" else OTHER_CSP,
    }
    if mimetype == "text/html":
        out["Cache-Control"] = "no-store"
    if public_url.startswith("https://"):
        out["Strict-Transport-Security"] = HSTS
    return out


def install(app: Flask, public_url: str) -> None:
    @app.after_request
    def _security_headers(resp):
        for name, value in headers_for(resp.mimetype or "", public_url).items():
            resp.headers.setdefault(name, value)
        return resp
