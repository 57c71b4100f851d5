"""The movie catalogue contract (SPEC §3.2) that every storage backend must pass.

Everything goes through ``core.movies`` (``MovieService``) on the memory, SQLite and
PostgreSQL backends. A refused write must change nothing: the stored movies and the listing
read the same afterwards. Tables of cases are checked inside one test (one core) and compared
as a whole, so a failure shows every case that differs and the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from streamcore import (
    ConflictError,
    InvalidInputError,
    Movie,
    MovieCreate,
    MoviePatch,
    MovieQuery,
    NotFoundError,
    Page,
    StreamCore,
)
from streamcore.auth.permissions import SYSTEM

THIS_YEAR = datetime.now(UTC).year
EVERYTHING = MovieQuery(trashed="with", limit=100)
COUNTRIES = [
    *("AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS"),
    *("AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF"),
]


def new(title: str = "Alien", year: int = 1979, **fields: Any) -> MovieCreate:
    return MovieCreate(title=title, year=year, **fields)


def full(**overrides: Any) -> MovieCreate:
    fields: dict[str, Any] = {
        "title": "Alien",
        "description": "Space horror.",
        "year": 1979,
        "duration_minutes": 117,
        "genres": ["sci-fi", "horror"],
        "countries": ["GB", "US"],
        "media_path": "films/alien.mp4",
    }
    return MovieCreate(**(fields | overrides))


def snapshot(core: StreamCore) -> Page[Movie]:
    """Every stored movie, deleted ones included."""
    return core.movies.list(EVERYTHING, actor=SYSTEM)


def titles(page: Page[Movie]) -> list[str]:
    return [m.title for m in page.items]


def outcome(call: Callable[[], object]) -> str:
    """The error category a call ends in ("ok" when it returns), for comparing whole tables."""
    try:
        call()
    except NotFoundError:
        return "not found"
    except ConflictError:
        return "conflict"
    except InvalidInputError:
        return "invalid"
    except Exception as exc:  # anything else is a failure worth seeing in the diff
        return f"{type(exc).__name__}: {exc}"
    return "ok"


# --- create and get ---------------------------------------------------------------------------


def test_create_stores_the_movie_with_its_defaults(core: StreamCore, clock: Any) -> None:
    movie = core.movies.create(new(), actor=SYSTEM)

    assert isinstance(movie.id, int)
    assert (movie.title, movie.year) == ("Alien", 1979)
    assert movie.description == ""
    assert movie.duration_minutes is None
    assert movie.genres == ()
    assert movie.countries == ()
    assert movie.media_path is None
    assert movie.created_at == movie.updated_at == clock.now
    assert movie.deleted_at is None
    assert core.movies.get(movie.id, actor=SYSTEM) == movie


def test_create_normalises_and_the_stored_movie_reads_back_alike(core: StreamCore) -> None:
    data = MovieCreate(
        title="  Alien  ",
        description="  In space no one can hear you scream. ",
        year=1979,
        duration_minutes=117,
        genres=[" Sci-Fi", "HORROR", "sci-fi", "horror "],
        countries=["gb", " us ", "GB"],
        media_path=" films/alien.mp4 ",
    )
    movie = core.movies.create(data, actor=SYSTEM)

    assert movie.title == "Alien"
    assert movie.description == "In space no one can hear you scream."
    assert movie.duration_minutes == 117
    assert movie.genres == ("sci-fi", "horror")
    assert movie.countries == ("GB", "US")
    assert movie.media_path == "films/alien.mp4"
    assert core.movies.get(movie.id, actor=SYSTEM) == movie


def test_ids_are_distinct_and_increase(core: StreamCore) -> None:
    ids = [core.movies.create(new(f"Movie {n}", 2000), actor=SYSTEM).id for n in range(3)]

    assert ids == sorted(ids)
    assert len(set(ids)) == 3


LIMITS: dict[str, dict[str, Any]] = {
    "lowest": {
        "title": "A",
        "description": "",
        "year": 1888,
        "duration_minutes": 1,
        "genres": [],
        "countries": [],
        "media_path": "a",
    },
    "highest": {
        "title": "T" * 200,
        "description": "d" * 5000,
        "year": THIS_YEAR + 5,
        "duration_minutes": 1000,
        "genres": [f"genre-{n}" for n in range(10)],
        "countries": COUNTRIES[:20],
        "media_path": ".hidden/a/b/c/film.final.mkv",
    },
}


def test_values_at_the_limits_are_stored_unchanged(core: StreamCore) -> None:
    stored = {}
    for name, fields in LIMITS.items():
        movie = core.movies.create(MovieCreate(**fields), actor=SYSTEM)
        stored[name] = core.movies.get(movie.id, actor=SYSTEM).model_dump(include=set(fields))

    assert stored == {
        name: {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
        for name, fields in LIMITS.items()
    }


def test_a_long_genre_slug_is_refused_up_front_or_stored_and_found_on_every_backend(
    core: StreamCore,
) -> None:
    # SPEC §3.2 sets no length for a genre slug. Whatever passes the model must be storable.
    results = {}
    for length in (50, 100, 101, 150):
        genre = "g" * length
        try:
            data = new(f"Genre {length}", genres=[genre])
        except InvalidInputError as exc:
            results[length] = f"refused: {exc.fields}"
            continue
        results[length] = outcome(lambda data=data: core.movies.create(data, actor=SYSTEM))
        if results[length] == "ok":
            found = core.movies.list(MovieQuery(genre=genre), actor=SYSTEM).items
            results[length] = "ok" if [m.genres for m in found] == [(genre,)] else str(found)
    accepted = [n for n, result in results.items() if result == "ok"]
    refused = [n for n, result in results.items() if result == "refused: ('genres',)"]
    assert accepted + refused == [50, 100, 101, 150], results
    assert all(a < r for a in accepted for r in refused), results  # one limit, not a mix


def test_a_nul_character_in_text_is_refused_up_front_or_stored_on_every_backend(
    core: StreamCore,
) -> None:
    # The SPEC forbids NUL only in media_path. Whatever passes the model must be storable.
    results = {}
    for field in ("title", "description"):
        try:
            data = MovieCreate(**{"title": f"Nul {field}", "year": 2000, field: "a\x00b"})
        except InvalidInputError as exc:
            results[field] = f"refused: {exc.fields}"
            continue
        results[field] = outcome(lambda data=data: core.movies.create(data, actor=SYSTEM))
    assert results in (
        {"title": "ok", "description": "ok"},
        {"title": "refused: ('title',)", "description": "refused: ('description',)"},
    )


INVALID: list[tuple[str, Any]] = [
    ("title", ""),
    ("title", "   "),
    ("title", "T" * 201),
    ("description", "d" * 5001),
    ("year", 1887),
    ("year", THIS_YEAR + 6),
    ("duration_minutes", 0),
    ("duration_minutes", 1001),
    ("genres", ["sci fi"]),
    ("genres", ["drama!"]),
    ("genres", [f"g{n}" for n in range(11)]),
    ("countries", ["XX"]),
    ("countries", ["USA"]),
    ("countries", COUNTRIES[:21]),
    ("media_path", "/etc/passwd"),
    ("media_path", "../secret.mp4"),
    ("media_path", "films/../../secret.mp4"),
    ("media_path", "films\\alien.mp4"),
    ("media_path", "films/al\x00ien.mp4"),
]


def test_invalid_movies_and_changes_are_refused_naming_the_field_and_change_nothing(
    core: StreamCore,
) -> None:
    movie = core.movies.create(full(), actor=SYSTEM)
    before = snapshot(core)

    def named_fields(call: Callable[[], object]) -> tuple[str, ...] | str:
        try:
            call()
        except InvalidInputError as exc:
            return exc.fields
        return "accepted"

    for field, value in INVALID:
        case = {"title": "Valid", "year": 2000, field: value}
        results = {
            "create": named_fields(
                lambda case=case: core.movies.create(MovieCreate(**case), actor=SYSTEM)
            ),
            "replace": named_fields(
                lambda case=case: core.movies.replace(movie.id, MovieCreate(**case), actor=SYSTEM)
            ),
            "update": named_fields(
                lambda f=field, v=value: core.movies.update(
                    movie.id, MoviePatch(**{f: v}), actor=SYSTEM
                )
            ),
        }
        assert results == dict.fromkeys(results, (field,)), (field, value)

    assert snapshot(core) == before


# --- uniqueness of (title, year) -----------------------------------------------------------


def test_a_second_movie_with_the_same_title_and_year_is_a_conflict(core: StreamCore) -> None:
    core.movies.create(new("Alien", 1979), actor=SYSTEM)
    before = snapshot(core)

    variants = ["Alien", "ALIEN", "alien", "  aLiEn  "]
    results = {
        t: outcome(lambda t=t: core.movies.create(new(t, 1979), actor=SYSTEM)) for t in variants
    }

    assert results == dict.fromkeys(variants, "conflict")
    assert snapshot(core) == before


def test_the_same_title_in_another_year_or_another_title_in_the_same_year_is_allowed(
    core: StreamCore,
) -> None:
    core.movies.create(new("Alien", 1979), actor=SYSTEM)
    core.movies.create(new("Alien", 1980), actor=SYSTEM)
    core.movies.create(new("Aliens", 1979), actor=SYSTEM)

    assert sorted(titles(snapshot(core))) == ["Alien", "Alien", "Aliens"]


def test_a_deleted_movie_does_not_block_a_new_one(core: StreamCore) -> None:
    old = core.movies.create(new(), actor=SYSTEM)
    core.movies.delete(old.id, actor=SYSTEM)

    fresh = core.movies.create(new("ALIEN", 1979), actor=SYSTEM)

    assert fresh.id != old.id
    assert core.movies.get(old.id, include_deleted=True, actor=SYSTEM).deleted_at is not None
    assert [m.id for m in core.movies.list(actor=SYSTEM).items] == [fresh.id]


def test_changing_a_movie_onto_a_taken_title_and_year_is_a_conflict_and_changes_nothing(
    core: StreamCore,
) -> None:
    core.movies.create(new("Alien", 1979), actor=SYSTEM)
    same_title = core.movies.create(new("alien", 1986), actor=SYSTEM).id
    same_year = core.movies.create(new("Other", 1979), actor=SYSTEM).id
    neither = core.movies.create(new("Third", 2000), actor=SYSTEM).id
    before = snapshot(core)

    results = {
        "patch title": outcome(
            lambda: core.movies.update(same_year, MoviePatch(title="ALIEN"), actor=SYSTEM)
        ),
        "patch year": outcome(
            lambda: core.movies.update(same_title, MoviePatch(year=1979), actor=SYSTEM)
        ),
        "patch both": outcome(
            lambda: core.movies.update(neither, MoviePatch(title=" alien", year=1979), actor=SYSTEM)
        ),
        "replace": outcome(lambda: core.movies.replace(neither, new("Alien", 1979), actor=SYSTEM)),
    }

    assert results == dict.fromkeys(results, "conflict")
    assert snapshot(core) == before


def test_a_movie_may_change_the_case_of_its_own_title(core: StreamCore) -> None:
    movie = core.movies.create(new("alien", 1979), actor=SYSTEM)

    assert core.movies.update(movie.id, MoviePatch(title="ALIEN"), actor=SYSTEM).title == "ALIEN"
    assert core.movies.get(movie.id, actor=SYSTEM).title == "ALIEN"
    assert core.movies.replace(movie.id, new("Alien", 1979), actor=SYSTEM).title == "Alien"
    assert core.movies.get(movie.id, actor=SYSTEM).title == "Alien"


def test_a_movie_may_take_the_title_and_year_of_a_deleted_one(core: StreamCore) -> None:
    gone = core.movies.create(new("Alien", 1979), actor=SYSTEM)
    core.movies.delete(gone.id, actor=SYSTEM)
    other = core.movies.create(new("Other", 1979), actor=SYSTEM)

    assert core.movies.update(other.id, MoviePatch(title="Alien"), actor=SYSTEM).title == "Alien"
    assert core.movies.get(other.id, actor=SYSTEM).title == "Alien"


def test_timestamps_are_utc_even_when_the_clock_gives_another_zone(
    core: StreamCore, clock: Any
) -> None:
    # SPEC §3: times are timezone-aware UTC.
    clock.now = clock.now.astimezone(timezone(timedelta(hours=2)))
    movie = core.movies.create(new(), actor=SYSTEM)
    core.movies.update(movie.id, MoviePatch(title="Changed"), actor=SYSTEM)
    core.movies.delete(movie.id, actor=SYSTEM)
    stored = core.movies.get(movie.id, include_deleted=True, actor=SYSTEM)

    stamps = {
        "created (returned)": movie.created_at,
        "created": stored.created_at,
        "updated": stored.updated_at,
        "deleted": stored.deleted_at,
    }
    assert {k: v.isoformat() for k, v in stamps.items() if v is not None} == dict.fromkeys(
        stamps, clock.now.astimezone(UTC).isoformat()
    )


# --- replace (full update) and update (partial) ---------------------------------------------


def test_replace_sets_every_field_and_resets_the_omitted_ones(core: StreamCore, clock: Any) -> None:
    movie = core.movies.create(full(), actor=SYSTEM)
    clock.advance(hours=1)

    replaced = core.movies.replace(movie.id, MovieCreate(title="Alien 2", year=1980), actor=SYSTEM)

    assert replaced.id == movie.id
    assert (replaced.title, replaced.year) == ("Alien 2", 1980)
    assert replaced.description == ""
    assert replaced.duration_minutes is None
    assert replaced.genres == ()
    assert replaced.countries == ()
    assert replaced.media_path is None
    assert replaced.created_at == movie.created_at
    assert replaced.updated_at == clock.now
    assert replaced.deleted_at is None
    assert core.movies.get(movie.id, actor=SYSTEM) == replaced


def test_update_changes_only_the_given_fields(core: StreamCore, clock: Any) -> None:
    movie = core.movies.create(full(), actor=SYSTEM)
    clock.advance(hours=1)

    updated = core.movies.update(
        movie.id, MoviePatch(description="  New text ", genres=["Drama"]), actor=SYSTEM
    )

    assert updated.description == "New text"
    assert updated.genres == ("drama",)
    assert updated.updated_at == clock.now
    unchanged = {"id", "title", "year", "duration_minutes", "countries", "media_path", "created_at"}
    assert updated.model_dump(include=unchanged) == movie.model_dump(include=unchanged)
    assert core.movies.get(movie.id, actor=SYSTEM) == updated


def test_update_with_null_clears_a_nullable_field(core: StreamCore) -> None:
    movie = core.movies.create(full(), actor=SYSTEM)

    core.movies.update(movie.id, MoviePatch(duration_minutes=None), actor=SYSTEM)
    assert core.movies.get(movie.id, actor=SYSTEM).duration_minutes is None
    assert core.movies.get(movie.id, actor=SYSTEM).media_path == "films/alien.mp4"

    core.movies.update(movie.id, MoviePatch(media_path=None), actor=SYSTEM)
    stored = core.movies.get(movie.id, actor=SYSTEM)
    assert (stored.media_path, stored.title, stored.genres) == (None, "Alien", ("sci-fi", "horror"))


def test_an_update_that_changes_nothing_leaves_the_movie_as_it_was(
    core: StreamCore, clock: Any
) -> None:
    movie = core.movies.create(full(), actor=SYSTEM)
    clock.advance(hours=1)

    for patch in (
        MoviePatch(),
        MoviePatch(title=" Alien "),
        MoviePatch(genres=["SCI-FI", "horror"]),
    ):
        assert core.movies.update(movie.id, patch, actor=SYSTEM) == movie, patch
    assert core.movies.replace(movie.id, full(), actor=SYSTEM) == movie
    assert core.movies.get(movie.id, actor=SYSTEM) == movie


# --- soft delete and restore ----------------------------------------------------------------


def test_delete_is_soft(core: StreamCore, clock: Any) -> None:
    movie = core.movies.create(new(), actor=SYSTEM)
    keep = core.movies.create(new("Keep", 2000), actor=SYSTEM)
    clock.advance(days=1)

    assert core.movies.delete(movie.id, actor=SYSTEM) is None

    with pytest.raises(NotFoundError):
        core.movies.get(movie.id, actor=SYSTEM)
    deleted = core.movies.get(movie.id, include_deleted=True, actor=SYSTEM)
    assert deleted.deleted_at == clock.now
    assert deleted.is_deleted
    assert deleted.model_dump(include={"title", "year", "created_at"}) == movie.model_dump(
        include={"title", "year", "created_at"}
    )
    page = core.movies.list(actor=SYSTEM)
    assert ([m.id for m in page.items], page.total) == ([keep.id], 1)


def test_include_deleted_also_returns_a_live_movie(core: StreamCore) -> None:
    movie = core.movies.create(new(), actor=SYSTEM)

    assert core.movies.get(movie.id, include_deleted=True, actor=SYSTEM) == movie


def test_a_deleted_movie_cannot_be_changed_nor_deleted_again(core: StreamCore) -> None:
    movie = core.movies.create(new(), actor=SYSTEM)
    core.movies.delete(movie.id, actor=SYSTEM)
    before = snapshot(core)

    results = {
        "delete again": outcome(lambda: core.movies.delete(movie.id, actor=SYSTEM)),
        "update": outcome(
            lambda: core.movies.update(movie.id, MoviePatch(title="Changed"), actor=SYSTEM)
        ),
        "replace": outcome(
            lambda: core.movies.replace(movie.id, new("Changed", 2000), actor=SYSTEM)
        ),
    }

    assert results == dict.fromkeys(results, "not found")
    assert snapshot(core) == before


def test_restore_brings_a_deleted_movie_back(core: StreamCore, clock: Any) -> None:
    movie = core.movies.create(new(), actor=SYSTEM)
    clock.advance(minutes=1)
    core.movies.delete(movie.id, actor=SYSTEM)
    clock.advance(minutes=1)

    restored = core.movies.restore(movie.id, actor=SYSTEM)

    assert restored.deleted_at is None
    assert restored.updated_at == clock.now
    assert restored.created_at == movie.created_at
    assert core.movies.get(movie.id, actor=SYSTEM) == restored
    assert [m.id for m in core.movies.list(actor=SYSTEM).items] == [movie.id]


def test_restoring_a_live_movie_returns_it_unchanged(core: StreamCore, clock: Any) -> None:
    movie = core.movies.create(new(), actor=SYSTEM)
    clock.advance(minutes=1)

    assert core.movies.restore(movie.id, actor=SYSTEM) == movie
    assert core.movies.get(movie.id, actor=SYSTEM) == movie


def test_restore_is_a_conflict_when_a_live_movie_holds_the_title_and_year(
    core: StreamCore,
) -> None:
    old = core.movies.create(new("Alien", 1979), actor=SYSTEM)
    core.movies.delete(old.id, actor=SYSTEM)
    core.movies.create(new("ALIEN", 1979), actor=SYSTEM)
    before = snapshot(core)

    with pytest.raises(ConflictError):
        core.movies.restore(old.id, actor=SYSTEM)

    assert snapshot(core) == before
    assert core.movies.get(old.id, include_deleted=True, actor=SYSTEM).deleted_at is not None


def test_two_deleted_copies_may_coexist_but_only_one_may_come_back(core: StreamCore) -> None:
    first = core.movies.create(new(), actor=SYSTEM)
    core.movies.delete(first.id, actor=SYSTEM)
    second = core.movies.create(new(), actor=SYSTEM)
    core.movies.delete(second.id, actor=SYSTEM)

    core.movies.restore(second.id, actor=SYSTEM)
    with pytest.raises(ConflictError):
        core.movies.restore(first.id, actor=SYSTEM)

    assert [m.id for m in core.movies.list(actor=SYSTEM).items] == [second.id]


UNKNOWN_IDS = [999, 0, -1, 2**31, 2**63]


def test_an_unknown_id_is_not_found(core: StreamCore) -> None:
    core.movies.create(new(), actor=SYSTEM)
    before = snapshot(core)
    movies = core.movies
    calls: dict[str, Callable[[int], object]] = {
        "get": lambda i: movies.get(i, actor=SYSTEM),
        "get include_deleted": lambda i: movies.get(i, include_deleted=True, actor=SYSTEM),
        "update": lambda i: movies.update(i, MoviePatch(title="X"), actor=SYSTEM),
        "replace": lambda i: movies.replace(i, new("X", 2000), actor=SYSTEM),
        "delete": lambda i: movies.delete(i, actor=SYSTEM),
        "restore": lambda i: movies.restore(i, actor=SYSTEM),
    }

    results = {
        (name, i): outcome(lambda call=call, i=i: call(i))
        for i in UNKNOWN_IDS
        for name, call in calls.items()
    }

    assert results == dict.fromkeys(results, "not found")
    assert snapshot(core) == before


# --- listing ----------------------------------------------------------------------------------

CATALOGUE: list[dict[str, Any]] = [
    {"title": "Alien", "year": 1979, "genres": ["sci-fi", "horror"], "countries": ["GB", "US"]},
    {"title": "Aliens", "year": 1986, "genres": ["sci-fi", "action"], "countries": ["US"]},
    {"title": "blade runner", "year": 1982, "genres": ["sci-fi"], "countries": ["US", "HK"]},
    {"title": "Amélie", "year": 2001, "genres": ["comedy"], "countries": ["FR", "DE"]},
    {"title": "100% Wolf", "year": 2020, "genres": ["animation"], "countries": ["AU"]},
    {"title": "1000 Wolves", "year": 2020, "genres": ["documentary"], "countries": ["CA"]},
    {"title": "snake_case", "year": 2010},
    {"title": "SnakeXcase", "year": 2010},
    {"title": "AC\\DC Live", "year": 1991, "genres": ["music"]},
]


def stock(core: StreamCore) -> dict[str, int]:
    """Create the catalogue; return each title's id."""
    return {m["title"]: core.movies.create(MovieCreate(**m), actor=SYSTEM).id for m in CATALOGUE}


