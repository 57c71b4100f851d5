"""What ``/openapi.json`` says about errors: the problem+json schema and each route's statuses."""

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


ALWAYS = (500, 503)
"""Every route may answer these."""


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that may answer ``statuses`` (and 500, 503)."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in (*statuses, *ALWAYS)
    }


def with_problem_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Add ``Problem`` (which ``errors`` refers to) to an OpenAPI document's schemas."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema
    return document
