"""Movie events on every backend (SPEC §3.4).

Each committed change sends exactly one typed, frozen event on its signal, only after the
commit; a refused or rolled-back write sends nothing; a failing receiver is logged and neither
fails the write nor stops the other receivers; ``sender=core`` scopes a receiver to one core.
Every receiver connected here is disconnected when its test ends.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from blinker import ANY, NamedSignal

from streamcore import (
    ConflictError,
    InvalidInputError,
    MovieCreate,
    MoviePatch,
    NotFoundError,
    StreamCore,
)
from streamcore.auth.permissions import SYSTEM
from streamcore.events import (
    Event,
    MovieCreated,
    MovieDeleted,
    MovieRestored,
    MovieUpdated,
    movie_created,
    movie_deleted,
    movie_restored,
    movie_updated,
)

MOVIE_SIGNALS = (movie_created, movie_updated, movie_deleted, movie_restored)
Heard = list[tuple[str, object, Event]]


@contextmanager
def listening(*signals: NamedSignal, sender: object = ANY) -> Iterator[Heard]:
    """Record ``(signal name, sender, event)`` for every send on ``signals`` while open."""
    heard: Heard = []
    with ExitStack() as stack:
        for signal in signals or MOVIE_SIGNALS:

            def receiver(sender: object, *, event: Event, name: str = signal.name) -> None:
                heard.append((name, sender, event))

            stack.enter_context(signal.connected_to(receiver, sender=sender))
        yield heard


def alien(**fields: Any) -> MovieCreate:
    return MovieCreate(**{"title": "Alien", "year": 1979} | fields)


# --- one event per committed change ---------------------------------------------------------


def test_create_sends_one_movie_created(core: StreamCore, clock: Any) -> None:
    with listening() as heard:
        movie = core.movies.create(alien(genres=["Sci-Fi", "horror"]), actor=SYSTEM)

    assert heard == [
        (
            "movie_created",
            core,
            MovieCreated(
                occurred_at=clock.now,
                movie_id=movie.id,
                title="Alien",
                year=1979,
                genres=("sci-fi", "horror"),
            ),
        )
    ]


def test_an_update_sends_one_movie_updated_naming_the_changed_fields(
    core: StreamCore, clock: Any
) -> None:
    movie = core.movies.create(alien(duration_minutes=117), actor=SYSTEM)
    changes: list[tuple[Callable[[], object], set[str]]] = [
        (lambda: core.movies.update(movie.id, MoviePatch(title="Alien³"), actor=SYSTEM), {"title"}),
        (
            lambda: core.movies.update(
                movie.id, MoviePatch(year=1980, duration_minutes=None), actor=SYSTEM
            ),
            {"year", "duration_minutes"},
        ),
        (
            lambda: core.movies.replace(
                movie.id, alien(title="Alien³", year=1980, countries=["US"]), actor=SYSTEM
            ),
            {"countries"},
        ),
    ]

    for change, changed in changes:
        clock.advance(minutes=5)
        with listening() as heard:
            change()

        ((name, sender, event),) = heard
        assert (name, sender) == ("movie_updated", core)
        assert isinstance(event, MovieUpdated)
        assert (event.movie_id, event.occurred_at) == (movie.id, clock.now)
        assert isinstance(event.changed, tuple)
        assert sorted(event.changed) == sorted(changed)


def test_delete_and_restore_send_one_event_each(core: StreamCore, clock: Any) -> None:
    movie = core.movies.create(alien(), actor=SYSTEM)

    with listening() as heard:
        clock.advance(minutes=1)
        core.movies.delete(movie.id, actor=SYSTEM)
        deleted_at = clock.now
        clock.advance(minutes=1)
        core.movies.restore(movie.id, actor=SYSTEM)

    assert heard == [
        ("movie_deleted", core, MovieDeleted(occurred_at=deleted_at, movie_id=movie.id)),
        ("movie_restored", core, MovieRestored(occurred_at=clock.now, movie_id=movie.id)),
    ]


def test_an_import_sends_one_movie_created_per_row_in_row_order(
    core: StreamCore, clock: Any
) -> None:
    rows = [
        (n + 2, {"title": f"Movie {n}", "year": 2000 + n, "genres": ["drama"]}) for n in range(4)
    ]

    with listening() as heard:
        ids = core.movies.import_movies(rows, actor=SYSTEM)

    assert heard == [
        (
            "movie_created",
            core,
            MovieCreated(
                occurred_at=clock.now,
                movie_id=movie_id,
                title=f"Movie {n}",
                year=2000 + n,
                genres=("drama",),
            ),
        )
        for n, movie_id in enumerate(ids)
    ]


@pytest.mark.parametrize(
    "event",
    [
        MovieCreated(occurred_at=None, movie_id=1, title="A", year=2000),  # type: ignore[arg-type]
        MovieUpdated(occurred_at=None, movie_id=1, changed=("title",)),  # type: ignore[arg-type]
        MovieDeleted(occurred_at=None, movie_id=1),  # type: ignore[arg-type]
        MovieRestored(occurred_at=None, movie_id=1),  # type: ignore[arg-type]
    ],
    ids=lambda e: type(e).__name__,
)
def test_events_are_frozen(event: Event) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.movie_id = 2  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.occurred_at = None  # type: ignore[misc]
    assert event.movie_id == 1  # type: ignore[attr-defined]


def test_an_event_sent_to_a_receiver_cannot_be_changed_by_it(core: StreamCore) -> None:
    failures: list[type[BaseException]] = []

    def tamper(sender: object, *, event: Event) -> None:
        try:
            event.title = "Tampered"  # type: ignore[attr-defined]
        except dataclasses.FrozenInstanceError as exc:
            failures.append(type(exc))

    with listening() as heard, movie_created.connected_to(tamper):
        core.movies.create(alien(), actor=SYSTEM)

    assert failures == [dataclasses.FrozenInstanceError]
    assert heard[0][2].title == "Alien"  # type: ignore[attr-defined]


# --- nothing for a write that did not happen -------------------------------------------------

REFUSED: dict[str, tuple[type[Exception], Callable[[StreamCore, int, int], object]]] = {
    "duplicate create": (
        ConflictError,
        lambda core, live, gone: core.movies.create(alien(), actor=SYSTEM),
    ),
    "update unknown": (
        NotFoundError,
        lambda core, live, gone: core.movies.update(999, MoviePatch(title="X"), actor=SYSTEM),
    ),
    "update deleted": (
        NotFoundError,
        lambda core, live, gone: core.movies.update(gone, MoviePatch(title="X"), actor=SYSTEM),
    ),
    "update onto a taken title": (
        ConflictError,
        lambda core, live, gone: core.movies.update(
            core.movies.list(actor=SYSTEM).items[-1].id, MoviePatch(title="ALIEN"), actor=SYSTEM
        ),
    ),
    "replace unknown": (
        NotFoundError,
        lambda core, live, gone: core.movies.replace(999, alien(year=2000), actor=SYSTEM),
    ),
    "invalid patch": (
        InvalidInputError,
        lambda core, live, gone: core.movies.update(live, MoviePatch(year=1700), actor=SYSTEM),
    ),
    "delete unknown": (
        NotFoundError,
        lambda core, live, gone: core.movies.delete(999, actor=SYSTEM),
    ),
    "delete twice": (
        NotFoundError,
        lambda core, live, gone: core.movies.delete(gone, actor=SYSTEM),
    ),
    "restore unknown": (
        NotFoundError,
        lambda core, live, gone: core.movies.restore(999, actor=SYSTEM),
    ),
    "restore onto a taken title": (
        ConflictError,
        lambda core, live, gone: core.movies.restore(gone, actor=SYSTEM),
    ),
    "import with a bad row": (
        InvalidInputError,
        lambda core, live, gone: core.movies.import_movies(
            [(2, {"title": "Fine", "year": 2000}), (3, {"title": "Bad", "year": 1700})],
            actor=SYSTEM,
        ),
    ),
    "import with a duplicate": (
        ConflictError,
        lambda core, live, gone: core.movies.import_movies(
            [(2, {"title": "Fine", "year": 2000}), (3, {"title": "alien", "year": 1979})],
            actor=SYSTEM,
        ),
    ),
}


def test_a_refused_write_sends_nothing(core: StreamCore) -> None:
    gone = core.movies.create(alien(), actor=SYSTEM)
    core.movies.delete(gone.id, actor=SYSTEM)
    live = core.movies.create(alien(), actor=SYSTEM)
    core.movies.create(alien(title="Other"), actor=SYSTEM)

    results = {}
    with listening() as heard:
        for name, (error, write) in REFUSED.items():
            before = len(heard)
            with pytest.raises(error):
                write(core, live.id, gone.id)
            results[name] = heard[before:]

    assert results == {name: [] for name in REFUSED}


def test_a_write_that_changes_nothing_sends_nothing(core: StreamCore) -> None:
    movie = core.movies.create(alien(genres=["drama"]), actor=SYSTEM)

    with listening() as heard:
        core.movies.update(movie.id, MoviePatch(), actor=SYSTEM)
        core.movies.update(movie.id, MoviePatch(title=" Alien ", genres=["DRAMA"]), actor=SYSTEM)
        core.movies.replace(movie.id, alien(genres=["drama"]), actor=SYSTEM)
        core.movies.restore(movie.id, actor=SYSTEM)  # not deleted: nothing to restore

    assert heard == []


# --- sent after the commit ---------------------------------------------------------------------


def test_a_receiver_reads_each_change_back_through_the_service(core: StreamCore) -> None:
    seen: list[tuple[str, object]] = []

    def read_back(sender: object, *, event: Any) -> None:
        movies = core.movies
        stored = movies.get(event.movie_id, include_deleted=True, actor=SYSTEM)
        seen.append((type(event).__name__, (stored.title, stored.is_deleted)))
        if isinstance(event, MovieDeleted):
            try:
                movies.get(event.movie_id, actor=SYSTEM)
            except NotFoundError:
                seen.append(("hidden", event.movie_id))

    with ExitStack() as stack:
        for signal in MOVIE_SIGNALS:
            stack.enter_context(signal.connected_to(read_back))
        movie = core.movies.create(alien(), actor=SYSTEM)
        core.movies.update(movie.id, MoviePatch(title="Alien³"), actor=SYSTEM)
        core.movies.delete(movie.id, actor=SYSTEM)
        core.movies.restore(movie.id, actor=SYSTEM)

    assert seen == [
        ("MovieCreated", ("Alien", False)),
        ("MovieUpdated", ("Alien³", False)),
        ("MovieDeleted", ("Alien³", True)),
        ("hidden", movie.id),
        ("MovieRestored", ("Alien³", False)),
    ]


def test_a_receiver_may_write_through_the_service(core: StreamCore) -> None:
    def describe(sender: object, *, event: MovieCreated) -> None:
        core.movies.update(
            event.movie_id, MoviePatch(description=f"Added: {event.title}"), actor=SYSTEM
        )

    with listening(movie_updated) as heard, movie_created.connected_to(describe):
        movie = core.movies.create(alien(), actor=SYSTEM)

    assert core.movies.get(movie.id, actor=SYSTEM).description == "Added: Alien"
    assert [(name, e.movie_id) for name, _, e in heard] == [("movie_updated", movie.id)]  # type: ignore[attr-defined]


# --- failing receivers ---------------------------------------------------------------------


def test_a_failing_receiver_is_logged_and_neither_fails_the_write_nor_stops_the_others(
    core: StreamCore, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def broken(sender: object, *, event: Event) -> None:
        calls.append("broken")
        raise RuntimeError("listener bug")

    def also_broken(sender: object, *, event: Event) -> None:
        calls.append("also broken")
        raise KeyError("another")

    def working(sender: object, *, event: Event) -> None:
        calls.append("working")

    caplog.set_level(logging.DEBUG, logger="streamcore.events")  # DEBUG: with the traceback
    with ExitStack() as stack:
        for receiver in (broken, working, also_broken):
            stack.enter_context(movie_created.connected_to(receiver))
        movie = core.movies.create(alien(), actor=SYSTEM)

    assert sorted(calls) == ["also broken", "broken", "working"]
    assert core.movies.get(movie.id, actor=SYSTEM).title == "Alien"
    records = [r for r in caplog.records if r.name == "streamcore.events"]
    assert len(records) == 2
    assert all(r.levelno == logging.ERROR and r.exc_info for r in records)
    assert {type(r.exc_info[1]) for r in records if r.exc_info} == {RuntimeError, KeyError}
    assert all("movie_created" in r.getMessage() for r in records)


def test_a_failing_receiver_does_not_stop_later_events_of_the_same_write(
    core: StreamCore, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: object, *, event: Event) -> None:
        raise RuntimeError("listener bug")

    caplog.set_level(logging.ERROR, logger="streamcore.events")
    rows = [(n + 2, {"title": f"Movie {n}", "year": 2000}) for n in range(3)]
    with listening(movie_created) as heard, movie_created.connected_to(broken):
        ids = core.movies.import_movies(rows, actor=SYSTEM)

    assert [e.movie_id for _, _, e in heard] == list(ids)  # type: ignore[attr-defined]
    assert core.movies.list(actor=SYSTEM).total == 3
    assert len([r for r in caplog.records if r.name == "streamcore.events"]) == 3


# --- scoped to one core ---------------------------------------------------------------------


def test_a_receiver_connected_with_sender_core_hears_only_that_core(core: StreamCore) -> None:
    with StreamCore.open("memory://") as other:
        with listening(sender=core) as mine, listening(sender=other) as theirs, listening() as all_:
            core.movies.create(alien(), actor=SYSTEM)
            elsewhere = other.movies.create(alien(title="Elsewhere"), actor=SYSTEM)
            other.movies.delete(elsewhere.id, actor=SYSTEM)

        assert [(n, s) for n, s, _ in mine] == [("movie_created", core)]
        assert [(n, s) for n, s, _ in theirs] == [
            ("movie_created", other),
            ("movie_deleted", other),
        ]
        assert [s for _, s, _ in all_] == [core, other, other]
        assert mine[0][2].title == "Alien"  # type: ignore[attr-defined]
        assert theirs[0][2].title == "Elsewhere"  # type: ignore[attr-defined]


def test_receivers_are_gone_once_disconnected(core: StreamCore) -> None:
    with listening() as heard:
        core.movies.create(alien(), actor=SYSTEM)
    core.movies.create(alien(title="Later"), actor=SYSTEM)

    assert [e.title for _, _, e in heard] == ["Alien"]  # type: ignore[attr-defined]
