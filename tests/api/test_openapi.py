"""``/openapi.json`` describes every route the app has: bodies, answers, errors and who may call.

The routes come from the app itself, so a new route that is not documented this way fails here.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from pydantic import BaseModel

from streamcore import StreamCore
from streamcore.api.app import create_app
from tests.api.conftest import Api

ANONYMOUS = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/health"),
}
"""Routes that never look at a token (SPEC §6: anyone)."""
TOKEN_OPTIONAL = {("GET", "/api/plan"), ("GET", "/api/plan/{id}")}
"""Anyone, but a token changes what is seen (admins see inactive plans)."""
PROBLEM = {"$ref": "#/components/schemas/Problem"}


@dataclass(frozen=True)
class Op:
    """One method of one route, as the app routes it."""

    method: str
    path: str
    route: APIRoute


def operations() -> list[Op]:
    """Every documented (method, path) of the app, walked from the app's own routes."""
    with StreamCore.open("memory://") as core:
        app = create_app(core)
    # FastAPI >= 0.16x keeps included routers lazily; iter_route_contexts flattens them.
    flatten = getattr(routing, "iter_route_contexts", None)
    contexts = list(flatten(app.routes)) if flatten else app.routes
    found = []
    for context in contexts:
        route = getattr(context, "original_route", context)
        if isinstance(route, APIRoute) and route.include_in_schema:
            found += [Op(method, context.path, route) for method in sorted(context.methods)]
    return found


ROUTES = operations()


def ident(op: Op) -> str:
    return f"{op.method} {op.path}"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with StreamCore.open("memory://") as core:
        schema: dict[str, Any] = create_app(core).openapi()
        return schema


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"].get(path, {}).get(method.lower())
    assert found is not None, f"{method} {path} is not in /openapi.json"
    return found


def test_the_walk_finds_the_routes() -> None:
    found = {ident(item) for item in ROUTES}
    assert {"POST /api/auth/login", "GET /api/movie/{id}", "GET /api/health"} <= found
    assert len(found) >= 35


def test_the_document_is_served_and_is_the_one_checked(api: Api, document: dict[str, Any]) -> None:
    served = api.client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json()["paths"].keys() == document["paths"].keys()


def test_no_operation_without_a_route(document: dict[str, Any]) -> None:
    routed = {(op.method.lower(), op.path) for op in ROUTES}
    documented = {(m, p) for p, item in document["paths"].items() for m in item}
    assert documented == routed


@pytest.mark.parametrize("item", ROUTES, ids=ident)
def test_success_answer_has_its_status_and_schema(item: Op, document: dict[str, Any]) -> None:
    method, route = item.method, item.route
    responses = operation(document, method, item.path)["responses"]
    status = str(route.status_code or 200)
    assert status in responses, f"{ident(item)}: no {status} in {sorted(responses)}"
    if status == "204":
        assert "content" not in responses[status]
        return
    content = responses[status]["content"]
    # JSON routes answer a model; the stream route answers the media file's bytes.
    media_type = "application/json" if "application/json" in content else "video/*"
    schema = content[media_type]["schema"]
    assert schema.get("$ref") or schema.get("type"), schema
    if media_type == "video/*":
        assert schema == {"type": "string", "format": "binary"}


@pytest.mark.parametrize("item", ROUTES, ids=ident)
def test_a_route_that_takes_a_body_documents_it(item: Op, document: dict[str, Any]) -> None:
    method, route = item.method, item.route
    op = operation(document, method, item.path)
    if route.body_field is None and item.path == "/api/movie/{id}/media":
        # The upload reads its raw body itself: documented by hand, as bytes.
        body = op["requestBody"]
        assert body["required"] is True
        assert body["content"] == {"video/*": {"schema": {"type": "string", "format": "binary"}}}
    elif route.body_field is None:
        assert "requestBody" not in op
        return
    else:
        body = op["requestBody"]
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        assert schema["$ref"].startswith("#/components/schemas/")
    for status in ("413", "415", "422"):
        assert op["responses"][status]["content"] == {
            "application/problem+json": {"schema": PROBLEM}
        }


