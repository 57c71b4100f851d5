"""Movie models: validated inputs and immutable outputs (SPEC §3.2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from streamcore.iso import COUNTRY_CODES
from streamcore.paging import PageQuery, Trashed
from streamcore.validation import MULTI_LINE, ONE_LINE, InputModel, OutputModel, short_repr

FIRST_FILM_YEAR = 1888
YEARS_AHEAD = 5
MAX_GENRES = 10
MAX_COUNTRIES = 20
MAX_GENRE_LENGTH = 50
MAX_MEDIA_PATH = 1024
_SLUG = re.compile(r"[a-z0-9-]+")


def _check_year(year: int) -> int:
    last = datetime.now(UTC).year + YEARS_AHEAD
    if not FIRST_FILM_YEAR <= year <= last:
        raise ValueError(f"must be between {FIRST_FILM_YEAR} and {last}")
    return year


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _normalize_genre(value: str) -> str:
    genre = value.strip().lower()
    if len(genre) > MAX_GENRE_LENGTH:  # first: a long one is not quoted in the message
        raise ValueError(f"a genre has at most {MAX_GENRE_LENGTH} characters")
    if not _SLUG.fullmatch(genre):
        raise ValueError(f"{short_repr(genre)} is not a slug of a-z, 0-9 and '-'")
    return genre


def _normalize_genres(values: list[str]) -> list[str]:
    genres = _unique([_normalize_genre(v) for v in values])
    if len(genres) > MAX_GENRES:
        raise ValueError(f"at most {MAX_GENRES} genres")
    return genres


def _normalize_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError(f"{short_repr(value)} is not an ISO 3166-1 alpha-2 country code")
    return code


def _normalize_countries(values: list[str]) -> list[str]:
    codes = _unique([_normalize_country(v) for v in values])
    if len(codes) > MAX_COUNTRIES:
        raise ValueError(f"at most {MAX_COUNTRIES} countries")
    return codes


def _check_media_path(path: str) -> str:
    if not path:
        raise ValueError("must not be empty (use null for no media)")
    if "\\" in path:  # control characters: ONE_LINE refuses them
        raise ValueError("must not contain a backslash")
    if path.startswith("/"):
        raise ValueError("must be relative to the media root")
    if any(part in {"", ".", ".."} for part in path.split("/")):
        raise ValueError("must be a normalized relative path without '.' or '..' segments")
    return path


# ONE_LINE and MULTI_LINE carry SPEC §3's text rules; every text field, list items included,
# has one of them (tests/unit/test_input_properties.py checks that).
Title = Annotated[
    str, ONE_LINE, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Description = Annotated[str, MULTI_LINE, StringConstraints(strip_whitespace=True, max_length=5000)]
Year = Annotated[int, AfterValidator(_check_year)]
Duration = Annotated[int, Field(ge=1, le=1000)]
Genres = Annotated[list[Annotated[str, ONE_LINE]], AfterValidator(_normalize_genres)]
Countries = Annotated[list[Annotated[str, ONE_LINE]], AfterValidator(_normalize_countries)]
MediaPath = Annotated[
    str,
    ONE_LINE,
    StringConstraints(strip_whitespace=True, max_length=MAX_MEDIA_PATH),
    AfterValidator(_check_media_path),
]
Genre = Annotated[
    str,
    ONE_LINE,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=MAX_GENRE_LENGTH
    ),
]
Country = Annotated[str, ONE_LINE, AfterValidator(_normalize_country)]

SortKey = Literal["id", "-id", "title", "-title", "year", "-year", "created_at", "-created_at"]


class MovieCreate(InputModel):
    """A new movie, or every field of a full update (PUT)."""

    title: Title
    description: Description = ""
    year: Year
    duration_minutes: Duration | None = None
    genres: Genres = Field(default_factory=list)
    countries: Countries = Field(default_factory=list)
    media_path: MediaPath | None = None


NOT_NULL_FIELDS = ("title", "description", "year", "genres", "countries")


class MoviePatch(InputModel):
    """A partial update: only the fields given change; null clears a nullable field."""

    title: Title | None = None
    description: Description | None = None
    year: Year | None = None
    duration_minutes: Duration | None = None
    genres: Genres | None = None
    countries: Countries | None = None
    media_path: MediaPath | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> MoviePatch:
        self.reject_nulls(NOT_NULL_FIELDS)
        return self


class MovieQuery(PageQuery):
    """Filters, sort and page of a catalogue listing."""

    q: Annotated[str, ONE_LINE, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )
    genre: Genre | None = None
    year: Annotated[int, Field(ge=0, le=9999)] | None = None
    country: Country | None = None
    trashed: Trashed = "without"
    sort: SortKey = "id"


class Movie(OutputModel):
    """A movie of the catalogue, as stored."""

    id: int
    title: str
    description: str
    year: int
    duration_minutes: int | None
    genres: tuple[str, ...]
    countries: tuple[str, ...]
    media_path: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @property
    def is_deleted(self) -> bool:
        """True once soft-deleted."""
        return self.deleted_at is not None
