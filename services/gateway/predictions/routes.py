"""Predictions: upload one image (or several, ranked), the history, and the user's own uploads."""
from __future__ import annotations

import logging
import time
import uuid

from flask import Blueprint, Response, g, jsonify, request, url_for

from services.gateway.accounts.authentication import authenticate
from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from services.gateway.http.openapi import Content, Form, api
from services.gateway.http.schemas import Error, History, HistoryQuery, ImageQuery, PredictionAnswer, PredictQuery
from services.gateway.predictions import post_intent, ranking, uploads
from shared import storage
from shared.broker.rpc import RpcTimeout
from shared.contracts import infer_request
from shared.labeling import ImageRejected
from shared.runs import now
from shared.secrets import sign, signed

log = logging.getLogger(__name__)
bp = Blueprint("predictions", __name__)
MAX_IMAGES = 10
URL_TTL = 3600
# inferer error code -> HTTP status
_STATUS = {"model_not_trained": 409, "unknown_model_kind": 400, "forbidden": 404, "image_not_found": 404,
           "inference_failed": 503}


def _signed_part(upload_id: str, user_id: str, expires: int) -> bytes:
    return f"{upload_id}:{user_id}:{expires}".encode()


def image_url(prediction: dict) -> str:
    """A URL an <img> can load without a header: signed for this user, valid for an hour."""
    expires = int(time.time()) + URL_TTL
    sig = sign(_signed_part(prediction["_id"], prediction["user_id"], expires), deps().settings)
    return url_for("predictions.image", prediction_id=prediction["_id"], exp=expires, sig=sig)


def _image_fields() -> list:
    files = request.files.getlist("image")  # a body over LIKELY_MAX_UPLOAD_BYTES: 413 before it is read
    if not files:
        raise ApiError(400, "missing_image", "Send the image as a multipart form field named `image`.")
    if len(files) > MAX_IMAGES:
        raise ApiError(400, "too_many_images", f"Send at most {MAX_IMAGES} images at once.")
    return files


def _check(files: list) -> list[uploads.Upload]:
    """Each upload checked from its header, one at a time; no image's bytes kept afterwards."""
    s = deps().settings
    limit, max_pixels = s.max_image_bytes, s.max_image_pixels
    checked = []
    for f in files:
        name = f.filename or "image"
        try:
            checked.append(uploads.inspect(f.stream.read(limit + 1), max_bytes=limit, max_pixels=max_pixels))
        except ImageRejected as exc:
            status = 413 if exc.code in ("image_too_large", "too_many_pixels") else 400
            raise ApiError(status, exc.code, f"{name}: {exc.message}") from None
    return checked


def _store(files: list, checked: list[uploads.Upload], stored: list[tuple[str, str]]) -> None:
    """Store the checked uploads one at a time, appending (upload id, key) to `stored` once written."""
    d = deps()
    for f, upload in zip(files, checked, strict=True):
        f.stream.seek(0)
        upload_id = uuid.uuid4().hex
        key = storage.upload_key(g.user_id, upload_id, upload.ext)
        d.store.put(key, f.stream.read(), upload.mimetype)
        stored.append((upload_id, key))


def _discard(stored: list[tuple[str, str]]) -> None:
    """A prediction that failed leaves none of its uploads behind."""
    for _, key in stored:
        try:
            deps().store.delete(key)
        except Exception:  # the request's own error is the one to answer
            log.warning("could not delete the upload %s of a failed prediction", key, exc_info=True)


def _predict(stored: list[tuple[str, str]], checked: list[uploads.Upload], names: list, kind: str | None,
             intent: post_intent.Intent) -> list[dict]:
    """Ask the inferer about every stored upload, as the post `intent` names; the prediction
    documents, once all answered."""
    d = deps()
    timeout = d.settings.rpc_timeout
    requests_ = [infer_request(user_id=g.user_id, image_key=key, sha256=up.sha256, model_kind=kind,
                               deadline=time.time() + timeout, media_type=intent.media_type,
                               product_type=intent.product_type, caption=intent.caption)
                 for (_, key), up in zip(stored, checked, strict=True)]
    try:
        replies = d.rpc.call_many(requests_, timeout)
    except RpcTimeout as exc:
        raise ApiError(
            503, "inferer_unavailable", f"The prediction service did not answer in time ({exc}). Try again."
        ) from None
    for reply in replies:
        if not reply.ok:
            raise ApiError(_STATUS.get(reply.error_code or "", 400), reply.error_code or "inference_failed",
                           reply.error_message or "The image could not be analysed.")
    docs = [{"_id": upload_id, "user_id": g.user_id, "image_key": key, "filename": name, "result": reply.result,
             "created_at": now()} for (upload_id, key), reply, name in zip(stored, replies, names, strict=True)]
    d.db.predictions.insert_many(docs)
    return docs