def listed(core: StreamCore, **query: Any) -> tuple[list[str], int]:
    page = core.movies.list(MovieQuery(**query), actor=SYSTEM)
    return titles(page), page.total


def test_q_finds_a_case_insensitive_literal_substring_of_the_title(core: StreamCore) -> None:
    stock(core)
    expected = {
        "alien": ["Alien", "Aliens"],
        "ALIEN": ["Alien", "Aliens"],
        "  lien ": ["Alien", "Aliens"],
        "RUNNER": ["blade runner"],
        "AMÉLIE": ["Amélie"],
        "100%": ["100% Wolf"],
        "%": ["100% Wolf"],
        "e_c": ["snake_case"],
        "_": ["snake_case"],
        "\\": ["AC\\DC Live"],
        "c\\d": ["AC\\DC Live"],
        "zzz": [],
        "": [m["title"] for m in CATALOGUE],
    }

    actual = {q: listed(core, q=q) for q in expected}

    assert actual == {q: (found, len(found)) for q, found in expected.items()}


def test_genre_year_and_country_filters_combine(core: StreamCore) -> None:
    stock(core)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"genre": "sci-fi"}, ["Alien", "Aliens", "blade runner"]),
        ({"genre": "  SCI-FI "}, ["Alien", "Aliens", "blade runner"]),
        ({"genre": "horror"}, ["Alien"]),
        ({"genre": "western"}, []),
        ({"year": 2020}, ["100% Wolf", "1000 Wolves"]),
        ({"year": 1800}, []),
        ({"country": "US"}, ["Alien", "Aliens", "blade runner"]),
        ({"country": "fr"}, ["Amélie"]),
        ({"country": "JP"}, []),
        ({"genre": "sci-fi", "country": "GB"}, ["Alien"]),
        ({"genre": "sci-fi", "year": 1982}, ["blade runner"]),
        ({"q": "alien", "year": 1986, "country": "us", "genre": "action"}, ["Aliens"]),
    ]

    actual = [listed(core, **query) for query, _ in cases]

    assert actual == [(found, len(found)) for _, found in cases]


