"""The read path returns exactly the models the rest of the core returns, on every backend.

``movies.get`` and ``auth.authenticate`` decode their rows on a path of their own (on SQL,
straight from the driver: storage/sql/link.py). These tests hold them to the models that
``create``, ``update``, ``login`` and the listings return (the listings still go through
SQLAlchemy's own result handling): every field, its Python type, empty and null fields, genres
and countries in their order, timestamps in UTC to the microsecond.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streamcore import MovieCreate, MovieQuery, StreamCore
from streamcore.auth.errors import InvalidTokenError
from streamcore.auth.models import Credentials, User, UserCreate, UserPatch, UserQuery
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.movies.errors import MovieNotFoundError
from streamcore.movies.models import Movie, MoviePatch
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
SHAPES = {
    "only the required fields": MovieCreate(title="Ran", year=1985),
    "every field": MovieCreate(
        title="Le Samouraï",
        description="A hired killer.\nTwo lines, 'quotes' and \"more\".",
        year=1967,
        duration_minutes=105,
        genres=["crime", "neo-noir", "drama"],
        countries=["fr", "IT"],
        media_path="films/le-samourai/main.mp4",
    ),
    "unicode and the longest values": MovieCreate(
        title="🎬 " + "ж" * 198,
        description="é" * 5000,
        year=2030,
        duration_minutes=1000,
        genres=[f"g{i}" for i in range(10)],
        countries=["JP", "KR", "IN", "BR", "DE", "US", "GB", "ES", "SE", "NO"],
        media_path="a/" + "b" * 1000,
    ),
}


def assert_same_movie(got: Movie, expected: Movie) -> None:
    """Equal as models, as JSON, and field by field with the same Python types."""
    assert got == expected
    assert got.model_dump_json() == expected.model_dump_json()
    for name in Movie.model_fields:
        assert type(getattr(got, name)) is type(getattr(expected, name)), name
    assert isinstance(got.genres, tuple)
    assert all(type(g) is str for g in (*got.genres, *got.countries))
    for stamp in (got.created_at, got.updated_at, got.deleted_at):
        assert stamp is None or stamp.tzinfo is UTC


def listed(core: StreamCore, movie_id: int) -> Movie:
    """The movie as the catalogue listing builds it."""
    items = core.movies.list(MovieQuery(trashed="with", limit=100), actor=SYSTEM).items
    (movie,) = [m for m in items if m.id == movie_id]
    return movie


@pytest.mark.parametrize("shape", list(SHAPES))
def test_get_returns_the_movie_as_created_and_as_listed(
    core: StreamCore, clock: FakeClock, shape: str
) -> None:
    clock.advance(microseconds=123457)  # sub-second precision survives the round trip
    created = core.movies.create(SHAPES[shape], actor=SYSTEM)

    got = core.movies.get(created.id, actor=SYSTEM)

    assert_same_movie(got, created)
    assert_same_movie(got, listed(core, created.id))
    assert got.created_at == datetime(2026, 1, 15, 12, 0, 0, 123457, tzinfo=UTC)


def test_empty_and_null_fields_read_back_empty_and_null(core: StreamCore) -> None:
    created = core.movies.create(SHAPES["only the required fields"], actor=SYSTEM)

    got = core.movies.get(created.id, actor=SYSTEM)

    assert (got.description, got.genres, got.countries) == ("", (), ())
    assert (got.duration_minutes, got.media_path, got.deleted_at) == (None, None, None)


def test_an_update_that_clears_fields_reads_back_as_returned(
    core: StreamCore, clock: FakeClock
) -> None:
    movie = core.movies.create(SHAPES["every field"], actor=SYSTEM)
    clock.advance(seconds=5, microseconds=1)
    patch = MoviePatch(genres=["war"], countries=[], duration_minutes=None, media_path=None)

    updated = core.movies.update(movie.id, patch, actor=SYSTEM)

    got = core.movies.get(movie.id, actor=SYSTEM)
    assert_same_movie(got, updated)
    assert (got.genres, got.countries, got.duration_minutes) == (("war",), (), None)
    assert got.updated_at == clock.now != got.created_at


def test_a_deleted_movie_reads_back_with_its_deletion_time(
    core: StreamCore, clock: FakeClock
) -> None:
    movie = core.movies.create(SHAPES["every field"], actor=SYSTEM)
    clock.advance(minutes=1, microseconds=999999)
    core.movies.delete(movie.id, actor=SYSTEM)

    with pytest.raises(MovieNotFoundError):
        core.movies.get(movie.id, actor=SYSTEM)
    got = core.movies.get(movie.id, include_deleted=True, actor=SYSTEM)

    assert got.deleted_at == got.updated_at == clock.now
    assert_same_movie(got, listed(core, movie.id))
    assert_same_movie(
        got, movie.model_copy(update={"deleted_at": clock.now, "updated_at": clock.now})
    )


def assert_same_user(got: User, expected: User) -> None:
    """Equal as models, as JSON, and field by field with the same Python types."""
    assert got == expected
    assert got.model_dump_json() == expected.model_dump_json()
    for name in User.model_fields:
        assert type(getattr(got, name)) is type(getattr(expected, name)), name
    assert type(got.role) is Role
    assert type(got.is_active) is bool
    assert type(got.notify_new_movies) is bool
    assert got.created_at.tzinfo is UTC
    assert got.updated_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("role", "notify"), [(Role.SUBSCRIBER, True), (Role.EDITOR, False), (Role.ADMIN, True)]
)
def test_authenticate_returns_the_user_as_logged_in_and_as_read(
    core: StreamCore, clock: FakeClock, role: Role, notify: bool
) -> None:
    clock.advance(microseconds=654321)
    email = f"{role.value}@example.org"
    made = core.auth.create_user(
        UserCreate(
            email=email, password=PASSWORD, name="Zoë O'Brien", role=role, notify_new_movies=notify
        ),
        actor=SYSTEM,
    )
    login = core.auth.login(Credentials(email=email, password=PASSWORD))

    got = core.auth.authenticate(login.access_token)

    assert_same_user(got, made)
    assert_same_user(got, login.user)
    assert_same_user(got, core.auth.get_user(made.id, actor=SYSTEM))
    (as_listed,) = core.auth.list_users(UserQuery(q=email), actor=SYSTEM).items
    assert_same_user(got, as_listed)
    assert (got.role, got.notify_new_movies, got.deleted_at) == (role, notify, None)


def test_authenticate_reads_a_changed_user_as_changed(core: StreamCore, clock: FakeClock) -> None:
    email = "ann@example.org"
    core.auth.create_user(UserCreate(email=email, password=PASSWORD, name="Ann"), actor=SYSTEM)
    token = core.auth.login(Credentials(email=email, password=PASSWORD)).access_token
    user = core.auth.authenticate(token)
    clock.advance(seconds=1, microseconds=5)

    changed = core.auth.update_user(
        user.id, UserPatch(name="Ann B", notify_new_movies=False), actor=SYSTEM
    )

    assert_same_user(core.auth.authenticate(token), changed)
    core.auth.update_user(user.id, UserPatch(is_active=False), actor=SYSTEM)
    with pytest.raises(InvalidTokenError):
        core.auth.authenticate(token)
