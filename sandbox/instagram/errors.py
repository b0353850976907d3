"""The sandbox's errors: Instagram's error body for the Instagram endpoints, a plain JSON one
for the test-control API and the media files."""
from __future__ import annotations

import secrets
import string

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException


class IGError(Exception):
    def __init__(self, message: str, code: int, status: int = 400, type_: str = "OAuthException",
                 subcode: int | None = None, transient: bool | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.type = message, code, status, type_
        self.subcode, self.transient, self.headers = subcode, transient, headers or {}

    def response(self) -> Response:
        err: dict = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.transient is not None:
            err["is_transient"] = self.transient
        err["fbtrace_id"] = _trace_id()
        resp = jsonify({"error": err})
        resp.status_code = self.status
        if self.code == 190:
            resp.headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{self.message}"'
        for k, v in self.headers.items():
            resp.headers[k] = v
        return resp


def _trace_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(11))


def param_error(message: str, subcode: int | None = None) -> IGError:
    return IGError(message, 100, subcode=subcode)


def insights_not_granted() -> IGError:
    """Error 10, as Instagram answers an insights call the account did not grant."""
    return IGError("(#10) Application does not have permission for this action", 10)


def no_such_object(object_id: str) -> IGError:
    return param_error(
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation.",
        subcode=33,
    )


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def require(name: str, source=None) -> str:
    """A required parameter of the query string (or of `source`, e.g. the form)."""
    v = (source if source is not None else request.args).get(name)
    if v is None or v == "":
        raise param_error(f"Missing required parameter: {name}")
    return v


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(IGError)
    def _ig_error(e: IGError):
        return e.response()

    @app.errorhandler(ControlError)
    def _control_error(e: ControlError):
        return jsonify(
            {"error": {"code": "bad_request" if e.status == 400 else "not_found", "message": e.message}}
        ), e.status

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        if request.path.startswith("/_sandbox") or request.path.startswith("/media/"):
            return jsonify({"error": {"code": e.name.lower().replace(" ", "_"), "message": e.description}}), e.code
        return IGError(f"Unsupported {request.method.lower()} request. {e.description}", 100,
                       status=e.code if e.code in (404, 405) else 400, subcode=33 if e.code == 404 else None).response()