def test_trashed_chooses_live_all_or_only_deleted_movies(core: StreamCore) -> None:
    ids = stock(core)
    core.movies.delete(ids["Aliens"], actor=SYSTEM)

    actual = {t: listed(core, genre="sci-fi", trashed=t) for t in ("without", "with", "only")}

    assert actual == {
        "without": (["Alien", "blade runner"], 2),
        "with": (["Alien", "Aliens", "blade runner"], 3),
        "only": (["Aliens"], 1),
    }
    assert listed(core, genre="sci-fi") == actual["without"]  # the default


def test_the_default_listing_leaves_deleted_movies_out_of_every_filter(core: StreamCore) -> None:
    ids = stock(core)
    core.movies.delete(ids["Alien"], actor=SYSTEM)

    actual = [listed(core, **q) for q in ({"q": "alien"}, {"genre": "horror"}, {"country": "GB"})]

    assert actual == [(["Aliens"], 1), ([], 0), ([], 0)]


# position | title | year | created (minutes after the start)
SORTABLE = [
    (1, "banana", 2000, 2),
    (2, "Apple", 1990, 0),
    (3, "cherry", 2000, 1),
    (4, "apple", 2005, 1),
    (5, "Date", 1990, 3),
]


def test_sort_orders_by_the_key_and_breaks_ties_by_id(core: StreamCore, clock: Any) -> None:
    start = clock.now
    ids = {}
    for position, title, year, minutes in SORTABLE:
        clock.now = start + timedelta(minutes=minutes)
        ids[position] = core.movies.create(new(title, year), actor=SYSTEM).id
    expected = {
        "id": [1, 2, 3, 4, 5],
        "-id": [5, 4, 3, 2, 1],
        "title": [2, 4, 1, 3, 5],
        "-title": [5, 3, 1, 4, 2],
        "year": [2, 5, 1, 3, 4],
        "-year": [4, 3, 1, 5, 2],
        "created_at": [2, 3, 4, 1, 5],
        "-created_at": [5, 1, 4, 3, 2],
    }

    actual = {
        s: [m.id for m in core.movies.list(MovieQuery(sort=s), actor=SYSTEM).items]
        for s in expected
    }  # type: ignore[arg-type]

    assert actual == {s: [ids[p] for p in order] for s, order in expected.items()}
    assert [m.id for m in core.movies.list(actor=SYSTEM).items] == [ids[p] for p in expected["id"]]


