"""The units of work of every backend, used directly through ``core.storage.unit_of_work()``.

A write commits whole or leaves nothing behind (SPEC §2), the events collected on a unit of
work go out only once it has committed and closed (SPEC §3.4), and a read-only unit of work
cannot write: every write method of every repository is refused with ``StorageError``, and
nothing it tried is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streamcore import ConflictError, MovieCreate, MovieQuery, StorageError, StreamCore
from streamcore.auth.models import UserCreate, UserQuery
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.events import Event, MovieCreated, movie_created
from streamcore.subscriptions.models import PlanCreate, PlanQuery

EVERYTHING = MovieQuery(trashed="with", limit=100)


class BoomError(Exception):
    """Raised on purpose inside a unit of work."""


@pytest.fixture
def store(database_url: str, clock: Any, tmp_path: Path) -> Iterator[StreamCore]:
    """A core on each backend: memory, a new SQLite file, PostgreSQL."""
    settings = Settings(database_url=database_url, media_root=tmp_path)
    with StreamCore.open(settings, clock=clock) as core:
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


# --- read-only units of work ------------------------------------------------------------------

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PLAN = PlanCreate(name="Basic", price="9.99", currency="EUR", period="month")
USER = UserCreate(email="ann@example.org", password="correct horse battery", name="Ann")
WRITES: dict[str, Callable[[Any], object]] = {
    "movies.add": lambda uow: uow.movies.add(alien(), NOW),
    "movies.add_many": lambda uow: uow.movies.add_many([alien("Heat")], NOW),
    "movies.save": lambda uow: uow.movies.save(uow.movies.get(1).model_copy(update={"year": 1})),
    "users.add": lambda uow: uow.users.add(USER, "hash", NOW),
    "users.set_password_hash": lambda uow: uow.users.set_password_hash(1, "other"),
    "tokens.add": lambda uow: uow.tokens.add("d" * 64, 1, NOW, NOW + timedelta(days=1)),
    "tokens.delete_expired": lambda uow: uow.tokens.delete_expired(NOW + timedelta(days=9)),
    "login_attempts.record_failure": lambda uow: uow.login_attempts.record_failure("x@y.z", NOW),
    "plans.add": lambda uow: uow.plans.add(PLAN.model_copy(update={"name": "Other"}), NOW),
    "plans.add_movie": lambda uow: uow.plans.add_movie(1, 1),
    "plans.delete": lambda uow: uow.plans.delete(1, NOW),
    "subscriptions.add": lambda uow: uow.subscriptions.add(1, 1, NOW),
}


def everything(core: StreamCore) -> tuple[object, ...]:
    """All that the storage holds, read through the services."""
    return (
        core.movies.list(EVERYTHING, actor=SYSTEM),
        core.auth.list_users(UserQuery(trashed="with"), actor=SYSTEM),
        core.plans.list(PlanQuery(include_inactive=True), actor=SYSTEM),
        core.plans.movies(1, actor=SYSTEM),
        core.subscriptions.list(actor=SYSTEM),
    )


@pytest.mark.parametrize("write", list(WRITES))
def test_a_read_only_unit_of_work_cannot_write(store: StreamCore, write: str) -> None:
    store.movies.create(alien(), actor=SYSTEM)
    store.auth.create_user(USER, actor=SYSTEM)
    store.plans.create(PLAN, actor=SYSTEM)
    before = everything(store)

    def write_and_commit() -> None:
        with store.storage.unit_of_work(readonly=True) as uow:
            WRITES[write](uow)
            uow.commit()

    with pytest.raises(StorageError, match=r"read-only|readonly"):
        write_and_commit()

    assert everything(store) == before


def test_a_read_only_unit_of_work_cannot_commit(store: StreamCore) -> None:
    with pytest.raises(StorageError), store.storage.unit_of_work(readonly=True) as uow:
        uow.commit()


def test_a_writer_after_a_reader_on_one_connection_can_write(store: StreamCore) -> None:
    for title in ("Alien", "Heat", "Ran"):
        with store.storage.unit_of_work(readonly=True) as uow:
            uow.movies.list(EVERYTHING)
        store.movies.create(alien(title), actor=SYSTEM)
    assert stored_ids(store) == [1, 2, 3]
