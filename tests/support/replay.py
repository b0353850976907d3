"""A loopback HTTP server that answers with recorded responses (Meta's documented examples).

Each route (method, path) answers its responses in turn, the last one repeatedly. "{base}"
anywhere in a body or header is replaced by the server's URL (paging `next` links). Every
request is recorded (method, path, query, form) so a test can check what the client sent.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    form: dict


@dataclass
class ReplayServer:
    routes: dict = field(default_factory=dict)  # (method, path) -> [{"status", "headers", "body"}]
    requests: list = field(default_factory=list)

    def reset(self) -> "ReplayServer":
        self.routes.clear()
        self.requests.clear()
        return self

    def answer(self, method: str, path: str, *responses: dict) -> "ReplayServer":
        self.routes[(method, path)] = list(responses)
        return self

    def _app(self, environ, start_response):
        req = Request(environ)
        self.requests.append(Recorded(req.method, req.path, dict(req.args), dict(req.form)))
        queue = self.routes.get((req.method, req.path))
        if not queue:
            resp = Response(json.dumps({"error": {"message": f"no recorded answer for {req.method} {req.path}",
                                                   "type": "OAuthException", "code": 100}}),
                            status=404, mimetype="application/json")
            return resp(environ, start_response)
        rec = queue.pop(0) if len(queue) > 1 else queue[0]
        body = json.dumps(rec.get("body", {})).replace("{base}", self.url)
        headers = {k: v.replace("{base}", self.url) for k, v in rec.get("headers", {}).items()}
        return Response(body, status=rec.get("status", 200), headers=headers, mimetype="application/json")(
            environ, start_response)

    def __enter__(self) -> "ReplayServer":
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(5)