def test_limit_and_offset_page_through_and_total_counts_every_match(core: StreamCore) -> None:
    ids = list(
        core.movies.import_movies(
            [(n + 1, {"title": f"M{n:02d}", "year": 2000}) for n in range(25)], actor=SYSTEM
        )
    )
    cases: dict[tuple[int | None, int | None], list[int]] = {
        (None, None): ids[:20],
        (10, 0): ids[:10],
        (10, 20): ids[20:],
        (1, 24): ids[24:],
        (1, 0): ids[:1],
        (100, 0): ids,
        (10, 25): [],
        (10, 1000): [],
    }

    actual = {}
    for limit, offset in cases:
        given = {k: v for k, v in {"limit": limit, "offset": offset}.items() if v is not None}
        page = core.movies.list(MovieQuery(**given), actor=SYSTEM)
        actual[limit, offset] = ([m.id for m in page.items], page.total, page.limit, page.offset)

    assert actual == {
        (limit, offset): (found, 25, limit or 20, offset or 0)
        for (limit, offset), found in cases.items()
    }


def test_total_counts_the_filtered_matches_not_the_page(core: StreamCore) -> None:
    core.movies.import_movies(
        [(n + 1, {"title": f"M{n}", "year": 2000 + n % 2}) for n in range(12)], actor=SYSTEM
    )

    page = core.movies.list(MovieQuery(year=2001, limit=2, offset=1), actor=SYSTEM)

    assert len(page.items) == 2
    assert page.total == 6
    assert all(m.year == 2001 for m in page.items)


