"""The movie input models alone: MovieCreate, MoviePatch, MovieQuery (SPEC §3.2).

Every refusal is an ``InvalidInputError`` naming the field, whether the model is built with
keyword arguments or through ``model_validate``; pydantic's own ``ValidationError`` never leaks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from streamcore.errors import InvalidInputError, StreamcoreError
from streamcore.movies.models import MovieCreate, MoviePatch, MovieQuery

THIS_YEAR = datetime.now(UTC).year
COUNTRIES = [
    *("AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS"),
    *("AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF"),
]
REQUIRED = {"title": "Alien", "year": 1979}

Build = Callable[[type[BaseModel], dict[str, Any]], BaseModel]
BUILDERS: dict[str, Build] = {
    "constructor": lambda model, data: model(**data),
    "model_validate": lambda model, data: model.model_validate(data),
}
builders = pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())


def refusal(build: Build, model: type[BaseModel], data: dict[str, Any]) -> InvalidInputError:
    """The error building ``model`` from ``data`` raises; fails unless it is ours."""
    with pytest.raises(InvalidInputError) as caught:
        build(model, data)
    error = caught.value
    assert isinstance(error, StreamcoreError)
    assert not isinstance(error, ValidationError)
    assert error.code == "invalid_input"
    return error


# --- MovieCreate: defaults and normalisation ------------------------------------------------


def test_only_title_and_year_are_required_and_the_rest_defaults() -> None:
    movie = MovieCreate(title="Alien", year=1979)

    assert movie.model_dump() == {
        "title": "Alien",
        "description": "",
        "year": 1979,
        "duration_minutes": None,
        "genres": [],
        "countries": [],
        "media_path": None,
    }


@pytest.mark.parametrize(
    ("field", "given", "stored"),
    [
        ("title", "  Alien \t", "Alien"),
        ("title", "T" * 200, "T" * 200),
        ("title", "  " + "T" * 200 + "  ", "T" * 200),
        ("title", "É" * 200, "É" * 200),
        ("description", "  text \n", "text"),
        ("description", "   ", ""),
        ("description", "d" * 5000, "d" * 5000),
        ("year", 1888, 1888),
        ("year", THIS_YEAR + 5, THIS_YEAR + 5),
        ("year", "1979", 1979),
        ("duration_minutes", 1, 1),
        ("duration_minutes", 1000, 1000),
        ("duration_minutes", "90", 90),
        ("duration_minutes", None, None),
        ("genres", ["Sci-Fi", " HORROR ", "sci-fi", "horror"], ["sci-fi", "horror"]),
        ("genres", ["film-noir", "2d", "a"], ["film-noir", "2d", "a"]),
        ("genres", [f"g{n}" for n in range(10)] * 2, [f"g{n}" for n in range(10)]),
        ("countries", ["gb", " us ", "GB", "Fr"], ["GB", "US", "FR"]),
        ("countries", [*COUNTRIES[:20], "ad", "ae"], COUNTRIES[:20]),
        ("media_path", " films/alien.mp4 ", "films/alien.mp4"),
        ("media_path", "alien.mp4", "alien.mp4"),
        ("media_path", ".hidden/...mp4", ".hidden/...mp4"),
        ("media_path", "a/b/c/d/e.mkv", "a/b/c/d/e.mkv"),
        ("media_path", None, None),
    ],
)
def test_movie_create_normalises_valid_values(field: str, given: Any, stored: Any) -> None:
    movie = MovieCreate(**REQUIRED | {field: given})

    assert getattr(movie, field) == stored


def test_model_validate_normalises_like_the_constructor() -> None:
    data = {
        "title": " Alien ",
        "description": " text ",
        "year": "1979",
        "duration_minutes": "117",
        "genres": ["Sci-Fi", "sci-fi"],
        "countries": ["gb"],
        "media_path": " films/alien.mp4",
    }

    assert MovieCreate.model_validate(data) == MovieCreate(**data)
    assert MovieCreate.model_validate(data).model_dump() == {
        "title": "Alien",
        "description": "text",
        "year": 1979,
        "duration_minutes": 117,
        "genres": ["sci-fi"],
        "countries": ["GB"],
        "media_path": "films/alien.mp4",
    }


# --- MovieCreate: every refusal --------------------------------------------------------------

INVALID: list[tuple[str, Any]] = [
    ("title", ""),
    ("title", "   "),
    ("title", "\t\n"),
    ("title", "T" * 201),
    ("title", None),
    ("title", 42),
    ("description", "d" * 5001),
    ("description", None),
    ("year", 1887),
    ("year", THIS_YEAR + 6),
    ("year", -5),
    ("year", "abc"),
    ("year", 1979.5),
    ("year", None),
    ("duration_minutes", 0),
    ("duration_minutes", -1),
    ("duration_minutes", 1001),
    ("duration_minutes", "long"),
    ("genres", ["sci fi"]),
    ("genres", ["sci_fi"]),
    ("genres", ["drama!"]),
    ("genres", ["drâme"]),
    ("genres", [""]),
    ("genres", ["   "]),
    ("genres", [f"g{n}" for n in range(11)]),
    ("genres", "drama"),
    ("genres", None),
    ("countries", ["XX"]),
    ("countries", ["UK"]),
    ("countries", ["USA"]),
    ("countries", ["u"]),
    ("countries", [""]),
    ("countries", COUNTRIES[:21]),
    ("countries", "US"),
    ("countries", None),
    ("media_path", ""),
    ("media_path", "   "),
    ("media_path", "/etc/passwd"),
    ("media_path", "//server/share.mp4"),
    ("media_path", ".."),
    ("media_path", "../secret.mp4"),
    ("media_path", "films/../../secret.mp4"),
    ("media_path", "films/.."),
    ("media_path", "./films/alien.mp4"),
    ("media_path", "films/./alien.mp4"),
    ("media_path", "films//alien.mp4"),
    ("media_path", "films/"),
    ("media_path", "films\\alien.mp4"),
    ("media_path", "C:\\films\\alien.mp4"),
    ("media_path", "films/al\x00ien.mp4"),
]


def field_root(name: str) -> str:
    """``genres.0`` names the field ``genres``."""
    return name.split(".")[0]


@builders
@pytest.mark.parametrize(("field", "value"), INVALID)
def test_movie_create_refuses_an_invalid_value_naming_the_field(
    build: Build, field: str, value: Any
) -> None:
    error = refusal(build, MovieCreate, REQUIRED | {field: value})

    assert [field_root(f) for f in error.fields] == [field]
    assert field in str(error)


@builders
@pytest.mark.parametrize("missing", ["title", "year"])
def test_movie_create_refuses_a_missing_required_field(build: Build, missing: str) -> None:
    data = {k: v for k, v in REQUIRED.items() if k != missing}

    assert refusal(build, MovieCreate, data).fields == (missing,)


@builders
def test_every_broken_rule_is_named_at_once(build: Build) -> None:
    data = {"title": "", "year": 1700, "countries": ["XX"], "media_path": "/abs"}

    error = refusal(build, MovieCreate, data)

    assert {field_root(f) for f in error.fields} == {"title", "year", "countries", "media_path"}


@builders
def test_an_unknown_field_is_refused_by_name(build: Build) -> None:
    assert refusal(build, MovieCreate, REQUIRED | {"rating": 5}).fields == ("rating",)


def test_model_validate_of_something_that_is_not_a_mapping_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        MovieCreate.model_validate(["Alien", 1979])


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("year", 1700, ["1888", str(THIS_YEAR + 5)]),
        ("genres", [f"g{n}" for n in range(11)], ["10"]),
        ("genres", ["Sci Fi"], ["sci fi", "slug"]),
        ("countries", ["XX"], ["XX", "ISO 3166-1"]),
        ("countries", COUNTRIES[:21], ["20"]),
        ("media_path", "/etc/passwd", ["relative"]),
        ("media_path", "a\\b", ["backslash"]),
        ("media_path", "../x", [".."]),
    ],
)
def test_the_message_states_the_rule_that_was_broken(
    field: str, value: Any, words: list[str]
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        MovieCreate(**REQUIRED | {field: value})

    message = str(caught.value)
    assert message.startswith(f"{field}: ")
    assert all(word in message for word in words), message


def test_movie_create_is_immutable() -> None:
    movie = MovieCreate(**REQUIRED)

    with pytest.raises(ValidationError):
        movie.title = "Other"  # type: ignore[misc]
    assert movie.title == "Alien"


# --- MoviePatch -------------------------------------------------------------------------------


def test_an_empty_patch_changes_nothing() -> None:
    assert MoviePatch().changes() == {}


@builders
def test_changes_names_only_the_given_fields_with_their_normalised_values(build: Build) -> None:
    patch = build(MoviePatch, {"title": "  New  ", "genres": ["Drama", "drama"], "year": "2001"})

    assert patch.changes() == {"title": "New", "genres": ["drama"], "year": 2001}  # type: ignore[attr-defined]


@builders
@pytest.mark.parametrize("field", ["duration_minutes", "media_path"])
def test_null_clears_a_nullable_field(build: Build, field: str) -> None:
    patch = build(MoviePatch, {field: None})

    assert patch.changes() == {field: None}  # type: ignore[attr-defined]


@builders
@pytest.mark.parametrize("field", ["title", "description", "year", "genres", "countries"])
def test_null_is_refused_for_a_field_that_is_never_null(build: Build, field: str) -> None:
    error = refusal(build, MoviePatch, {field: None})

    assert error.fields == (field,)
    assert "null" in str(error)


@builders
def test_every_null_field_is_named(build: Build) -> None:
    error = refusal(build, MoviePatch, {"title": None, "genres": None, "media_path": None})

    assert set(error.fields) == {"title", "genres"}


@builders
@pytest.mark.parametrize(("field", "value"), [(f, v) for f, v in INVALID if v is not None], ids=str)
def test_a_patch_follows_the_same_field_rules(build: Build, field: str, value: Any) -> None:
    error = refusal(build, MoviePatch, {field: value})

    assert [field_root(f) for f in error.fields] == [field]


@builders
def test_a_patch_refuses_an_unknown_field(build: Build) -> None:
    assert refusal(build, MoviePatch, {"id": 5}).fields == ("id",)


# --- MovieQuery -------------------------------------------------------------------------------


def test_query_defaults() -> None:
    query = MovieQuery()

    assert query.model_dump() == {
        "q": None,
        "genre": None,
        "year": None,
        "country": None,
        "trashed": "without",
        "sort": "id",
        "limit": 20,
        "offset": 0,
    }


@builders
def test_query_normalises_its_filters(build: Build) -> None:
    query = build(
        MovieQuery,
        {"q": "  alien ", "genre": " Sci-Fi ", "country": " gb ", "year": "1979", "limit": "5"},
    )

    assert query.model_dump(include={"q", "genre", "country", "year", "limit"}) == {
        "q": "alien",
        "genre": "sci-fi",
        "country": "GB",
        "year": 1979,
        "limit": 5,
    }


@pytest.mark.parametrize(
    "sort", ["id", "-id", "title", "-title", "year", "-year", "created_at", "-created_at"]
)
def test_every_sort_key_is_accepted_both_ways(sort: str) -> None:
    assert MovieQuery(sort=sort).sort == sort  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "paging", [{"limit": 1}, {"limit": 100}, {"offset": 0}, {"offset": 10_000}]
)
def test_paging_limits_are_accepted(paging: dict[str, int]) -> None:
    assert MovieQuery(**paging).model_dump(include=set(paging)) == paging


@pytest.mark.parametrize("trashed", ["without", "with", "only"])
def test_every_trashed_choice_is_accepted(trashed: str) -> None:
    assert MovieQuery(trashed=trashed).trashed == trashed  # type: ignore[arg-type]


@builders
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("limit", 0),
        ("limit", 101),
        ("limit", -1),
        ("limit", "many"),
        ("offset", -1),
        ("sort", "rating"),
        ("sort", "+id"),
        ("sort", "--id"),
        ("sort", "Title"),
        ("sort", "deleted_at"),
        ("trashed", "all"),
        ("trashed", "WITH"),
        ("country", "XX"),
        ("country", "usa"),
        ("genre", "   "),
        ("q", "q" * 201),
        ("year", "recent"),
        ("page", 2),
    ],
)
def test_query_refuses_an_invalid_value_naming_the_field(
    build: Build, field: str, value: Any
) -> None:
    assert refusal(build, MovieQuery, {field: value}).fields == (field,)


# --- SPEC §3 for every field: the cases issue 7 saw -------------------------------------------


@builders
@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("title", "Alien\u202e", "bidirectional"),
        ("title", "Ali\u2066en", "bidirectional"),
        ("title", "Ali\u2028en", "one line"),
        ("title", "Ali\u2029en", "one line"),
        ("title", "Ali\x85en", "one line"),
        ("title", "Ali\x07en", "one line"),
        ("title", "Ali\ten", "one line"),
        ("title", "Ali\ud800en", "valid Unicode"),
        ("title", f"Ali{chr(0xDCFF)}en", "valid Unicode"),  # chr(): ruff folds surrogates
        ("title", "Ali\x00en", "NUL"),
        ("title", b"Alien", "text"),
        ("description", "text\x1b[31m", "control characters"),
        ("description", "text\x00", "NUL"),
        ("description", "text\ud800", "valid Unicode"),
        ("media_path", "films/al\x1fien.mp4", "one line"),
        ("media_path", "films/\u202eien.mp4", "bidirectional"),
        ("genres", ["drama\u202e"], "bidirectional"),
        ("countries", ["G\x00B"], "NUL"),
    ],
)
def test_text_breaking_spec_3_is_refused_with_the_rule(
    build: Build, field: str, value: Any, rule: str
) -> None:
    error = refusal(build, MovieCreate, REQUIRED | {field: value})

    assert [field_root(f) for f in error.fields] == [field]
    assert rule in str(error)


def test_a_description_keeps_its_line_breaks_and_tabs() -> None:
    text = "First line.\r\nSecond\tline.\n\nThird, with \u2028 and bidi \u202b ok."

    assert MovieCreate(**REQUIRED, description=f"  {text}\n").description == text


@builders
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("year", True),
        ("year", False),
        ("year", 1979.0),
        ("year", "1979.0"),
        ("year", "1_979"),
        ("year", Decimal("1979")),
        ("duration_minutes", True),
        ("duration_minutes", 90.0),
        ("duration_minutes", [90]),
    ],
)
def test_a_bool_or_a_float_is_not_a_whole_number(build: Build, field: str, value: Any) -> None:
    error = refusal(build, MovieCreate, REQUIRED | {field: value})

    assert str(error) == f"{field}: must be a whole number"


@pytest.mark.parametrize(
    "year",
    [10**5000, -(10**5000), "9" * 5000, "9" * 19, 2**63],
    ids=["10**5000", "-10**5000", "5000 digits", "19 digits", "2**63"],  # no str(10**5000)
)
def test_a_huge_number_is_a_clean_refusal(year: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        MovieCreate(title="Alien", year=year)

    assert caught.value.fields == ("year",)
    assert len(str(caught.value)) < 100


def test_a_ten_megabyte_media_path_is_refused_cheaply() -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInputError) as caught:
        MovieCreate(**REQUIRED, media_path="a" * 10_000_000)

    assert str(caught.value) == "media_path: must be at most 1024 characters"
    assert time.perf_counter() - started < 0.5
    assert MovieCreate(**REQUIRED, media_path="a" * 1024).media_path == "a" * 1024


def test_a_huge_cell_is_not_quoted_whole_in_the_message() -> None:
    for field in ("genres", "countries"):
        with pytest.raises(InvalidInputError) as caught:
            MovieCreate(**REQUIRED, **{field: ["x y" * 100_000]})
        assert len(str(caught.value)) < 120


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": 1979}, "title: is required"),
        ({"title": "", "year": 1979}, "title: must not be empty"),
        ({"title": "T" * 201, "year": 1979}, "title: must be at most 200 characters"),
        (REQUIRED | {"rating": 5}, "rating: is not a known field"),
        (REQUIRED | {"genres": "drama"}, "genres: must be a list"),
        (REQUIRED | {"title": 42}, "title: must be text"),
        (REQUIRED | {"year": "recent"}, "year: must be a whole number"),
    ],
)
def test_messages_are_ours_not_pydantics(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        MovieCreate.model_validate(data)

    assert str(caught.value) == message


def test_a_query_refuses_a_bad_choice_naming_the_choices() -> None:
    with pytest.raises(InvalidInputError) as caught:
        MovieQuery(trashed="all")

    assert str(caught.value) == "trashed: must be one of without, with, only"


def test_json_too_deep_or_broken_is_invalid_input() -> None:
    for text in ["[" * 100_000, "{", '{"title": "\\ud800", "year": 1979}']:
        with pytest.raises(InvalidInputError):
            MovieCreate.model_validate_json(text)
    assert MovieCreate.model_validate_json('{"title": "Alien", "year": 1979}').title == "Alien"
