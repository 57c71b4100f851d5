"""The memory and SQLite units of work, used directly through ``core.storage.unit_of_work()``.

A write commits whole or leaves nothing behind (SPEC §2), and the events collected on a unit of
work go out only once it has committed and closed (SPEC §3.4).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamcore import ConflictError, MovieCreate, MovieQuery, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.events import Event, MovieCreated, movie_created

EVERYTHING = MovieQuery(trashed="with", limit=100)


class BoomError(Exception):
    """Raised on purpose inside a unit of work."""


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, clock: Any, tmp_path: Path) -> Iterator[StreamCore]:
    """A core on the memory backend and on a new SQLite file."""
    url = "memory://" if request.param == "memory" else request.getfixturevalue("sqlite_url")
    with StreamCore.open(Settings(database_url=url, media_root=tmp_path), clock=clock) as core:
        yield core


@pytest.fixture
def heard() -> Iterator[list[Event]]:
    """Every ``movie_created`` event sent while the test runs."""
    events: list[Event] = []

    def receiver(sender: object, *, event: Event) -> None:
        events.append(event)

    with movie_created.connected_to(receiver):
        yield events


def alien(title: str = "Alien") -> MovieCreate:
    return MovieCreate(title=title, year=1979)


def created(movie_id: int, clock: Any) -> MovieCreated:
    return MovieCreated(occurred_at=clock.now, movie_id=movie_id, title="Alien", year=1979)


def stored_ids(core: StreamCore) -> list[int]:
    """The ids a fresh read-only unit of work sees, cross-checked with the service."""
    with core.storage.unit_of_work(readonly=True) as uow:
        movies, total = uow.movies.list(EVERYTHING)
    ids = [m.id for m in movies]
    assert total == len(ids)
    assert [m.id for m in core.movies.list(EVERYTHING, actor=SYSTEM).items] == ids
    return ids


def test_commit_makes_the_changes_visible(store: StreamCore, clock: Any) -> None:
    with store.storage.unit_of_work() as uow:
        first = uow.movies.add(alien(), clock.now)
        (second,) = uow.movies.add_many([alien("Heat")], clock.now)
        uow.commit()

    assert stored_ids(store) == [first.id, second]
    assert store.movies.get(first.id, actor=SYSTEM) == first
    with store.storage.unit_of_work(readonly=True) as uow:
        assert uow.movies.get(second).title == "Heat"  # type: ignore[union-attr]


def test_an_exception_inside_the_block_leaves_nothing_behind(store: StreamCore, clock: Any) -> None:
    kept = store.movies.create(alien("Kept"), actor=SYSTEM)

    def write_then_fail() -> None:
        with store.storage.unit_of_work() as uow:
            added = uow.movies.add(alien(), clock.now)
            uow.movies.save(kept.model_copy(update={"title": "Changed"}))
            assert uow.movies.get(added.id) is not None  # visible inside the transaction
            raise BoomError

    with pytest.raises(BoomError):
        write_then_fail()

    assert stored_ids(store) == [kept.id]
    assert store.movies.get(kept.id, actor=SYSTEM) == kept


def test_leaving_the_block_without_commit_leaves_nothing_behind(
    store: StreamCore, clock: Any
) -> None:
    with store.storage.unit_of_work() as uow:
        uow.movies.add(alien(), clock.now)

    assert stored_ids(store) == []


def test_a_conflict_inside_the_block_undoes_the_earlier_writes_too(
    store: StreamCore, clock: Any
) -> None:
    def add_a_duplicate() -> None:
        with store.storage.unit_of_work() as uow:
            uow.movies.add(alien("Heat"), clock.now)
            uow.movies.add(alien(), clock.now)
            uow.movies.add(alien("ALIEN"), clock.now)  # the repository guards uniqueness itself
            uow.commit()

    with pytest.raises(ConflictError):
        add_a_duplicate()

    assert stored_ids(store) == []


def test_uncommitted_changes_are_invisible_to_other_units_of_work(
    store: StreamCore, clock: Any
) -> None:
    with store.storage.unit_of_work() as uow:
        movie = uow.movies.add(alien(), clock.now)
        with store.storage.unit_of_work(readonly=True) as reader:
            assert reader.movies.get(movie.id) is None
        uow.commit()

    assert stored_ids(store) == [movie.id]


def test_events_go_out_once_after_the_commit_and_the_block_close(
    store: StreamCore, clock: Any, heard: list[Event]
) -> None:
    with store.storage.unit_of_work() as uow:
        movie = uow.movies.add(alien(), clock.now)
        uow.collect(created(movie.id, clock))
        uow.commit()
        assert heard == []  # committed, but the block is still open

    assert heard == [created(movie.id, clock)]


@pytest.mark.parametrize("how", ["exception", "no commit"])
def test_collected_events_are_dropped_when_the_unit_of_work_rolls_back(
    store: StreamCore, clock: Any, heard: list[Event], how: str
) -> None:
    def collect_without_commit(fail: bool) -> None:
        with store.storage.unit_of_work() as uow:
            movie = uow.movies.add(alien(), clock.now)
            uow.collect(created(movie.id, clock))
            if fail:
                raise BoomError

    if how == "exception":
        with pytest.raises(BoomError):
            collect_without_commit(fail=True)
    else:
        collect_without_commit(fail=False)

    assert heard == []
    assert stored_ids(store) == []

    # The dropped events do not leak into the next unit of work either.
    with store.storage.unit_of_work() as uow:
        uow.movies.add(alien("Heat"), clock.now)
        uow.commit()
    assert heard == []


def test_a_change_committed_before_an_exception_stays_and_its_events_go_out(
    store: StreamCore, clock: Any, heard: list[Event]
) -> None:
    ids: list[int] = []

    def commit_then_fail() -> None:
        with store.storage.unit_of_work() as uow:
            movie = uow.movies.add(alien(), clock.now)
            ids.append(movie.id)
            uow.collect(created(movie.id, clock))
            uow.commit()
            raise BoomError

    with pytest.raises(BoomError):
        commit_then_fail()

    assert stored_ids(store) == ids
    assert heard == [created(ids[0], clock)]
