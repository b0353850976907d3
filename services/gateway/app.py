"""The gateway's Flask application factory."""
from __future__ import annotations

from flask import Flask

from services.gateway import auth, errors, health, instagram_api, predictions, training
from services.gateway.deps import Deps


def create_app(deps: Deps | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    deps = deps or Deps()
    app.extensions["likely"] = deps
    app.config["MAX_CONTENT_LENGTH"] = deps.settings.max_upload_bytes
    app.json.sort_keys = False
    errors.install(app)
    for bp in (health.bp, auth.bp, instagram_api.bp, training.bp, predictions.bp):
        app.register_blueprint(bp)
    _register_optional(app)
    return app


def _register_optional(app: Flask) -> None:
    """The web app's blueprint joins when present (it is built separately)."""
    import importlib

    for name in ("services.gateway.web",):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.register_blueprint(module.bp)
