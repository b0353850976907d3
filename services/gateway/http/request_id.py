"""The request id: taken from the client's X-Request-ID (when it is a sane token) or made,
bound to every log line of the request (shared.logs), returned as X-Request-ID, and put
in the headers of every message the request publishes, so the workers' lines carry it too.
Lines logged once the request is authenticated also carry its `user_id`."""
from __future__ import annotations

import logging

from flask import Flask, g, has_request_context, request

from shared import logs

HEADER = "X-Request-ID"
USER_ID_ENVIRON = "likely.user_id"  # for the access line, which gunicorn writes after Flask is done


def install(app: Flask) -> None:
    @app.before_request
    def _bind_request_id():
        g.request_id = logs.request_id_from(request.headers.get(HEADER))
        g.request_log = logs.bound(request_id=g.request_id)
        g.request_log.__enter__()

    @app.after_request
    def _return_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        if "user_id" in g:
            request.environ[USER_ID_ENVIRON] = g.user_id
        return response

    @app.teardown_request
    def _unbind_request_id(_exc):
        if "request_log" in g:
            g.request_log.__exit__(None, None, None)


class UserFilter(logging.Filter):
    """Adds the authenticated user's id (`authenticate` sets g.user_id) to a line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "user_id" in g and not hasattr(record, "user_id"):
            record.user_id = g.user_id
        return True
