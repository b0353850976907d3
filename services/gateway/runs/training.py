"""Training runs (start, status, cancel) and the model (rebuild, summary)."""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, g, jsonify, request

from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from services.gateway.http.openapi import api
from services.gateway.http.schemas import Error, ModelQuery, Queued, RunStarted, RunStatus
from services.gateway.runs import model_schema
from shared import runs
from shared.contracts import BuildRequested, TrainRequested
from shared.run_state import LIVE_STATES, RunState

bp = Blueprint("training", __name__)


def _own_run(run_id: str) -> dict:
    run = runs.get_owned(deps().db, run_id, g.user_id)
    if run is None:  # another user's run looks exactly like a missing one
        raise ApiError(404, "run_not_found", "No such training run.")
    return run


@bp.post("/api/v1/training-runs")
@api(
    responses={
        202: ("started", RunStarted),
        409: ("Instagram not connected, or a run is active (its run_id given)", Error),
        503: ("the job queue is unavailable (broker_unavailable)", Error),
    }
)
def start():
    """Start training on the user's Instagram posts."""
    d = deps()
    user = d.db.users.find_one({"_id": g.user_id}, {"instagram": 1})
    if not (user or {}).get("instagram"):
        raise ApiError(409, "instagram_not_connected", "Connect Instagram before training a model.")
    try:
        run = runs.create(d.db, d.progress, g.user_id)
    except runs.ActiveRunExists as exc:
        raise ApiError(409, "run_active", "A training run is already in progress.", run_id=exc.run_id) from None
    try:
        d.run_status.started(g.user_id, run["_id"])  # what GET .../current answers from now on
    except Exception:
        runs.abandon(
            d.db, d.progress, run, "Training could not start (the progress store is unavailable); try again shortly."
        )
        raise
    try:
        d.publisher.publish(TrainRequested.for_run(run["_id"], g.user_id))
    except Exception:  # noqa: BLE001 - the broker is down: don't leave a run that nobody will work on
        runs.abandon(d.db, d.progress, run, "The job queue is unavailable; try again shortly.")
        raise ApiError(
            503, "broker_unavailable", "Training cannot start right now (the job queue is unavailable)."
        ) from None
    return jsonify({"run_id": run["_id"], "state": run["state"]}), 202


@bp.get("/api/v1/training-runs/current")
@api(responses={200: RunStatus, 304: ("unchanged since the ETag sent in If-None-Match", None),
                404: ("never trained (run_not_found)", Error)},
     prefetch=lambda pipe, user_id: deps().run_status.queue_current(pipe, user_id))
def current():
    """The user's active run, or else the latest."""
    status = deps().run_status.current(g.user_id, g.get("prefetched"))
    if status is None:
        raise ApiError(404, "run_not_found", "You have not trained a model yet.")
    return status_answer(status)


@bp.get("/api/v1/training-runs/<run_id>")
@api(responses={200: RunStatus, 304: ("unchanged since the ETag sent in If-None-Match", None),
                404: ("no such run of this user (run_not_found)", Error)})
def get_run(run_id: str):
    """A run's progress."""
    status = deps().run_status.of(run_id, g.user_id)
    if status is None:  # another user's run looks exactly like a missing one
        raise ApiError(404, "run_not_found", "No such training run.")
    return status_answer(status)


def status_answer(status: dict) -> Response:
    """The status with an ETag, to be revalidated on every use (`no-cache`): a page polling an
    unchanged run gets 304 Not Modified and keeps what it has (the browser sends If-None-Match).
    Built by hand rather than with werkzeug's `add_etag` and `make_conditional` (dates, ranges):
    this is the route every open page polls, and they were a quarter of its time."""
    body = current_app.json.dumps(status)
    etag = hashlib.sha1(body.encode()).hexdigest()
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache, private", "Vary": "Authorization"}
    if request.if_none_match.contains_weak(etag):  # weak comparison, as RFC 9110 asks for GET
        return Response(status=304, headers=headers)
    return Response(body + "\n", mimetype="application/json", headers=headers)


@bp.post("/api/v1/training-runs/<run_id>/cancel")
@api(responses={200: ("cancelled", RunStarted), 404: ("no such run of this user (run_not_found)", Error),
                409: ("the run has already ended (run_not_active)", Error)})
def cancel(run_id: str):
    """Cancel a live run."""
    d = deps()
    run = _own_run(run_id)
    if run["state"] not in LIVE_STATES:
        raise ApiError(409, "run_not_active", f"This run is already {run['state']}.", state=run["state"])
    if runs.cancel(d.db, d.progress, run, "Cancelled by the user.") is None:
        latest = d.db.runs.find_one({"_id": run_id}, {"state": 1})
        raise ApiError(409, "run_not_active", f"This run is already {latest['state']}.", state=latest["state"])
    return jsonify({"run_id": run_id, "state": RunState.CANCELLED})


@bp.post("/api/v1/model/rebuild")
@api(responses={202: ("queued", Queued), 409: ("no stored posts (no_posts)", Error),
                503: ("the job queue is unavailable (broker_unavailable)", Error)})
def rebuild():
    """Rebuild the model from the stored posts."""
    d = deps()
    if d.db.posts.count_documents({"user_id": g.user_id}, limit=1) == 0:
        raise ApiError(409, "no_posts", "There are no stored posts to build a model from: train first.")
    msg = BuildRequested.rebuild(g.user_id)
    try:
        d.publisher.publish(msg)
    except Exception:  # noqa: BLE001
        raise ApiError(
            503, "broker_unavailable", "The model cannot be rebuilt right now (the job queue is unavailable)."
        ) from None
    return jsonify({"request_id": msg.message_id, "state": "queued"}), 202


def model_summary(model: dict, with_coefficients: bool) -> dict:
    from shared.model import coefficients
    from shared.model.post_metrics import summary as metrics_summary

    out = {
        "version": model["version"], "kind": model["kind"], "trained_at": model["trained_at"].isoformat(),
        "posts": model.get("training_size"), "labels": model.get("labels"), "top_labels": model.get("top_labels", []),
        "mean_likes": model.get("mean_likes"), "mean_comments": model.get("mean_comments"),
        "backtest": model.get("backtest"), "selection": model.get("selection"), "labelers": model.get("labelers", []),
        "likes_hidden": int(model.get("likes_hidden") or 0),  # posts left out: their like counts are hidden
        # what the card's accuracy chart draws (shared.model.chart); None for models built before it
        "chart": model.get("chart"),
        # reach, views, saves, shares: each one's backtest and chart, or why the model has not got it
        "metrics": metrics_summary(model),
    }
    if with_coefficients:
        out["coefficients"] = coefficients(model)
    return out


@bp.get("/api/v1/model")
@api(query=ModelQuery, responses={200: ("the user's newest model", model_schema.MODEL),
                                  404: ("no model yet (model_not_trained)", Error)})
def get_model():
    """The user's newest model: its facts, backtest and the data of its accuracy chart ("chart")."""
    model = deps().db.models.find_one({"user_id": g.user_id}, sort=[("version", -1)])
    if model is None:
        raise ApiError(404, "model_not_trained", "You have no model yet: connect Instagram and train one.")
    return jsonify(model_summary(model, request.args.get("coefficients") in ("1", "true")))

