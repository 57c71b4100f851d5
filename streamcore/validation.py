"""The pydantic base every input model uses: its errors are ``InvalidInputError``s.

Constructing an input model (``MovieCreate(title="")``) raises ``InvalidInputError`` naming each
field and its rule, so every face and every library user sees one error hierarchy.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from streamcore.errors import FieldError, InvalidInputError


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Turn pydantic's report into one ``FieldError`` per broken rule."""
    result = []
    for item in exc.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        result.append(FieldError(field, message))
    return result


class InputModel(BaseModel):
    """Base of input models: strict about unknown fields, strips text, raises our errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise InvalidInputError(field_errors(exc)) from None

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: Any = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Validate ``obj`` (a mapping) into this model, raising ``InvalidInputError``."""
        try:
            return super().model_validate(
                obj,
                strict=strict,
                extra=extra,
                from_attributes=from_attributes,
                context=context,
                by_alias=by_alias,
                by_name=by_name,
            )
        except ValidationError as exc:
            raise InvalidInputError(field_errors(exc)) from None


class OutputModel(BaseModel):
    """Base of models the core returns: immutable."""

    model_config = ConfigDict(frozen=True)
