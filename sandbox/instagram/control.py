"""The test-control API under /_sandbox (not Instagram): accounts' state, resets, response
shapes, posts added on the fly and tokens minted directly. The faults it injects are in
faults.py. Its state lives in memory."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from flask import Blueprint, jsonify, request

from .accounts import (
    Account,
    AccountError,
    format_timestamp,
    list_accounts,
    post_files,
    validate_post,
)
from .errors import ControlError
from .state import DOCUMENTED, SHAPES, sandbox

control = Blueprint("control", __name__, url_prefix="/_sandbox")


def ctl_account(name: str) -> Account:
    acct = sandbox().account(name)
    if acct is None:
        raise ControlError(f"no account {name!r}", 404)
    return acct


def body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        if request.data and request.data.strip():
            raise ControlError("body must be JSON")
        return {}
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def state(acct: Account) -> dict:
    sb = sandbox()
    return {"name": acct.name, "username": acct.username, "user_id": acct.user_id,
            "posts": len(sb.all_posts(acct)), **sb.control.get(acct.name).as_json()}


@control.get("/health")
def health():
    return jsonify({"ok": True, "accounts": list_accounts(sandbox().root)})


@control.get("/accounts")
def ctl_list():
    sb = sandbox()
    return jsonify({"accounts": [state(sb.account(n)) for n in list_accounts(sb.root)]})


@control.get("/accounts/<name>")
def ctl_get(name):
    return jsonify(state(ctl_account(name)))


@control.post("/reset")
def ctl_reset_all():
    sandbox().control.reset()
    return jsonify({"reset": True})


@control.post("/accounts/<name>/reset")
def ctl_reset(name):
    acct = ctl_account(name)
    sandbox().control.reset(acct.name)
    return jsonify(state(acct))


@control.get("/shapes")
def ctl_shapes():
    return jsonify(sandbox().control.shapes)


@control.post("/shapes")
def ctl_set_shapes():
    b = body()
    for key, value in b.items():
        if key not in SHAPES or value not in SHAPES[key]:
            raise ControlError(f"shapes are {', '.join(f'{k}: {v}' for k, v in SHAPES.items())}")
    ctl = sandbox().control
    with ctl.lock:
        ctl.shapes = {**ctl.shapes, **b}
    return jsonify(ctl.shapes)


@control.delete("/shapes")
def ctl_documented_shapes():
    ctl = sandbox().control
    with ctl.lock:
        ctl.shapes = dict(DOCUMENTED)
    return jsonify(ctl.shapes)


@control.post("/accounts/<name>/posts")
def ctl_add_post(name):
    sb = sandbox()
    acct = ctl_account(name)
    b = body()
    ctl = sb.control.get(acct.name)
    existing = {p["id"]: p for p in sb.all_posts(acct)}
    post = {k: v for k, v in b.items() if k not in ("image_b64", "copy_of")}
    post.setdefault("id", str(max([int(i) for i in existing if i.isdigit()] or [17900000000000000]) + 1))
    post.setdefault("timestamp", format_timestamp(datetime.now(timezone.utc)))
    post.setdefault("media_type", "IMAGE")
    post.setdefault("like_count", 0)
    post.setdefault("comments_count", 0)
    if str(post["id"]) in existing:
        raise ControlError(f"post {post['id']} exists", 409)
    files = {}
    if b.get("image_b64"):
        try:
            data = base64.b64decode(b["image_b64"], validate=True)
        except (binascii.Error, ValueError):
            raise ControlError("image_b64 is not base64") from None
        fname = post.get("file") or f"added-{post['id']}.jpg"
        post["file"] = fname
        files[fname] = data
    elif b.get("copy_of"):
        src = existing.get(str(b["copy_of"]))
        if src is None:
            raise ControlError(f"unknown media id {b['copy_of']}", 404)
        for k in ("file", "children", "thumbnail"):
            if k in src and k not in post:
                post[k] = src[k]
        if "media_type" not in b:
            post["media_type"] = src["media_type"]
    try:
        post = validate_post(post)
    except AccountError as e:
        raise ControlError(str(e)) from None
    for f in post_files(post):
        if f not in files and f not in ctl.added_files and not (acct.folder / f).is_file():
            raise ControlError(f"file {f!r} is neither given nor in the account folder")
    with sb.control.lock:
        ctl.added_files.update(files)
        ctl.added_posts.append(post)
    return jsonify(post), 201


@control.post("/accounts/<name>/token")
def ctl_token(name):
    sb = sandbox()
    acct = ctl_account(name)
    b = body()
    kind = b.get("kind", "long")
    if kind not in ("code", "short", "long"):
        raise ControlError("kind must be code, short or long")
    ttl = b.get("ttl")
    extra = {}
    if kind == "code":
        extra = {"r": b.get("redirect_uri", ""), "c": sb.client_id, "s": "instagram_business_basic"}
    tok = sb.signer.issue(acct.name, acct.user_id, kind, ttl=None if ttl is None else float(ttl), **extra)
    key = "code" if kind == "code" else "access_token"
    return jsonify({key: tok, "user_id": acct.user_id})
