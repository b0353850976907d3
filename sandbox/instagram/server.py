"""The Instagram sandbox: the endpoints of the Instagram API with Instagram Login that Likely
uses, over accounts kept as folders (see accounts.py), plus a test-control API under
/_sandbox (not part of Instagram; its state lives in memory).

One server answers for the three base URLs (auth, api, graph). Tokens and codes are
stateless (HMAC-signed with the client secret), so they survive a restart. The routes are
blueprints by concern: oauth.py (Instagram Login), graph.py (the Graph API), cdn.py (media
files and permalinks), control.py and faults.py (the test control); state.py holds what they
share.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter

from .cdn import cdn
from .control import control
from .errors import register_error_handlers
from .faults import faults
from .graph import graph
from .oauth import oauth
from .state import DOCUMENTED, Sandbox, usage_headers

__all__ = ["DOCUMENTED", "create_app"]


class VersionConverter(BaseConverter):
    regex = r"v\d+\.\d+"


def create_app(accounts_dir, client_id: str, client_secret: str, *, public_url: str | None = None,
               refresh_min_age: float = 0.0) -> Flask:
    """The sandbox as a Flask app.

    accounts_dir: folder of account folders. client_id / client_secret: the one app it knows.
    public_url: base of media_url / permalink / paging URLs (default: the request's host).
    refresh_min_age: seconds a long-lived token must have lived before it can be refreshed
    (Instagram: 24 h; 0 here so tests can refresh at once).
    """
    sandbox = Sandbox(accounts_dir, client_id, client_secret, public_url, refresh_min_age)
    app = Flask(__name__)
    app.url_map.converters["ver"] = VersionConverter
    app.url_map.strict_slashes = False
    app.json.sort_keys = False
    app.extensions["sandbox"] = sandbox
    app.extensions["sandbox_control"] = sandbox.control
    app.config.update(SANDBOX_ACCOUNTS=str(sandbox.root), SANDBOX_CLIENT_ID=client_id)
    app.after_request(usage_headers)
    register_error_handlers(app)
    for blueprint in (oauth, graph, cdn, control, faults):
        app.register_blueprint(blueprint)
    return app
