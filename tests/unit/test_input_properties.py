"""Every input model, under any value of any type or size (SPEC §3), as properties (hypothesis).

For each model: whatever it is given, building it either succeeds, with values that obey
SPEC §3 (stripped valid one-line text, real integers, finite money, aware UTC times), or raises
``InvalidInputError`` naming the offending fields in our own words (no pydantic wording, no
long echo of the value) — never another exception. A test also checks that every input model
is covered here and that each of its text fields carries ``ONE_LINE`` or ``MULTI_LINE``.
"""

from __future__ import annotations

import typing
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from pydantic_core import ValidationError, core_schema

from streamcore.auth.models import (
    Credentials,
    PasswordChange,
    ProfilePatch,
    Registration,
    UserCreate,
    UserPatch,
    UserQuery,
)
from streamcore.errors import InvalidInputError
from streamcore.movies.models import MovieCreate, MoviePatch, MovieQuery
from streamcore.paging import PageQuery
from streamcore.subscriptions.models import (
    MAX_AMOUNT,
    PaymentCreate,
    PlanChange,
    PlanCreate,
    PlanPatch,
    PlanQuery,
    SubscriptionCreate,
    SubscriptionQuery,
)
from streamcore.validation import MULTI_LINE, ONE_LINE, InputModel, field_errors, text_problem

PASSWORD = "correct horse battery"
ACCOUNT = {"email": "ann@example.org", "password": PASSWORD, "name": "Ann"}
PLAN = {"name": "Basic", "price": "9.99", "currency": "EUR", "period": "month"}

VALID: dict[type[InputModel], dict[str, Any]] = {
    MovieCreate: {"title": "Alien", "year": 1979},
    MoviePatch: {},
    MovieQuery: {},
    Registration: ACCOUNT,
    UserCreate: ACCOUNT | {"role": "editor"},
    UserPatch: {},
    ProfilePatch: {},
    PasswordChange: {"password": PASSWORD},
    Credentials: {"email": "ann@example.org", "password": PASSWORD},
    UserQuery: {},
    PlanCreate: PLAN,
    PlanPatch: {},
    PlanQuery: {},
    SubscriptionCreate: {"plan_id": 1},
    PlanChange: {"plan_id": 1},
    SubscriptionQuery: {},
    PaymentCreate: {"amount": "9.99", "currency": "EUR", "reference": "ch_1"},
    PageQuery: {},
}
"""A valid input for each model; the properties change it."""

MODELS = list(VALID)
PYDANTIC_WORDING = (
    "Input should",
    "String should",
    "should be",
    "should have",
    "Value error",
    "Assertion failed",
    "Field required",
    "Extra inputs",
    "Unable to parse",
    "pydantic",
    "validation error",
    "type=",
)
MULTI_LINE_FIELDS = {"description"}

# --- arbitrary values ---------------------------------------------------------------------------

TRICKY_CHARACTERS = (
    "\x00\x01\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\x9f\xa0\u00ad\u200b\u200d\u2028\u2029"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\ud800\udbff\udc00\udfff"
    "\uffff\U0001f600Ééẞİ\uff21\uff41\uff10\uff19 ;/\\.@-_"
)
any_character = st.characters(codec=None, exclude_categories=())  # surrogates included
texts = st.one_of(
    st.text(any_character, max_size=30),
    st.text(st.sampled_from(TRICKY_CHARACTERS), max_size=12),
    st.builds(
        lambda fill, size, edge: edge + fill * size + edge,
        st.sampled_from(["a", "9", " ", "\x00", "\u202e", "\ud800"]),
        st.sampled_from([150, 201, 1025, 5001, 100_000]),
        st.sampled_from(["", " ", "\t"]),
    ),
)
plausible_texts = st.sampled_from(
    [
        "9.99",
        " 12 ",
        "-0",
        "0.001",
        "1e1000",
        "NaN",
        "Infinity",
        "-Infinity",
        "1" * 28,
        "9" * 19,
        "9" * 4000,
        "1_000",
        "12.0",
        "+3",
        "٣",
        "EUR",
        "eur",
        "GB",
        "month",
        "with",
        "-title",
        "admin",
        "true",
        "ann@example.org",
        "\uff41nn@example.org",
        "café@example.org",
        "cafe\u0301@example.org",
        "films/alien.mp4",
        "../x",
        "2026-01-31T12:00:00Z",
        "2026-01-31T12:00:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31",
        "1700000000",
    ]
)
integers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**100, 10**4000]),
)
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [Decimal("1e1000"), Decimal("sNaN"), Decimal("-0"), Decimal("1e-1000"), MAX_AMOUNT]
    ),
    st.sampled_from([Decimal("1e999999999"), Decimal("-1e-999999999")]),
)
zones = st.one_of(
    st.none(),
    st.builds(
        timezone,
        st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23)),
    ),
    st.timezones(),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    decimals,
    texts,
    plausible_texts,
    st.binary(max_size=10),
    st.datetimes(timezones=zones),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