def test_an_empty_catalogue_lists_nothing(core: StreamCore) -> None:
    page = core.movies.list(actor=SYSTEM)

    assert (page.items, page.total, page.limit, page.offset) == ((), 0, 20, 0)


def test_an_out_of_range_number_in_a_query_is_refused_or_matches_nothing(
    core: StreamCore,
) -> None:
    core.movies.create(new(), actor=SYSTEM)
    results = {}
    for field, value in [("offset", 2**31), ("offset", 2**63), ("year", 2**31), ("year", 2**63)]:
        try:
            page = core.movies.list(MovieQuery(**{field: value}), actor=SYSTEM)
        except InvalidInputError as exc:  # refusing the query up front is fine too
            results[field, value] = exc.fields
        except Exception as exc:  # never a raw driver error nor a StorageError
            results[field, value] = f"{type(exc).__name__}: {exc}"
        else:
            results[field, value] = (field,) if page.items == () else page.items
    assert results == {key: (key[0],) for key in results}


# --- bulk import ------------------------------------------------------------------------------


def rows_of(*movies: dict[str, Any], first_line: int = 2) -> list[tuple[int, dict[str, Any]]]:
    return [(first_line + n, m) for n, m in enumerate(movies)]


def test_import_adds_every_row_in_order_and_returns_the_ids(core: StreamCore, clock: Any) -> None:
    ids = core.movies.import_movies(
        rows_of(
            {"title": " Alien ", "year": "1979", "genres": ["Sci-Fi"], "countries": ["gb"]},
            {"title": "Aliens", "year": 1986, "duration_minutes": "137"},
            {"title": "Heat", "year": 1995, "media_path": "films/heat.mkv"},
        ),
        actor=SYSTEM,
    )

    movies = [core.movies.get(i, actor=SYSTEM) for i in ids]
    assert [m.title for m in movies] == ["Alien", "Aliens", "Heat"]
    assert (movies[0].year, movies[0].genres, movies[0].countries) == (1979, ("sci-fi",), ("GB",))
    assert movies[1].duration_minutes == 137
    assert movies[2].media_path == "films/heat.mkv"
    assert all(m.created_at == clock.now for m in movies)
    assert [m.id for m in core.movies.list(actor=SYSTEM).items] == list(ids)


