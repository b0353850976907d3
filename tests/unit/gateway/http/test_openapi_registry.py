"""@api (`services.gateway.http.openapi`) on a small Flask app: the request validated with the same
pydantic models the spec is generated from, and the spec saying so (path parameters, every
answer, security), valid OpenAPI 3.1."""
from __future__ import annotations

from typing import ClassVar

import pytest
from flask import Flask, g, jsonify
from openapi_spec_validator import validate
from pydantic import BaseModel, Field

from services.gateway.http import errors
from services.gateway.http.errors import MAX_QUERY_BYTES
from services.gateway.http.openapi import api, spec
from services.gateway.http.schemas import Error


class Thing(BaseModel):
    name: str = Field(min_length=3)

    error_codes: ClassVar[dict] = {("name", "string_too_short"): "name_too_short"}


class Page(BaseModel):
    page: int = Field(default=1, ge=1)


class Made(BaseModel):
    thing_id: str
    name: str


@pytest.fixture
def app():
    app = Flask(__name__)
    errors.install(app)

    @app.post("/api/v1/things/<thing_id>")
    @api(auth=False, body=Thing, query=Page, responses={201: Made, 409: ("taken (thing_taken)", Error)})
    def make(thing_id: str):
        """Make a thing.

        More words."""
        return jsonify({"thing_id": thing_id, "name": g.body.name, "page": g.query.page}), 201

    @app.get("/api/v1/private")
    @api(responses={204: ("nothing", None)})
    def private():
        return "", 204

    return app


def test_the_request_is_validated_with_the_declared_models(app):
    client = app.test_client()
    ok = client.post("/api/v1/things/t1?page=2", json={"name": "lamp"})
    assert ok.status_code == 201 and ok.json == {"thing_id": "t1", "name": "lamp", "page": 2}
    short = client.post("/api/v1/things/t1", json={"name": "x"})
    assert short.status_code == 400 and short.json["error"]["code"] == "name_too_short"
    page = client.post("/api/v1/things/t1?page=0", json={"name": "lamp"})
    assert page.status_code == 400 and page.json["error"] == {
        **page.json["error"],
        "code": "invalid_field",
        "field": "page",
    }
    assert (
        client.post("/api/v1/things/t1", data="{", content_type="application/json").json["error"]["code"]
        == "malformed_json"
    )


def test_the_spec_says_what_the_route_takes_and_answers(app):
    doc = spec(app)
    validate(doc)
    op = doc["paths"]["/api/v1/things/{thing_id}"]["post"]
    assert op["summary"] == "Make a thing." and "More words." in op["description"]
    assert op["security"] == []
    assert [(p["name"], p["in"], p["required"]) for p in op["parameters"]] == [("thing_id", "path", True),
                                                                               ("page", "query", False)]
    assert op["parameters"][1]["schema"] == {"type": "integer", "minimum": 1, "default": 1}
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Thing"}
    assert doc["components"]["schemas"]["Thing"]["properties"]["name"]["minLength"] == 3
    # declared, plus what any route with a body answers (never 401: no auth here)
    assert set(op["responses"]) == {"201", "409", "400", "413", "414", "503"}
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Made"}


def test_an_authenticated_route_declares_bearer_and_401(app):
    op = spec(app)["paths"]["/api/v1/private"]["get"]
    assert op["security"] == [{"bearer": []}]
    assert set(op["responses"]) == {"204", "401", "503"} and "content" not in op["responses"]["204"]


def test_a_405_names_the_allowed_methods(app):
    resp = app.test_client().delete("/api/v1/things/t1")
    assert resp.status_code == 405 and resp.headers["Allow"] == "OPTIONS, POST"
    assert resp.json["error"]["code"] == "method_not_allowed"


def test_a_repeated_parameter_and_a_too_long_query_string_are_refused_in_the_error_shape(app):
    client = app.test_client()
    twice = client.post("/api/v1/things/t1?page=2&page=3", json={"name": "lamp"})
    assert twice.status_code == 400 and twice.json["error"]["code"] == "repeated_parameter"
    assert twice.json["error"]["field"] == "page"
    other = client.post("/api/v1/things/t1?page=2&x=1&x=2", json={"name": "lamp"})  # not the route's: ignored
    assert other.status_code == 201
    longest = "page=2&x=" + "a" * (MAX_QUERY_BYTES - len("page=2&x="))
    assert client.post(f"/api/v1/things/t1?{longest}", json={"name": "lamp"}).status_code == 201
    too_long = client.post(f"/api/v1/things/t1?{longest}a", json={"name": "lamp"})
    assert too_long.status_code == 414 and too_long.json["error"]["code"] == "query_too_long"
