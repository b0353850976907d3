"""The Graph API endpoints: the user (/me), their media list with cursor paging, one media item."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import account_insights, media_insights
from .errors import no_such_object, param_error
from .media import (
    MEDIA_FIELDS,
    USER_FIELDS,
    cursor,
    render_media,
    requested_fields,
    uncursor,
    with_params,
)
from .state import bearer, sandbox

DEFAULT_LIMIT = 25
MAX_LIMIT = 100

graph = Blueprint("graph", __name__)


@graph.get("/me")
@graph.get("/<ver:version>/me")
def me(version=None):
    sb = sandbox()
    _, acct, ctl = sb.check_token(bearer())
    ctl.stats["me"] += 1
    fields = requested_fields(request.args.get("fields"), USER_FIELDS, "User", ["id"])
    out: dict = {}
    for f in fields:
        if f == "user_id":
            out["user_id"] = acct.user_id
        elif f == "username":
            out["username"] = acct.username
        elif f == "account_type":
            out["account_type"] = acct.account_type
        elif f == "media_count":
            out["media_count"] = len(sb.all_posts(acct))
        elif f == "name":
            out["name"] = acct.username
    out["id"] = acct.user_id
    return jsonify({"data": [out]} if sb.control.shapes["me"] == "wrapped" else out)


def page_limit(args) -> int:
    try:
        limit = int(args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise param_error("(#100) Param limit must be a number") from None
    if limit < 1:
        raise param_error("(#100) Param limit must be a positive number")
    return min(limit, MAX_LIMIT)


def list_media(node: str):
    sb = sandbox()
    _, acct, ctl = sb.check_token(bearer())
    if node not in ("me", acct.user_id):
        raise no_such_object(node)
    with sb.control.lock:
        ctl.stats["media_list"] += 1
    sb.throttle(ctl)
    args = request.args
    fields = requested_fields(args.get("fields"), MEDIA_FIELDS, "ShadowIGMedia", ["id"])
    limit = page_limit(args)
    posts = sb.all_posts(acct)
    ids = [p["id"] for p in posts]
    start = 0
    if args.get("after"):
        mid = uncursor(args["after"])
        if mid not in ids:
            raise param_error("Invalid cursor")
        start = ids.index(mid) + 1
    elif args.get("before"):
        mid = uncursor(args["before"])
        if mid not in ids:
            raise param_error("Invalid cursor")
        start = max(0, ids.index(mid) - limit)
        limit = ids.index(mid) - start
    page = posts[start:start + limit]
    base = sb.base_url()
    body: dict = {"data": [render_media(acct, p, fields, base) for p in page]}
    if page:
        cursors = {"before": cursor(page[0]["id"]), "after": cursor(page[-1]["id"])}
        paging: dict = {"cursors": cursors}
        here = f"{base}{request.path.lstrip('/')}"
        common = {"access_token": bearer(), "fields": ",".join(fields) if args.get("fields") else None,
                  "limit": str(min(int(args.get("limit", DEFAULT_LIMIT)), MAX_LIMIT))}
        if start > 0:
            paging["previous"] = with_params(here, {**common, "before": cursors["before"]})
        if start + len(page) < len(posts):
            paging["next"] = with_params(here, {**common, "after": cursors["after"]})
        body["paging"] = paging
    return jsonify(body)


@graph.get("/me/media")
@graph.get("/<ver:version>/me/media")
def me_media(version=None):
    return list_media("me")


@graph.get("/<ver:version>/<node>/media")
@graph.get("/<node>/media")
def node_media(node, version=None):
    return list_media(node)


@graph.get("/<ver:version>/<media_id>/insights")
@graph.get("/<media_id>/insights")
def insights(media_id, version=None):
    """A post's insights (sandbox.instagram.media_insights); the account's own
    (sandbox.instagram.account_insights) when the node is the user."""
    sb = sandbox()
    _, acct, ctl = sb.check_token(bearer())
    with sb.control.lock:
        ctl.stats["insights"] += 1
    if media_id in ("me", acct.user_id):
        return jsonify(account_insights.answer(acct, request.args))
    return jsonify(media_insights.answer(acct, ctl, media_id, sb.all_posts(acct), request.args.get("metric")))


@graph.get("/<ver:version>/<media_id>")
def media_item(media_id, version=None):
    sb = sandbox()
    _, acct, ctl = sb.check_token(bearer())
    ctl.stats["media_item"] += 1
    fields = requested_fields(request.args.get("fields"), MEDIA_FIELDS, "ShadowIGMedia", ["id"])
    for p in sb.all_posts(acct):
        if p["id"] == media_id:
            return jsonify(render_media(acct, p, fields, sb.base_url()))
    raise no_such_object(media_id)
