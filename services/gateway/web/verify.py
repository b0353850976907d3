"""The page an email verification link opens (`services.gateway.accounts.verification`): a GET shows a
button, the POST behind it spends the token. The page needs no script and no session."""
from __future__ import annotations

from flask import render_template, request

from services.gateway.accounts import verification
from services.gateway.deps import deps


def show():
    return render_template("verify.html", page="verify", token=request.args.get("token", ""), done=None)


def confirm():
    email = verification.confirm(deps().db, request.form.get("token", ""))
    return render_template("verify.html", page="verify", token="", done=email or False), (200 if email else 400)


def register(bp) -> None:
    bp.add_url_rule(verification.PATH, "verify_email", show, methods=["GET"])
    bp.add_url_rule(verification.PATH, "verify_email_confirm", confirm, methods=["POST"])