def _view(p: dict) -> dict:
    return {"id": p["_id"], "created_at": p["created_at"].isoformat(), "image_url": image_url(p),
            "filename": p.get("filename"), **p["result"]}


IMAGE_TYPES = tuple(sorted(set(uploads.MIME_TYPES.values())))
UPLOAD_FORM = Form(
    # One `image` part per image (up to MAX_IMAGES): OpenAPI describes a repeated part only as an
    # array, whose items schemathesis would send without a filename (a form field, not a file).
    fields={"image": {"type": "string", "format": "binary",
                      "description": f"an image; repeat the field for several (at most {MAX_IMAGES})"},
            **post_intent.FIELDS},
    required=("image",), media_types={"image": ", ".join(IMAGE_TYPES)}, constraints=post_intent.FORMAT_CHOICES)


@bp.post("/api/v1/predictions")
@api(query=PredictQuery, body=UPLOAD_FORM, responses={
    201: ("one image: its prediction; several: {predictions} ranked best first", PredictionAnswer),
    400: ("not an image we take, or a polyglot, or a bad field: missing_image, too_many_images, not_an_image, "
          "empty_image, polyglot, corrupt_image, truncated_image, unknown_model_kind, unknown_media_type, "
          "unknown_product_type, unknown_format (a pair one cannot post), caption_too_long, invalid_caption "
          "(a file, or twice), ...", Error),
    404: ("the upload was gone before the inferer read it (image_not_found)", Error),
    409: ("no model yet (model_not_trained), or several images to rank by a metric the model has not got "
          "(metric_not_predicted, with why)", Error),
    413: ("a body, an image or an image's pixels beyond the limits: payload_too_large, image_too_large, "
          "too_many_pixels", Error),
    503: ("the inferer did not answer in time (inferer_unavailable), or a backing service is down", Error)})
def create():
    """Predict likes and comments (and reach, views, saves, shares where the model has them) for
    one image, or rank several (multipart `image` fields) by `?rank_by=` (likes by default).

    Optional text fields name the post intended, the same for every image: `media_type` and
    `product_type` (IMAGE/FEED a photo, the default; CAROUSEL_ALBUM/FEED a carousel;
    VIDEO/REELS a reel) and `caption`. The answer says what each format would get (`formats`)
    and what the caption's hashtags do (`caption`)."""
    d = deps()
    kind = g.query.model
    intent = post_intent.read(request.form, request.files)
    files = _image_fields()
    checked = _check(files)
    model = d.db.models.find_one({"user_id": g.user_id}, ranking.PROJECTION, sort=[("version", -1)])
    if model is None:
        raise ApiError(409, "model_not_trained", "You have no model yet: connect Instagram and train one.")
    if len(files) > 1:
        ranking.check(model, g.query.rank_by)
    stored: list[tuple[str, str]] = []
    try:
        _store(files, checked, stored)
        docs = _predict(stored, checked, [f.filename for f in files], kind, intent)
    except BaseException:  # the inferer refused, failed or did not answer; MongoDB failed
        _discard(stored)
        raise
    views = [_view(p) for p in docs]
    if len(views) == 1:
        return jsonify(views[0]), 201
    return jsonify({"predictions": ranking.rank(views, g.query.rank_by)}), 201


@bp.get("/api/v1/predictions")
@api(query=HistoryQuery, responses={200: History})
def history():
    """The user's past predictions, newest first (`?page=1&per_page=20`)."""
    page, per_page = g.query.page, g.query.per_page
    db = deps().db
    total = db.predictions.count_documents({"user_id": g.user_id})
    items = db.predictions.find({"user_id": g.user_id}, sort=[("created_at", -1)], skip=(page - 1) * per_page,
                                limit=per_page)
    return jsonify({"predictions": [_view(p) for p in items], "page": page, "per_page": per_page, "total": total})


@bp.get("/api/v1/predictions/<prediction_id>/image")
@api(auth="optional", query=ImageQuery, responses={
    200: ("the uploaded image", Content(IMAGE_TYPES)),
    401: ("neither a signed URL nor a valid session token", Error),
    404: ("no such image of this user, or the signed URL is wrong or expired (image_not_found)", Error)})
def image(prediction_id: str):
    """The uploaded image of a prediction: to its owner (bearer token) or by a signed URL."""
    db = deps().db
    p = db.predictions.find_one({"_id": prediction_id})
    sig, exp = g.query.sig, g.query.exp
    if sig and exp is not None:
        ok = p is not None and exp >= time.time() and signed(sig, _signed_part(prediction_id, p["user_id"], exp),
                                                              deps().settings)
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
    return Response(
        data,
        mimetype=uploads.MIME_TYPES.get(ext, "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=3600"},
    )
