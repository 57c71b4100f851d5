"""The pydantic base every input model uses: its errors are ``InvalidInputError``s.

Constructing an input model (``MovieCreate(title="")``) raises ``InvalidInputError`` naming each
field and its rule, so every face and every library user sees one error hierarchy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from streamcore.errors import FieldError, InvalidInputError

MAX_ID = 2**31 - 1
"""The largest id any backend stores (PostgreSQL ``integer``); a larger one is simply unknown."""


def is_valid_id(value: int) -> bool:
    """Whether ``value`` could be an id at all (1..MAX_ID)."""
    return 1 <= value <= MAX_ID


LOOKUP_TEXT_RULE = "must be valid Unicode text (no lone surrogates, no NUL)"
"""The rule a lookup reference (the CLI's USER or PLAN) breaks when ``is_lookup_text`` fails."""


def is_lookup_text(ref: str) -> bool:
    """Whether ``ref`` can be looked up at all: no lone surrogate, no NUL (drivers fail on both)."""
    # An undecodable byte on a command line (``\xff``) reaches Python as a lone surrogate.
    return "\x00" not in ref and not any("\ud800" <= char <= "\udfff" for char in ref)


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

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refuse it up front so every backend agrees. One
        # look at the raw input per model, not one validator call per field (bulk imports).
        if isinstance(data, dict):
            bad = [k for k, v in data.items() if isinstance(v, str) and "\x00" in v]
            if bad:
                raise InvalidInputError(
                    [FieldError(str(k), "must not contain NUL characters") for k in bad]
                )
        return data

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise InvalidInputError(field_errors(exc)) from None

    # Tell pydantic this __init__ only wraps its own: ``model_validate`` (bulk imports) then
    # builds instances directly instead of calling back into __init__ for every row.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

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

    def changes(self) -> dict[str, object]:
        """The fields given explicitly (a partial update), with their values, in field order."""
        given = self.model_fields_set
        return {name: getattr(self, name) for name in type(self).model_fields if name in given}

    def reject_nulls(self, names: Iterable[str]) -> None:
        """Raise ``InvalidInputError`` for each of ``names`` that was given as null.

        Raised as our own error, not ``ValueError``, so it names the fields, not the model.
        """
        nulls = [n for n in names if n in self.model_fields_set and getattr(self, n) is None]
        if nulls:
            raise InvalidInputError([FieldError(n, "may not be null") for n in nulls])


class OutputModel(BaseModel):
    """Base of models the core returns: immutable."""

    model_config = ConfigDict(frozen=True)
