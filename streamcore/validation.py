"""The pydantic base every input model uses: its errors are ``InvalidInputError``s.

Constructing an input model (``MovieCreate(title="")``) raises ``InvalidInputError`` naming each
field and its rule, so every face and every library user sees one error hierarchy. The rules of
SPEC §3 that every field shares are here too: text fields are marked ``ONE_LINE`` or
``MULTI_LINE`` (checked inside pydantic-core, cheap enough for every row of a bulk import), and
integer fields take no bool, float or odd string (one pass over the raw input per model).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from streamcore.errors import FieldError, InvalidInputError

MAX_ID = 2**31 - 1
"""The largest id any backend stores (PostgreSQL ``integer``); a larger one is simply unknown."""

MAX_INT_DIGITS = 18
"""The longest digit string taken as an integer: any such number fits a 64-bit column."""


def is_valid_id(value: int) -> bool:
    """Whether ``value`` could be an id at all (1..MAX_ID)."""
    return 1 <= value <= MAX_ID


def short_repr(value: str, limit: int = 24) -> str:
    """``value`` quoted for a message, cut to ``limit`` characters (never a whole 10 MB cell)."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + "..."


# What text may hold (SPEC §3). pydantic-core refuses lone surrogates in every str itself (a
# Python str holds a surrogate code point only when it is not valid text); the patterns below
# run in pydantic-core too, on the stripped text, so no Python call is made per field.
_CONTROL = "\x00-\x1f\x7f-\x9f"  # Unicode category Cc (NUL and U+0085 included)
_SEPARATOR = "\u2028\u2029"
_BIDI = "\u202a-\u202e\u2066-\u2069"
_ONE_LINE_CHARS = f"[^{_CONTROL}{_SEPARATOR}{_BIDI}]*"
_MULTI_LINE_CHARS = "[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*"  # tab, LF and CR allowed
# Anchored for pydantic-core's Rust regex, where "$" is the very end (in Python it would also
# match before a final newline: Python code uses fullmatch instead).
_ONE_LINE_PATTERN = f"^{_ONE_LINE_CHARS}$"
_MULTI_LINE_PATTERN = f"^{_MULTI_LINE_CHARS}$"
_ONE_LINE_TEXT = re.compile(_ONE_LINE_CHARS)
_MULTI_LINE_TEXT = re.compile(_MULTI_LINE_CHARS)

ONE_LINE = StringConstraints(strict=True, strip_whitespace=True, pattern=_ONE_LINE_PATTERN)
"""Marks a one-line text field (titles, names, emails, codes, paths): add it to the Annotated."""
MULTI_LINE = StringConstraints(strict=True, strip_whitespace=True, pattern=_MULTI_LINE_PATTERN)
"""Marks a text field that may hold line breaks and tabs, but no other control character."""

NOT_UNICODE = "must be valid Unicode text (no lone surrogates)"
HAS_NUL = "must not contain NUL characters"
NOT_ONE_LINE = "must be one line, without line breaks, tabs or other control characters"
HAS_BIDI = "must not contain bidirectional control characters"
HAS_CONTROL = "must not contain control characters other than line breaks and tabs"
NOT_TEXT = "must be text"
NOT_WHOLE = "must be a whole number"

_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile(f"[{_CONTROL}{_SEPARATOR}]")
_DIGITS = re.compile(r"[+-]?[0-9]+")


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """The rule of SPEC §3 that ``text`` breaks (one-line unless ``multiline``), or ``None``."""
    if _SURROGATE.search(text):
        return NOT_UNICODE
    if "\x00" in text:
        return HAS_NUL
    if (_MULTI_LINE_TEXT if multiline else _ONE_LINE_TEXT).fullmatch(text):
        return None
    if multiline:
        return HAS_CONTROL
    return NOT_ONE_LINE if _LINE_BREAK.search(text) else HAS_BIDI


def secret_problem(text: str) -> str | None:
    """Why ``text`` cannot be a password (hashed as UTF-8, so valid Unicode, and no NUL)."""
    if _SURROGATE.search(text):
        return NOT_UNICODE
    return HAS_NUL if "\x00" in text else None


def _int_problem(value: object) -> str | None:
    """Why ``value`` is not an integer for an int field (SPEC §3), or ``None`` if it may be.

    Digit strings are taken (CSV cells, query strings); bools, floats and the rest are not,
    and no string longer than any 64-bit number is parsed at all.
    """
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= MAX_INT_DIGITS + 1 and _DIGITS.fullmatch(text):
            return None
        if text.lstrip("+-").isascii() and text.lstrip("+-").isdigit():
            return f"must be a whole number of at most {MAX_INT_DIGITS} digits"
    return NOT_WHOLE


# --- pydantic's report in our words ---------------------------------------------------------------


def _quoted_choices(expected: object) -> str:
    # pydantic gives "'a', 'b' or 'c'"; we say "a, b, c".
    names = re.findall(r"'([^']*)'", str(expected))
    return ", ".join(names) if names else str(expected)


def _length_rule(ctx: dict[str, Any], key: str, word: str) -> str:
    limit = ctx.get(key)
    if key == "min_length":
        return "must not be empty" if limit == 1 else f"must be at least {limit} {word}"
    return f"must be at most {limit} {word}"


