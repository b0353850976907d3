"""The gateway's Flask application factory."""
from __future__ import annotations

from flask import Flask

from services.gateway import health, web
from services.gateway.accounts import handover
from services.gateway.accounts import routes as accounts
from services.gateway.admin import routes as admin  # the operators' API (likely top, dead letters)
from services.gateway.deps import Deps
from services.gateway.http import errors, headers, limits, request_id
from services.gateway.insights import routes as insights
from services.gateway.predictions import routes as predictions
from services.gateway.runs import instagram, training


def create_app(deps: Deps | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    deps = deps or Deps()
    app.extensions["likely"] = deps
    app.config["MAX_CONTENT_LENGTH"] = deps.settings.max_upload_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Flask's default provider has it
    request_id.install(app)  # first: every later hook and view logs with the request id
    errors.install(app)
    headers.install(app, deps.settings.public_url)
    if deps.settings.proxy_hops:  # the client's address as the trusted proxies saw it
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap it
            app.wsgi_app, x_for=deps.settings.proxy_hops, x_proto=deps.settings.proxy_hops)
    limits.install(app, deps.settings)
    for bp in (health.bp, accounts.bp, handover.bp, instagram.bp, training.bp, predictions.bp, insights.bp, web.bp,
               admin.bp):
        app.register_blueprint(bp)
    return app
