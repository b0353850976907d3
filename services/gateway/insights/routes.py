"""GET /api/v1/insights: the insights stored with the user's newest model, in their time zone."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from services.gateway.deps import deps
from services.gateway.http.errors import ApiError
from services.gateway.http.openapi import api
from services.gateway.http.schemas import Error, Insights, InsightsQuery
from services.gateway.insights import online_followers
from shared.model.insights import InvalidTimeZone, insights_answer, valid_time_zone

bp = Blueprint("insights", __name__)


@bp.get("/api/v1/insights")
@api(query=InsightsQuery, responses={
    200: ("when to post and what works, from the account's own history", Insights),
    400: ("tz is not an IANA time zone name (invalid_time_zone)", Error),
    404: ("no model yet (model_not_trained)", Error),
    409: ("the model was built before insights existed (insights_not_computed): rebuild it", Error),
})
def get_insights():
    """When to post (weekday × hour, with intervals, in the time zone `tz`) and which labels,
    hashtags and formats lift or lower the posts, from the newest model; Instagram's
    online_followers beside them where the account grants insights."""
    d = deps()
    model = d.db.models.find_one({"user_id": g.user_id}, {"insights": 1, "version": 1, "trained_at": 1},
                                 sort=[("version", -1)])
    if model is None:
        raise ApiError(404, "model_not_trained", "You have no model yet: connect Instagram and train one.")
    if not model.get("insights"):
        raise ApiError(409, "insights_not_computed", "This model was built before insights: rebuild it to see them.")
    try:
        tz = valid_time_zone(g.query.tz)
    except InvalidTimeZone as exc:
        raise ApiError(400, "invalid_time_zone", f"{exc}: use a name such as Europe/Athens or UTC.") from None
    user = d.db.users.find_one({"_id": g.user_id}, {"instagram": 1})
    found = online_followers.fetch(d.db, d.redis, d.cipher, d.instagram, user or {"_id": g.user_id})
    return jsonify({"model_version": model["version"], "trained_at": model["trained_at"].isoformat(),
                    **insights_answer(model["insights"], tz),
                    "online_followers": online_followers.in_zone(found, tz)})
