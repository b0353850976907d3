"""Predictions: upload one image (or several, ranked), the history, and the user's own uploads."""
from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from flask import Blueprint, Response, g, jsonify, request, url_for

from services.gateway.auth import authenticate, deps, require_auth
from services.gateway.errors import ApiError
from shared import storage
from shared.contracts import InferRequest
from shared.labeling import ImageRejected, load_image
from shared.model import KINDS
from shared.rpc import RpcTimeout
from shared.runs import now

bp = Blueprint("predictions", __name__)
MAX_IMAGES = 10
URL_TTL = 3600
# inferer error code -> HTTP status
_STATUS = {"model_not_trained": 409, "unknown_model_kind": 400, "forbidden": 404, "image_not_found": 404,
           "inference_failed": 503}


def _signature(upload_id: str, user_id: str, expires: int) -> str:
    from shared.secrets import signing_key

    msg = f"{upload_id}:{user_id}:{expires}".encode()
    return hmac.new(signing_key(deps().settings), msg, hashlib.sha256).hexdigest()[:32]


def image_url(prediction: dict) -> str:
    """A URL an <img> can load without a header: signed for this user, valid for an hour."""
    expires = int(time.time()) + URL_TTL
    sig = _signature(prediction["_id"], prediction["user_id"], expires)
    return url_for("predictions.image", prediction_id=prediction["_id"], exp=expires, sig=sig)


def _read_images() -> list[tuple[bytes, object]]:
    files = request.files.getlist("image")
    if not files:
        raise ApiError(400, "missing_image", "Send the image as a multipart form field named `image`.")
    if len(files) > MAX_IMAGES:
        raise ApiError(400, "too_many_images", f"Send at most {MAX_IMAGES} images at once.")
    limit = deps().settings.max_image_bytes
    out = []
    for f in files:
        data = f.read(limit + 1)
        name = f.filename or "image"
        if len(data) > limit:
            raise ApiError(413, "image_too_large", f"{name} is larger than {limit // (1024 * 1024)} MB.")
        try:
            # A full check (a 1/8-scale JPEG decode still reads every byte); the inferer decodes for itself.
            intake = load_image(data, max_bytes=limit, max_pixels=deps().settings.max_image_pixels, draft=32)
        except ImageRejected as exc:
            raise ApiError(413 if exc.code == "image_too_large" else 400, exc.code, f"{name}: {exc.message}") from None
        out.append((data, intake))
    return out


def _view(p: dict) -> dict:
    return {"id": p["_id"], "created_at": p["created_at"].isoformat(), "image_url": image_url(p),
            "filename": p.get("filename"), **p["result"]}


@bp.post("/api/v1/predictions")
@require_auth
def create():
    """Predict likes and comments for one image, or rank several (multipart `image` fields)."""
    d = deps()
    kind = request.args.get("model")
    if kind is not None and kind not in KINDS:
        raise ApiError(400, "unknown_model_kind", f"model must be one of {', '.join(KINDS)}.")
    images = _read_images()
    if d.db.models.count_documents({"user_id": g.user_id}, limit=1) == 0:
        raise ApiError(409, "model_not_trained", "You have no model yet: connect Instagram and train one.")
    names = [f.filename for f in request.files.getlist("image")]
    stored = []
    for data, intake in images:
        upload_id = uuid.uuid4().hex
        key = storage.upload_key(g.user_id, upload_id, intake.ext)
        d.store.put(key, data, f"image/{intake.format.lower()}")
        stored.append((upload_id, key, intake.sha256))
    timeout = d.settings.rpc_timeout
    requests_ = [InferRequest(user_id=g.user_id, image_key=key, sha256=sha, model_kind=kind,
                              deadline=time.time() + timeout) for _, key, sha in stored]
    try:
        replies = d.rpc.call_many(requests_, timeout)
    except RpcTimeout as exc:
        raise ApiError(503, "inferer_unavailable", f"The prediction service did not answer in time ({exc}). Try again.") from None
    for reply in replies:
        if not reply.ok:
            raise ApiError(_STATUS.get(reply.error_code or "", 400), reply.error_code or "inference_failed",
                           reply.error_message or "The image could not be analysed.")
    docs = [{"_id": upload_id, "user_id": g.user_id, "image_key": key, "filename": name, "result": reply.result,
             "created_at": now()} for (upload_id, key, _), reply, name in zip(stored, replies, names)]
    d.db.predictions.insert_many(docs)
    views = [_view(p) for p in docs]
    if len(views) == 1:
        return jsonify(views[0]), 201
    ranked = sorted(views, key=lambda v: (v["likes"] or 0), reverse=True)
    for rank, v in enumerate(ranked, 1):
        v["rank"] = rank
    return jsonify({"predictions": ranked}), 201


@bp.get("/api/v1/predictions")
@require_auth
def history():
    """The user's past predictions, newest first (`?page=1&per_page=20`)."""
    try:
        page = max(int(request.args.get("page", 1)), 1)
        per_page = min(max(int(request.args.get("per_page", 20)), 1), 100)
    except ValueError:
        raise ApiError(400, "invalid_field", "page and per_page must be whole numbers.") from None
    db = deps().db
    total = db.predictions.count_documents({"user_id": g.user_id})
    items = db.predictions.find({"user_id": g.user_id}, sort=[("created_at", -1)], skip=(page - 1) * per_page,
                                limit=per_page)
    return jsonify({"predictions": [_view(p) for p in items], "page": page, "per_page": per_page, "total": total})


@bp.get("/api/v1/predictions/<prediction_id>/image")
def image(prediction_id: str):
    """The uploaded image of a prediction: to its owner (bearer token) or by a signed URL."""
    db = deps().db
    p = db.predictions.find_one({"_id": prediction_id})
    sig, exp = request.args.get("sig", ""), request.args.get("exp", "")
    if sig and exp.isdigit():
        ok = p is not None and int(exp) >= time.time() and hmac.compare_digest(sig, _signature(prediction_id, p["user_id"], int(exp)))
        if not ok:
            raise ApiError(404, "image_not_found", "No such image (or the link has expired).")
    else:
        authenticate()
        if p is None or p["user_id"] != g.user_id:
            raise ApiError(404, "image_not_found", "No such image.")
    try:
        data = deps().store.get(p["image_key"])
    except KeyError:
        raise ApiError(404, "image_not_found", "No such image.") from None
    ext = p["image_key"].rsplit(".", 1)[-1]
    mime = {"jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(ext, f"image/{ext}")
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=3600"})
