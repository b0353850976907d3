"""What stands for Instagram's CDN and web pages: the media files (with the faults the test
control injects) and a small page per post (its permalink)."""
from __future__ import annotations

import html
import mimetypes
import time

from flask import Blueprint, Response, jsonify, send_file

from .accounts import list_accounts, post_files
from .media import shortcode
from .state import sandbox

FAULT_MODES = ("broken", "truncated", "html", "404", "slow")
BROKEN_BYTES = b"this is not an image: the sandbox was told to break it\n" * 8

cdn = Blueprint("cdn", __name__)


def not_found():
    return jsonify({"error": {"code": "not_found", "message": "no such file"}}), 404


@cdn.get("/media/<name>/<fname>")
def media_file(name, fname):
    sb = sandbox()
    acct = sb.account(name)
    if acct is None:
        return not_found()
    ctl = sb.control.get(acct.name)
    owners = acct.file_owners.get(fname, []) + [p["id"] for p in ctl.added_posts if fname in post_files(p)]
    if not owners:
        return not_found()
    with sb.control.lock:
        ctl.stats["files"] += 1
        fault = next((ctl.faults[i] for i in owners if i in ctl.faults), None)
    mimetype = mimetypes.guess_type(fname)[0] or "application/octet-stream"
    data = ctl.added_files.get(fname)
    if fault:
        mode = fault["mode"]
        if mode == "404":
            return Response("Not Found", status=404, mimetype="text/plain")
        if mode == "broken":
            return Response(BROKEN_BYTES, mimetype=mimetype)
        if mode == "html":
            return Response(
                "<!doctype html><title>Sorry</title><p>This content isn't available.</p>", mimetype="text/html"
            )
        if mode == "truncated":
            raw = data if data is not None else (acct.folder / fname).read_bytes()
            return Response(raw[: max(1, len(raw) // 2)], mimetype=mimetype)
        if mode == "slow":
            time.sleep(float(fault.get("seconds", 5)))
    if data is not None:
        return Response(data, mimetype=mimetype)
    path = acct.folder / fname
    if not path.is_file():
        return not_found()
    return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)


@cdn.get("/p/<code>/")
def permalink(code):
    sb = sandbox()
    for name in list_accounts(sb.root):
        acct = sb.account(name)
        for p in sb.all_posts(acct):
            if shortcode(p["id"]) == code:
                first = p["children"][0] if p["media_type"] == "CAROUSEL_ALBUM" else p.get("thumbnail") or p["file"]
                return Response(
                    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                    f"<title>@{html.escape(acct.username)}</title></head>"
                    f"<body><img alt='{html.escape(p.get('caption') or '')}' "
                    f"src='/media/{acct.name}/{html.escape(first)}' width='540'>"
                    f"<p>{html.escape(p.get('caption') or '')}</p>"
                    f"<p>{'likes hidden' if p['like_count'] is None else str(p['like_count']) + ' likes'}, "
                    f"{p['comments_count']} comments</p></body></html>",
                    mimetype="text/html",
                )
    return Response("Not Found", status=404, mimetype="text/plain")