keys = st.one_of(
    st.text(max_size=12), st.sampled_from(sorted({f for m in MODELS for f in m.model_fields}))
)


def quick(examples: int) -> Any:
    """Few examples per model (18 models x 3 properties), no deadline: the file stays fast.

    No "explain" phase: tracing every line to explain a failure takes minutes here.
    """
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


def text_slots(annotation: Any, marks: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The metadata each ``str`` inside an annotation carries (list items have their own)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        return text_slots(base, marks + tuple(metadata))
    if origin is typing.Literal:
        return []
    if typing.get_args(annotation):
        inner = () if origin in {list, tuple, set, dict} else marks
        return [slot for arg in typing.get_args(annotation) for slot in text_slots(arg, inner)]
    return [marks] if annotation is str else []


# --- what an outcome must look like ------------------------------------------------------------


def check(model: type[InputModel], data: dict[str, Any], *, build: str = "validate") -> set[str]:
    """Build ``model`` from ``data``; return the fields named by the error (empty: it built)."""
    try:
        built = model.model_validate(data) if build == "validate" else model(**data)
    except InvalidInputError as error:
        check_error(model, data, error)
        return {e.field for e in error.errors}
    check_built(built)
    check_taken(model, data)
    return set()


def check_taken(model: type[InputModel], data: dict[str, Any]) -> None:
    """What a model took was of the right kind: an int field took an int or digits, no bool."""
    for name, value in data.items():
        if name in model._int_fields and value is not None:
            assert not isinstance(value, bool | float | Decimal), (name, value)
            assert isinstance(value, int) or value.strip().lstrip("+-").isdigit(), (name, value)
        if isinstance(value, bytes):
            assert name not in model.model_fields or not text_slots(
                model.model_fields[name].annotation
            ), name


def check_error(model: type[InputModel], data: dict[str, Any], error: InvalidInputError) -> None:
    assert error.errors, "an InvalidInputError names at least one field"
    for item in error.errors:
        root = item.field.split(".")[0]
        assert item.field in data or root in model.model_fields, item
        assert item.message, item
        assert len(item.message) <= 120, item  # a rule, not an echo of a huge value
        assert not any(words in item.message for words in PYDANTIC_WORDING), item
    secret = data.get("password")
    if isinstance(secret, str) and len(secret.strip()) >= 8:
        assert secret not in str(error)


def check_built(built: InputModel) -> None:
    """A model that was built holds only values SPEC §3 allows."""
    for name, value in built:
        if isinstance(value, str):
            assert value == value.strip(), name
            assert text_problem(value, multiline=name in MULTI_LINE_FIELDS) is None, name
        elif isinstance(value, SecretStr):
            value.get_secret_value().encode()  # hashable as UTF-8
            assert "\x00" not in value.get_secret_value()
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            assert type(value) is int
            assert -(2**63) <= value < 2**63, name
        elif isinstance(value, Decimal):
            assert value.is_finite()
            assert 0 <= value <= MAX_AMOUNT
            assert value == value.quantize(Decimal("0.01"))
        elif isinstance(value, datetime):
            assert value.utcoffset() == timedelta(0)
            assert 2000 <= value.year < 9000
        elif isinstance(value, list):
            for item in value:
                assert isinstance(item, str)
                assert text_problem(item) is None


# --- the properties ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@quick(40)
@given(data=st.dictionaries(keys, values, max_size=6), build=st.sampled_from(["validate", "init"]))
def test_any_input_builds_or_is_refused_in_our_words(
    model: type[InputModel], data: dict[str, Any], build: str
) -> None:
    check(model, data, build=build)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@quick(40)
@given(choice=st.data(), value=values)
def test_one_bad_field_is_named_alone(model: type[InputModel], choice: Any, value: Any) -> None:
    name = choice.draw(st.sampled_from(sorted(model.model_fields)), label="field")
    named = check(model, VALID[model] | {name: value})
    assert {field.split(".")[0] for field in named} <= {name}


TEXT_FIELDS = [
    (model, name)
    for model in MODELS
    for name, info in model.model_fields.items()
    if text_slots(info.annotation, tuple(info.metadata)) or name == "password"
]


@pytest.mark.parametrize(
    ("model", "name"), TEXT_FIELDS, ids=[f"{m.__name__}.{n}" for m, n in TEXT_FIELDS]
)
@quick(25)
@given(text=texts)
def test_any_text_in_a_text_field_is_kept_clean_or_refused(
    model: type[InputModel], name: str, text: str
) -> None:
    named = check(model, VALID[model] | {name: text})
    assert {field.split(".")[0] for field in named} <= {name}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@quick(10)
@given(extra=st.text(max_size=12), value=values)
def test_an_unknown_field_is_named(model: type[InputModel], extra: str, value: Any) -> None:
    if extra in model.model_fields:
        return
    assert check(model, VALID[model] | {extra: value}) == {extra}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_valid_input_of_each_model_builds(model: type[InputModel]) -> None:
    assert check(model, VALID[model]) == set()


# --- coverage of this file and of the text rules -------------------------------------------------


def all_input_models() -> set[type[InputModel]]:
    found: set[type[InputModel]] = set()
    todo = [InputModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found and "[" not in sub.__name__:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_input_model_has_its_properties_here() -> None:
    assert all_input_models() == set(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_text_field_follows_the_text_rules(model: type[InputModel]) -> None:
    for name, info in model.model_fields.items():
        for marks in text_slots(info.annotation, tuple(info.metadata)):
            assert ONE_LINE in marks or MULTI_LINE in marks, f"{model.__name__}.{name}"


def test_every_multi_line_field_is_known_here() -> None:
    multi = {
        name
        for model in MODELS
        for name, info in model.model_fields.items()
        for marks in text_slots(info.annotation, tuple(info.metadata))
        if MULTI_LINE in marks
    }
    assert multi == MULTI_LINE_FIELDS


# --- pydantic's report, in our words --------------------------------------------------------------

CONTEXT = {
    **dict.fromkeys(["min_length", "max_length", "ge", "le", "gt", "lt", "multiple_of"], 3),
    **dict.fromkeys(["max_digits", "decimal_places", "whole_digits", "limit", "max_size"], 3),
    **dict.fromkeys(["expected_length", "actual_length", "tz_expected", "tz_actual"], 3),
    **dict.fromkeys(["expected", "expected_tags", "expected_schemes", "allowed_schemes"], "'a'"),
    **dict.fromkeys(["class_name", "class", "field_type", "function_name", "attribute"], "X"),
    **dict.fromkeys(["method_name", "encoding", "reason", "discriminator", "tag"], "x"),
    **dict.fromkeys(["union_tag", "actual", "pattern", "version", "encoding_error"], "x"),
    "expected_version": 4,
    "error": "must be our own words",
    "context": {},
}


@pytest.mark.parametrize("kind", typing.get_args(core_schema.ErrorType))
def test_every_pydantic_error_type_has_a_house_message(kind: str) -> None:
    raw = {"type": kind, "loc": ("genres", 0), "input": "Input should be secret", "ctx": CONTEXT}
    error = ValidationError.from_exception_data("Model", [raw])

    [item] = field_errors(error)

    assert item.field == "genres.0"
    assert item.message
    assert not any(words in item.message for words in PYDANTIC_WORDING), item.message
    assert "secret" not in item.message


def test_messages_name_the_rule() -> None:
    cases = {
        "missing": "is required",
        "extra_forbidden": "is not a known field",
        "string_too_short": "must be at least 3 characters",
        "string_too_long": "must be at most 3 characters",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "literal_error": "must be one of a",
        "too_long": "must have at most 3 items",
        "bool_parsing": "must be true or false",
    }
    for kind, message in cases.items():
        raw = {"type": kind, "loc": ("f",), "input": 1, "ctx": CONTEXT}
        error = ValidationError.from_exception_data("Model", [raw])
        assert [str(e) for e in field_errors(error)] == [f"f: {message}"]
