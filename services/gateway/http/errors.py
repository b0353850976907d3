"""The API's error shape: {"error": {"code": "snake_case_code", "message": "..."}}."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(status: int, code: str, message: str, **extra):
    resp = jsonify({"error": {"code": code, "message": message, **extra}})
    resp.status_code = status
    return resp


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
               413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests"}


def install(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = _HTTP_CODES.get(exc.code or 500, "http_error")
        message = exc.description or exc.name
        if exc.code == 413:
            message = "The request is larger than this server accepts."
        if exc.code == 429:
            message = f"Too many attempts ({exc.description}). Wait a moment (see Retry-After) and try again."
        resp = error_response(exc.code or 500, code, message)
        if exc.code == 405:  # RFC 9110: a 405 names the methods the resource has
            resp.headers["Allow"] = ", ".join(sorted(getattr(exc, "valid_methods", None) or []))
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_outage(exc):
            log.warning("a backing service is unavailable: %r", exc)
            return error_response(
                503,
                "service_unavailable",
                "Likely is briefly unavailable (a backing service is down); nothing was changed, try again shortly.",
            )
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side; nothing was changed.")


def is_outage(exc: Exception) -> bool:
    """Redis, MongoDB or the broker did not answer: a 503, not a 500."""
    from kombu.exceptions import OperationalError
    from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    if isinstance(exc, PyMongoError) and getattr(exc, "timeout", False):
        return True  # pymongo's client-side operation timeout (timeoutMS)
    return isinstance(exc, (RedisConnectionError, RedisTimeout, ConnectionFailure, ExecutionTimeout,
                            OperationalError, ConnectionError, TimeoutError))


def _invalid(exc: ValidationError, model: type[BaseModel]) -> ApiError:
    """The first problem as a 400: `invalid_field`, or the code the model names for it
    (`error_codes = {("password", "string_too_short"): "password_too_short"}`)."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    code = getattr(model, "error_codes", {}).get((field, first["type"]), "invalid_field")
    return ApiError(400, code, f"{field}: {first['msg']}", field=field)


#: The longest query string a route with a query model reads (its own parameters take a few dozen
#: bytes). Longer: 414 in the API's error shape. gunicorn reads request lines up to 8190 bytes
#: (`--limit-request-line`, set by `python -m services.gateway`) and answers its own 414 beyond.
MAX_QUERY_BYTES = 2048


def parse_query(model: type[BaseModel]):
    """The query string validated against `model`; a name of the model given twice is a 400."""
    from flask import request

    if len(request.query_string) > MAX_QUERY_BYTES:
        raise ApiError(414, "query_too_long", f"The query string is longer than this server reads "
                                              f"({MAX_QUERY_BYTES} bytes).")
    for name, values in request.args.lists():
        if len(values) > 1 and name in model.model_fields:
            raise ApiError(400, "repeated_parameter", f"{name}: give this parameter once.", field=name)
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise _invalid(exc, model) from None


def parse_json(model: type[BaseModel]):
    """The request's JSON body validated against `model`; a clear 400 otherwise."""
    from flask import request

    data = request.get_json(silent=True)
    if data is None:
        if request.get_data(cache=True):
            raise ApiError(400, "malformed_json", "The request body is not valid JSON.")
        raise ApiError(400, "missing_body", "This request needs a JSON body.")
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", "The JSON body must be an object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, model) from None
