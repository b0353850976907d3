"""One registry for what each route takes and answers: `@api(...)` validates the request with
the route's pydantic models and describes the route in /openapi.json with the same models,
so the spec and the code cannot drift apart.

    @bp.post("/api/v1/users")
    @api(body=SignUp, responses={201: User, 409: Error}, limited=True)
    def sign_up():
        creds = g.body

`auth=True` (the default) authenticates the bearer token first (401 otherwise); `"optional"`
leaves it to the view (a signed URL or a token). Answers every route can give are added to the
ones it declares: 401 with auth, 400 for a body or query string that fails its model, 413 for
a body over LIKELY_MAX_UPLOAD_BYTES, 414 for a query string over MAX_QUERY_BYTES (with a query model;
a name of it given twice is a 400), 429 with Retry-After under a rate limit, 503 when MongoDB,
Redis or the broker is down. A 405 (with `Allow`) is answered for any path and method that is
not described.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import Flask, g
from pydantic import BaseModel, TypeAdapter

from services.gateway.accounts.authentication import authenticate
from services.gateway.http.errors import parse_json, parse_query
from services.gateway.http.schemas import Error

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Content:
    """An answer that is not JSON: its media types and, if any, a JSON Schema of it."""

    media_types: tuple[str, ...]
    schema: dict = field(default_factory=lambda: {"type": "string", "format": "binary"})


@dataclass(frozen=True)
class Form:
    """A multipart/form-data body: field -> JSON Schema, the files' media types per field, and
    keywords on the whole form (e.g. `anyOf` of the field values allowed together)."""

    fields: dict[str, dict]
    required: tuple[str, ...]
    media_types: dict[str, str] = field(default_factory=dict)
    constraints: dict = field(default_factory=dict)


Answer = Any  # a pydantic model or type (JSON), a JSON Schema dict (JSON), Content, or None (no body)


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    auth: bool | Literal["optional"]
    body: type[BaseModel] | Form | None
    query: type[BaseModel] | None
    responses: dict[int, tuple[str, Answer]]
    limited: bool


_DEFAULT = {
    400: "the body or query string is not what this route takes (code says which field)",
    401: "no valid session token (unauthorized, invalid_token, token_expired)",
    413: "the body is larger than the server reads (payload_too_large)",
    414: "the query string is longer than the server reads (query_too_long)",
    429: "too many attempts (too_many_requests): wait Retry-After seconds",
    503: "MongoDB, Redis or the broker is briefly unavailable (service_unavailable); nothing changed",
}


def api(*, responses: dict[int, Answer | tuple[str, Answer]], body: type[BaseModel] | Form | None = None,
        query: type[BaseModel] | None = None, auth: bool | Literal["optional"] = True, limited: bool = False,
        outage: bool = True, summary: str | None = None, prefetch=None):
    """Describe a route and validate its request: `g.body` and `g.query` hold the parsed models.
    `outage=False`: the route reads no backing service (no 503). `prefetch(pipe, user_id)`: Redis
    reads the route makes on every request, queued in the session check's round trip (results in
    `g.prefetched`, None when not made: `services.gateway.accounts.sessions` `lookup_along`)."""

    def decorate(view):
        doc = (view.__doc__ or "").strip()
        answers = {
            status: (a if isinstance(a, tuple) else (_DEFAULT.get(status, ""), a)) for status, a in responses.items()
        }
        for status, applies in ((400, body is not None or query is not None), (401, auth is True),
                                (413, body is not None), (414, query is not None), (429, limited), (503, outage)):
            if applies:
                answers.setdefault(status, (_DEFAULT[status], Error))
        title = summary or (doc.splitlines()[0] if doc else view.__name__.replace("_", " "))
        op = Operation(summary=title, description=doc, auth=auth, body=body, query=query, responses=answers,
                       limited=limited)

        @wraps(view)
        def wrapper(*args, **kwargs):
            if op.auth is True and "user_id" not in g:  # not already done by an outer decorator
                authenticate(prefetch)
            if op.query is not None:
                g.query = parse_query(op.query)
            if isinstance(op.body, type):
                g.body = parse_json(op.body)
            return view(*args, **kwargs)

        wrapper.__api__ = op  # type: ignore[attr-defined]  # the registry's mark on a view function
        return wrapper

    return decorate


# --- the spec -----------------------------------------------------------------------------

def spec(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every route described with @api."""
    ops, types = [], {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op: Operation | None = getattr(app.view_functions[rule.endpoint], "__api__", None)
        if op is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            ops.append((rule, method, op))
            for _, answer in op.responses.values():
                if _is_type(answer):
                    types[_name(answer)] = answer
            if isinstance(op.body, type):
                types[_name(op.body)] = op.body
    keys, defs = TypeAdapter.json_schemas([(name, "serialization", TypeAdapter(t)) for name, t in types.items()],
                                          ref_template=REF)
    schemas = {name: keys[(name, "serialization")] for name in types}
    paths: dict = {}
    for rule, method, op in ops:
        path = rule.rule.replace("<", "{").replace(">", "}")
        paths.setdefault(path, {})[method.lower()] = _operation(rule, method, op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Likely API", "version": "1.0.0",
                 "description": "Predicts the likes and comments a photo will get on the user's Instagram. "
                                "Errors answer {\"error\": {\"code\", \"message\"}}."},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": defs.get("$defs", {})},
    }


