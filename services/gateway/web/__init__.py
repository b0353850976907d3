"""The web app people use (the seed's site, report section 3.1): a few HTML pages and plain
CSS/JS served by the gateway. Everything the pages do goes through the JSON API with the
bearer token kept in the tab's sessionStorage, as the seed did. No build step, no CDN."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, render_template, request

from shared.contracts import DEFAULT_FORMAT, FORMATS, MAX_CAPTION_CHARS

HERE = Path(__file__).resolve().parent

bp = Blueprint("web", __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
               static_url_path="/static/web")

from services.gateway.accounts import oidc  # noqa: E402
from services.gateway.web import verify  # noqa: E402

oidc.register(bp)
verify.register(bp)


@bp.get("/")
def home():
    # The token lives in the tab (sessionStorage): the page itself sends people without one to /login.
    return render_template("home.html", page="home", formats=FORMATS, default_format=DEFAULT_FORMAT,
                           max_caption=MAX_CAPTION_CHARS)


@bp.get("/insights")
def insights():
    return render_template("insights.html", page="insights")


@bp.get("/login")
def login():
    messages = {
        "expired": "Your session has expired. Please log in again.",
        "logged_out": "You have logged out.",
        "deleted": "Your account and everything stored for it have been deleted.",
    }
    notice = next((m for k, m in messages.items() if k in request.args), None)
    error = oidc.ERRORS.get(request.args.get("oidc_error", ""), None)
    return render_template("login.html", page="login", providers=oidc.providers(), notice=notice, error=error)


@bp.get("/instagram/callback")
def instagram_callback():
    return render_template("callback.html", page="callback")


@bp.get("/privacy")
def privacy():
    return render_template("privacy.html", page="privacy")


@bp.get("/index.html")
def index_html():
    return redirect("/", 301)