@pytest.mark.parametrize("item", ROUTES, ids=ident)
def test_every_error_answer_is_a_problem(item: Op, document: dict[str, Any]) -> None:
    method, route = item.method, item.route
    responses = operation(document, method, item.path)["responses"]
    errors = {status: r for status, r in responses.items() if int(status) >= 400}
    assert {"500", "503"} <= errors.keys()
    if route.dependant.path_params or route.dependant.query_params or route.body_field:
        assert "422" in errors, f"{ident(item)} takes input but documents no 422"
    for status, response in errors.items():
        assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, status


@pytest.mark.parametrize("item", ROUTES, ids=ident)
def test_who_may_call_is_documented(item: Op, document: dict[str, Any]) -> None:
    method = item.method
    op = operation(document, method, item.path)
    key = (method, item.path)
    if key in ANONYMOUS:
        assert op["security"] == []
    elif key in TOKEN_OPTIONAL:
        assert len(op["security"]) == 2  # each alternative once
        assert {} in op["security"]
        assert {"HTTPBearer": []} in op["security"]
    else:
        assert op["security"] == [{"HTTPBearer": []}]
        unauthorized = op["responses"]["401"]
        assert "WWW-Authenticate" in unauthorized["headers"]


def test_the_bearer_scheme_is_declared(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    # Bearer header only: no scheme that reads a token from the query string or a cookie.
    assert [s["type"] for s in document["components"]["securitySchemes"].values()] == ["http"]


def test_login_documents_retry_after_on_429(document: dict[str, Any]) -> None:
    too_many = operation(document, "POST", "/api/auth/login")["responses"]["429"]
    assert "Retry-After" in too_many["headers"]


def test_the_problem_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= problem["properties"].keys()
    assert "HTTPValidationError" not in schemas  # no answer has FastAPI's own error shape


def refs(node: Any) -> typing.Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    found = set(refs(document))
    assert found
    missing = {ref for ref in found if ref.removeprefix("#/components/schemas/") not in names}
    assert not missing


def route_models() -> dict[str, type[BaseModel]]:
    """Every pydantic model a route takes or returns, by its name in the document."""
    models: dict[str, type[BaseModel]] = {}

    def add(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in models.values():
                return
            if not annotation.__pydantic_generic_metadata__["args"]:
                models[annotation.__name__] = annotation  # Page[Movie] has FastAPI's own name
            for field in annotation.model_fields.values():
                add(field.annotation)
        for arg in typing.get_args(annotation):
            add(arg)

    for op in ROUTES:
        add(op.route.response_model)
        if op.route.body_field is not None:
            add(op.route.body_field.field_info.annotation)
    return models


def fields_of(kind: type) -> list[tuple[str, str]]:
    """``(model, field)`` for each route model's field whose annotation contains ``kind``."""

    def has(annotation: Any) -> bool:
        return annotation is kind or any(has(arg) for arg in typing.get_args(annotation))

    return [
        (name, field_name)
        for name, model in route_models().items()
        for field_name, field in model.model_fields.items()
        if has(field.annotation)
    ]


def choices(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in prop.get("anyOf", [prop]) if c.get("type") != "null"]


def test_the_walk_finds_money_and_times() -> None:
    assert ("Plan", "price") in fields_of(Decimal)
    assert ("PaymentCreate", "amount") in fields_of(Decimal)
    assert ("Movie", "created_at") in fields_of(datetime)


@pytest.mark.parametrize(("model", "field"), fields_of(Decimal))
def test_money_is_a_decimal_string(model: str, field: str, document: dict[str, Any]) -> None:
    prop = document["components"]["schemas"][model]["properties"][field]
    kinds = [c["type"] for c in choices(prop)]
    assert "string" in kinds
    assert "number" not in kinds, f"{model}.{field}: a float is never taken for money"


@pytest.mark.parametrize(("model", "field"), fields_of(datetime))
def test_times_are_date_time(model: str, field: str, document: dict[str, Any]) -> None:
    prop = document["components"]["schemas"][model]["properties"][field]
    kinds = [(c["type"], c.get("format")) for c in choices(prop)]
    assert kinds == [("string", "date-time")], prop