def test_importing_no_rows_adds_nothing(core: StreamCore) -> None:
    assert list(core.movies.import_movies([], actor=SYSTEM)) == []
    assert snapshot(core).total == 0


def test_import_is_all_or_nothing_and_names_the_line_of_the_bad_row(core: StreamCore) -> None:
    core.movies.create(new("Existing", 2000), actor=SYSTEM)
    before = snapshot(core)
    good = [{"title": f"Good {n}", "year": 2000} for n in range(10)]
    bad_rows: list[tuple[dict[str, Any], str]] = [
        ({"title": "Bad", "year": 1700}, "year"),
        ({"title": "", "year": 2000}, "title"),
        ({"year": 2000}, "title"),
        ({"title": "Bad", "year": 2000, "countries": ["XX"]}, "countries"),
        ({"title": "Bad", "year": 2000, "rating": 5}, "rating"),
    ]

    for bad, field in bad_rows:
        with pytest.raises(InvalidInputError) as caught:
            core.movies.import_movies(
                rows_of(*good[:5], bad, *good[5:]), actor=SYSTEM
            )  # bad is on line 7
        assert "line 7" in str(caught.value), bad
        assert field in caught.value.fields, bad

    assert snapshot(core) == before


def test_a_duplicate_within_the_file_is_a_conflict_naming_its_line(core: StreamCore) -> None:
    rows = rows_of(
        {"title": "Alien", "year": 1979},
        {"title": "Heat", "year": 1995},
        {"title": "ALIEN ", "year": 1979},
    )

    with pytest.raises(ConflictError) as caught:
        core.movies.import_movies(rows, actor=SYSTEM)

    assert "line 4" in str(caught.value)
    assert "line 2" in str(caught.value)  # the row it repeats
    assert snapshot(core).total == 0


