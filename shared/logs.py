"""Logs as JSON lines, set up the same way by every service (python-json-logger).

Every line has `time`, `level`, `logger`, `message`, `service`, and those of `run_id`,
`user_id`, `message_id` and `request_id` that the code running holds: the gateway binds the
request id per HTTP request, a worker binds all four per message (`bound`), in context
variables, so a handler's own log lines carry them without passing them around. The request
id travels on in the AMQP header `request-id`: `message_headers()` gives it to every publish.
"""
from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter

FIELDS = ("run_id", "user_id", "message_id", "request_id")
# No `x-` prefix: the worker keeps a message's own headers (not the broker's x-*) when it retries
# or dead-letters it, so the id survives both.
REQUEST_ID_HEADER = "request-id"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")  # what a client may choose

_context: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(f"likely_{name}", default=None) for name in FIELDS}


def current(name: str) -> str | None:
    return _context[name].get()


@contextmanager
def bound(**fields):
    """Hold these fields (run_id=..., request_id=...; None clears one) for the log lines and
    publishes made inside the block, in this thread or task."""
    tokens = [(_context[name], _context[name].set(None if value is None else str(value)))
              for name, value in fields.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is a sane token, else a new one."""
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def message_headers() -> dict:
    """The headers a message published now carries on (the request id, when there is one)."""
    request_id = current("request_id")
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


class ContextFilter(logging.Filter):
    """Adds `service` and the bound fields to every record that passes the handler."""

    def __init__(self, service: str = "likely"):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        for name, var in _context.items():
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


def formatter() -> JsonFormatter:
    return JsonFormatter("{levelname}{name}{message}{process}", style="{", timestamp="time",  # ISO, UTC, ms
                         rename_fields={"levelname": "level", "name": "logger"})


def setup(service: str, level: int = logging.INFO) -> None:
    """JSON lines on stdout for the whole process (the root logger); idempotent."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter())
    handler.addFilter(ContextFilter(service))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
