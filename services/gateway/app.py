"""The gateway's Flask application factory."""
from __future__ import annotations

from flask import Flask

from services.gateway import (auth, errors, handover, headers, health, instagram_api, limits, predictions,
                              request_id, training, web)
from services.gateway import admin  # the operators' API (likely top, dead letters)
from services.gateway.deps import Deps


def create_app(deps: Deps | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    deps = deps or Deps()
    app.extensions["likely"] = deps
    app.config["MAX_CONTENT_LENGTH"] = deps.settings.max_upload_bytes
    app.json.sort_keys = False
    request_id.install(app)  # first: every later hook and view logs with the request id
    errors.install(app)
    headers.install(app, deps.settings.public_url)
    if deps.settings.proxy_hops:  # the client's address as the trusted proxies saw it
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=deps.settings.proxy_hops, x_proto=deps.settings.proxy_hops)
    limits.install(app, deps.settings)
    for bp in (health.bp, auth.bp, handover.bp, instagram_api.bp, training.bp, predictions.bp, web.bp, admin.bp):
        app.register_blueprint(bp)
    return app
