"""What ``/openapi.json`` says about errors: the problem+json schema and each route's statuses.

Routes name the statuses they may answer with ``errors(...)``; ``with_problem_schemas`` then
walks the finished document once so that it says what the app does everywhere, including
where FastAPI writes its own defaults: every error answer is problem+json (FastAPI would
describe its 422 as ``HTTPValidationError``), a route that takes a body may also answer 413
and 415, and money is a decimal string, never a float.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field

from streamcore.api.problems import PROBLEM_JSON


class FieldProblem(BaseModel):
    """One invalid field: its name and the rule it broke (never the value sent)."""

    field: str = Field(examples=["title"])
    message: str = Field(examples=["must have at least 1 character"])


class Problem(BaseModel):
    """An RFC 9457 problem: every error answer has this body."""

    type: str = Field("about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["movie 7 not found"])
    code: str = Field(examples=["not_found"], description="A stable name for the problem.")
    errors: list[FieldProblem] | None = Field(None, description="Invalid input: one per field.")


PROBLEM_REF = "#/components/schemas/Problem"
ALWAYS = (500, 503)
"""Every route may answer these."""
WITH_BODY = (413, 415)
"""A route that takes a body may answer these too (``api/limits.py``)."""
HEADERS = {
    401: {"WWW-Authenticate": "Always `Bearer`."},
    429: {"Retry-After": "Seconds until the next login attempt may succeed."},
    503: {"Retry-After": "Seconds to wait before trying again."},
}
"""Headers that come with an error status."""
DECIMAL_IN = [{"type": "number"}, {"type": "string"}]
"""What pydantic writes for a ``Decimal`` input: it says a float is taken, which money never is."""
MONEY_IN = [
    {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "examples": ["9.99"]},
    {"type": "integer"},
]
MONEY_TEXT = "A decimal string with at most 2 decimals, or a whole number; never a float."
UNUSED = ("HTTPValidationError", "ValidationError")
"""FastAPI's own validation error schemas: no answer has that shape."""


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that may answer ``statuses`` (and 500, 503)."""
    return {status: problem_response(status) for status in (*statuses, *ALWAYS)}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of an error ``status``: a problem+json body."""
    response: dict[str, Any] = {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in HEADERS:
        response["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in HEADERS[status].items()
        }
    return response


def with_problem_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Add ``Problem`` to an OpenAPI document and make every operation's errors problem+json."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            _fix_operation(operation)
    for name in UNUSED:
        schemas.pop(name, None)
    for model in schemas.values():
        _fix_money(model)
    return document


def _fix_operation(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if "requestBody" in operation:
        for status in WITH_BODY:
            responses.setdefault(str(status), problem_response(status))
    for status in list(responses):
        if status.isdigit() and int(status) >= 400:
            responses[status] = problem_response(int(status))
    if "security" in operation:
        # FastAPI appends the bearer scheme to the optional one a route declares: say it once.
        unique: list[dict[str, Any]] = []
        for requirement in operation["security"]:
            if requirement not in unique:
                unique.append(requirement)
        operation["security"] = unique


def _fix_money(model: dict[str, Any]) -> None:
    for prop in model.get("properties", {}).values():
        choices = prop.get("anyOf", [])
        if choices[:2] == DECIMAL_IN:
            prop["anyOf"] = [*MONEY_IN, *choices[2:]]
            prop.setdefault("description", MONEY_TEXT)