def test_a_duplicate_of_a_stored_movie_is_a_conflict_naming_its_line(core: StreamCore) -> None:
    core.movies.create(new("Heat", 1995), actor=SYSTEM)
    before = snapshot(core)

    with pytest.raises(ConflictError) as caught:
        core.movies.import_movies(
            rows_of({"title": "Alien", "year": 1979}, {"title": "heat", "year": 1995}), actor=SYSTEM
        )

    assert "line 3" in str(caught.value)
    assert snapshot(core) == before


@pytest.mark.parametrize(
    "later",
    [{"title": "Bad", "year": 1700}, {"title": "alien", "year": 1979}],
    ids=["an invalid row", "a repeated row"],
)
def test_the_error_names_the_first_bad_row_even_when_a_later_row_is_bad_otherwise(
    core: StreamCore, later: dict[str, Any]
) -> None:
    # SPEC §3.2: the import names "the file's line number of the first bad row". Line 3
    # repeats a stored movie; line 5 is bad in another way and comes later.
    core.movies.create(new("Heat", 1995), actor=SYSTEM)
    before = snapshot(core)
    rows = rows_of(
        {"title": "Alien", "year": 1979},
        {"title": "Heat", "year": 1995},
        {"title": "Ran", "year": 1985},
        later,
    )

    with pytest.raises((ConflictError, InvalidInputError)) as caught:
        core.movies.import_movies(rows, actor=SYSTEM)

    assert str(caught.value).startswith("line 3"), str(caught.value)
    assert snapshot(core) == before


def test_a_duplicate_of_a_stored_movie_far_into_a_large_file_names_its_line(
    core: StreamCore,
) -> None:
    core.movies.create(new("Movie 0550", 2000), actor=SYSTEM)
    before = snapshot(core)
    rows = [(n + 2, {"title": f"Movie {n:04d}", "year": 2000}) for n in range(600)]

    with pytest.raises(ConflictError) as caught:
        core.movies.import_movies(rows, actor=SYSTEM)

    assert "line 552" in str(caught.value)
    assert snapshot(core) == before


def test_an_import_may_repeat_a_deleted_movies_title_and_year(core: StreamCore) -> None:
    gone = core.movies.create(new("Heat", 1995), actor=SYSTEM)
    core.movies.delete(gone.id, actor=SYSTEM)

    (new_id,) = core.movies.import_movies(rows_of({"title": "Heat", "year": 1995}), actor=SYSTEM)

    assert new_id != gone.id
    assert [m.id for m in core.movies.list(actor=SYSTEM).items] == [new_id]