def _is_type(answer) -> bool:
    return answer is not None and not isinstance(answer, (dict, Content))


def _name(t) -> str:
    return getattr(t, "__name__", None) or str(t)


def _operation(rule, method: str, op: Operation, schemas: dict) -> dict:
    out: dict = {"operationId": f"{rule.endpoint}.{method.lower()}" if len(rule.methods - {"HEAD", "OPTIONS"}) > 1
                 else rule.endpoint, "summary": op.summary}
    if op.description != op.summary:
        out["description"] = op.description
    if op.auth is True:
        out["security"] = [{"bearer": []}]
    elif op.auth == "optional":
        out["security"] = [{"bearer": []}, {}]
    else:
        out["security"] = []
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
              for name in sorted(rule.arguments)]
    if op.query is not None:
        params += _query_parameters(op.query)
    if params:
        out["parameters"] = params
    if isinstance(op.body, Form):
        props = {**op.body.fields}
        out["requestBody"] = {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": list(op.body.required), "properties": props,
                       **op.body.constraints},
            "encoding": {name: {"contentType": types} for name, types in op.body.media_types.items()}}}}
    elif op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": schemas[_name(op.body)]}}}
    out["responses"] = {str(status): _response(description, answer, status, schemas)
                        for status, (description, answer) in sorted(op.responses.items())}
    return out


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema["properties"].items():
        # Optional[X] is X in a query string: a parameter is absent, never null.
        branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
        value = {**(branches[0] if len(branches) == 1 else {k: v for k, v in prop.items() if k != "anyOf"})}
        value.update({k: prop[k] for k in ("default",) if k in prop and prop[k] is not None})
        value.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": value}
        if "description" in prop:
            param["description"] = prop["description"]
        out.append(param)
    return out


def _response(description: str, answer: Answer, status: int, schemas: dict) -> dict:
    out: dict = {"description": description or str(status)}
    if isinstance(answer, Content):
        out["content"] = {media: {"schema": answer.schema} for media in answer.media_types}
    elif isinstance(answer, dict):
        out["content"] = {"application/json": {"schema": answer}}
    elif answer is not None:
        out["content"] = {"application/json": {"schema": schemas[_name(answer)]}}
    if status == 429:
        out["headers"] = {"Retry-After": {"description": "seconds to wait", "required": True,
                                          "schema": {"type": "string"}}}
    return out