def rule_for(error: ErrorDetails) -> str:
    """Our short rule text for one of pydantic's error types; never pydantic's wording."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        return str(ctx["error"])  # raised by our own validators: already in our words
    given = error.get("input")  # only to tell which rule it broke; never shown
    if kind == "string_pattern_mismatch" and isinstance(given, str):
        multiline = ctx.get("pattern") == _MULTI_LINE_PATTERN
        return text_problem(given, multiline=multiline) or "has the wrong form"
    if kind == "string_type" and isinstance(given, str):
        return NOT_UNICODE  # a str pydantic cannot take: SecretStr's word for a surrogate
    if kind == "string_too_short":
        return _length_rule(ctx, "min_length", "characters")
    if kind == "string_too_long":
        return _length_rule(ctx, "max_length", "characters")
    if kind in {"too_short", "too_long"}:
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        words = "at least" if kind == "too_short" else "at most"
        return f"must have {words} {limit} item{'' if limit == 1 else 's'}"
    if kind == "multiple_of":
        return f"must be a multiple of {ctx.get('multiple_of')}"
    if kind in {"literal_error", "enum"}:
        return f"must be one of {_quoted_choices(ctx.get('expected', ''))}"
    bounds = {
        "greater_than_equal": ("ge", "at least"),
        "less_than_equal": ("le", "at most"),
        "greater_than": ("gt", "more than"),
        "less_than": ("lt", "less than"),
    }
    if kind in bounds:
        key, words = bounds[kind]
        return f"must be {words} {ctx.get(key)}"
    return _FIXED.get(kind) or _by_family(kind)


_FIXED = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "invalid_key": "is not a field name",
    "model_type": "must be an object of named fields",
    "model_attributes_type": "must be an object of named fields",
    "dict_type": "must be an object of named fields",
    "string_unicode": NOT_UNICODE,
    "string_sub_type": NOT_TEXT,
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "set_type": "must be a list",
    "none_required": "must be null",
    "json_invalid": "must be valid JSON",
    "json_type": "must be JSON text",
    "recursion_loop": "is nested too deeply",
    "recursion_depth_exceeded": "is nested too deeply",
    "finite_number": "must be a finite number",
    "timezone_naive": "must include a time zone (e.g. 2026-01-31T12:00:00Z)",
    "timezone_aware": "must not include a time zone",
    "frozen_instance": "cannot be changed",
    "frozen_field": "cannot be changed",
}
_FAMILIES = (
    ("string", NOT_TEXT),
    ("int", NOT_WHOLE),
    ("float", "must be a number"),
    ("decimal", "must be a decimal number like '9.99'"),
    ("bool", "must be true or false"),
    ("datetime", "must be a date and time with a time zone, like 2026-01-31T12:00:00Z"),
    ("date", "must be a date like 2026-01-31"),
    ("time_delta", "must be a duration"),
    ("timezone", "must be a time zone offset like +01:00"),
    ("time", "must be a time like 12:00:00"),
    ("url", "must be a URL"),
    ("uuid", "must be a UUID"),
)


def _by_family(kind: str) -> str:
    return next((text for prefix, text in _FAMILIES if kind.startswith(prefix)), "is not valid")


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Turn pydantic's report into one ``FieldError`` per broken rule, in our own words."""
    result = []
    for item in exc.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        result.append(FieldError(field, rule_for(item)))
    return result


def _is_int_field(annotation: Any) -> bool:
    """Whether a field holds an int (maybe within Annotated or ``| None``), not a bool."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_int_field(typing.get_args(annotation)[0])
    if origin in {typing.Union, types.UnionType}:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_is_int_field(a) for a in args)
    return annotation is int


def _int_errors(names: tuple[str, ...], data: dict[Any, Any]) -> list[FieldError]:
    errors = []
    for name in names:
        value = data.get(name)
        if type(value) is int or (  # the common cases first: an int, a CSV cell of digits
            type(value) is str
            and len(value) <= MAX_INT_DIGITS
            and value.isascii()
            and value.isdigit()
        ):
            continue
        problem = _int_problem(value)
        if problem is not None:
            errors.append(FieldError(name, problem))
    return errors


class InputModel(BaseModel):
    """Base of input models: strict about unknown fields, strips text, raises our errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    _int_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Note, once per model, which fields hold integers (for ``_whole_numbers``)."""
        super().__pydantic_init_subclass__(**kwargs)
        cls._int_fields = tuple(
            name for name, info in cls.model_fields.items() if _is_int_field(info.annotation)
        )

    @model_validator(mode="wrap")
    @classmethod
    def _whole_numbers(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        # pydantic takes True, 3.0 and "1_000" as integers; SPEC §3 does not. One look at the
        # raw input per model, not one validator call per field (bulk imports).
        if not (cls._int_fields and isinstance(data, dict)):
            return handler(data)
        errors = _int_errors(cls._int_fields, data)
        if not errors:
            return handler(data)
        # Report every other field's problems too (one entry per field), but validate the
        # rest without the bad numbers so pydantic does not name them a second time.
        bad = {e.field for e in errors}
        try:
            handler({k: v for k, v in data.items() if k not in bad})
        except ValidationError as exc:
            errors += [e for e in field_errors(exc) if e.field.split(".")[0] not in bad]
        raise InvalidInputError(errors)

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

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        extra: Any = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Validate a JSON object into this model, raising ``InvalidInputError``."""
        try:
            return super().model_validate_json(
                json_data,
                strict=strict,
                extra=extra,
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
