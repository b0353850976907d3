"""gunicorn's own log lines (start, workers, the access log) as JSON lines like every other
line of the gateway (shared.logs): `--logger-class services.gateway.gunicorn_logger.JsonLogger`.
The access line is written after the response, outside Flask: it takes the request id from
the X-Request-ID response header and the user id from the WSGI environ."""
from __future__ import annotations

import logging

from gunicorn import glogging

from services.gateway.http.request_id import HEADER, USER_ID_ENVIRON, UserFilter
from shared import logs


class JsonLogger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        logs.setup("gateway")
        for handler in logging.getLogger().handlers:
            handler.addFilter(UserFilter())
        for log in (self.error_log, self.access_log):  # through the root's JSON handler only
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True

    def access(self, resp, req, environ, request_time):
        request_id = next((v for k, v in resp.headers if k.lower() == HEADER.lower()), None)
        with logs.bound(request_id=request_id, user_id=environ.get(USER_ID_ENVIRON)):
            super().access(resp, req, environ, request_time)
