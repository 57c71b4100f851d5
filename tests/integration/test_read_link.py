"""The SQL read path: readers begin through the driver, join SQLAlchemy on demand, give their
connection back, and PostgreSQL pings only connections that may be stale (decisions 100-104).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from streamcore import MovieCreate, MovieQuery, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.errors import StorageError
from streamcore.movies.errors import MovieNotFoundError
from streamcore.storage.sql import engine as engine_module
from streamcore.storage.sql.engine import make_engine
from streamcore.storage.sql.link import Link, Lookup
from streamcore.storage.sql.storage import SqlStorage

EVERYTHING = MovieQuery(trashed="with", limit=100)


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """An empty database on each SQL backend."""
    if request.param == "sqlite":
        return sqlite_url
    from tests.conftest import empty_postgres

    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def sql_core(sql_url: str) -> Iterator[StreamCore]:
    with StreamCore.open(sql_url) as core:
        yield core


def storage_of(core: StreamCore) -> SqlStorage:
    assert isinstance(core.storage, SqlStorage)
    return core.storage


def test_a_reader_reads_one_snapshot_through_the_driver_and_through_sqlalchemy(
    sqlite_url: str,
) -> None:
    with StreamCore.open(sqlite_url) as core:
        movie = core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
        with core.storage.unit_of_work(readonly=True) as uow:
            assert uow.movies.get(movie.id) == movie  # the driver's path begins the snapshot
            core.movies.update(movie.id, _retitled("Aliens"), actor=SYSTEM)  # and commits
            # SQLAlchemy's Connection, made now, works in the reader's transaction, not a new one
            assert [m.title for m in uow.movies.list(EVERYTHING)[0]] == ["Alien"]
            assert uow.movies.get(movie.id) == movie
        assert core.movies.get(movie.id, actor=SYSTEM).title == "Aliens"


def _retitled(title: str) -> Any:
    from streamcore.movies.models import MoviePatch

    return MoviePatch(title=title)


@pytest.mark.postgres
def test_a_postgres_reader_is_one_read_only_transaction_on_both_paths(postgres_url: str) -> None:
    from tests.conftest import empty_postgres

    empty_postgres(postgres_url)
    started = Lookup(sa.select(sa.func.now().label("at"), sa.func.pg_backend_pid().label("pid")))
    with StreamCore.open(postgres_url) as core, core.storage.unit_of_work(readonly=True) as uow:
        link: Link = uow._link  # type: ignore[attr-defined]
        raw = link.first(started, {})
        time.sleep(0.01)
        through_sqlalchemy = link.connection.execute(started.statement).one()
        read_only = link.connection.exec_driver_sql("SHOW transaction_read_only").scalar()
    assert raw is not None
    assert (raw["at"], raw["pid"]) == tuple(through_sqlalchemy)  # one transaction, one session
    assert read_only == "on"


def test_readers_give_their_connection_back_whatever_happens(sql_core: StreamCore) -> None:
    movie = sql_core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
    assert sql_core.mail_outbox.join(timeout=10)  # its mail reads the recipients on a thread
    pool = storage_of(sql_core).engine.pool

    def driver_only() -> None:
        sql_core.movies.get(movie.id, actor=SYSTEM)

    def missing() -> None:
        with pytest.raises(MovieNotFoundError):
            sql_core.movies.get(movie.id + 1, actor=SYSTEM)

    def both_paths() -> None:
        with sql_core.storage.unit_of_work(readonly=True) as uow:
            uow.movies.get(movie.id)
            uow.movies.list(EVERYTHING)

    def sqlalchemy_only() -> None:
        sql_core.movies.list(actor=SYSTEM)

    def failing_inside() -> None:
        def fail() -> None:
            with sql_core.storage.unit_of_work(readonly=True) as uow:
                uow.movies.get(movie.id)
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            fail()

    def refused_write() -> None:
        with (
            pytest.raises(StorageError, match=r"read-only|readonly"),
            sql_core.storage.unit_of_work(readonly=True) as uow,
        ):
            uow.movies.save(movie.model_copy(update={"year": 1980}))

    calls: list[Callable[[], None]] = [
        driver_only,
        missing,
        both_paths,
        sqlalchemy_only,
        failing_inside,
        refused_write,
    ]
    for _ in range(20):
        for call in calls:
            call()
            assert pool.checkedout() == 0, call.__name__  # type: ignore[attr-defined]
    assert pool.checkedin() == 1  # type: ignore[attr-defined]  # one thread, one connection
    assert sql_core.movies.get(movie.id, actor=SYSTEM) == movie  # and nothing was written


def test_a_unit_of_work_that_has_closed_refuses_to_read(sql_core: StreamCore) -> None:
    with sql_core.storage.unit_of_work(readonly=True) as uow:
        kept = uow.movies
    with pytest.raises(StorageError, match="closed"):
        kept.get(1)
    with pytest.raises(StorageError, match="outside its unit of work"):
        _ = uow.tokens


def test_a_unit_of_work_makes_only_the_repositories_it_uses(sql_core: StreamCore) -> None:
    with sql_core.storage.unit_of_work(readonly=True) as uow:
        uow.movies.get(1)
        assert list(uow._made) == ["movies"]  # type: ignore[attr-defined]
        assert uow._link._connection is None  # type: ignore[attr-defined]  # no Connection
        assert uow.movies is uow.movies


# --- PostgreSQL: pinging only connections that may be stale ------------------------------------


def kill_sessions(url: str, application: str) -> None:
    """End, from another session, every session of ``application``."""
    killer = make_engine(url)
    with killer.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE application_name = '{application}'"
        )
    killer.dispose()


@pytest.fixture
def victim(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[tuple[StreamCore, str]]:
    """A core on PostgreSQL whose sessions carry a name of their own, and that name."""
    from tests.conftest import empty_postgres

    empty_postgres(postgres_url)
    name = f"sc_read_{request.node.name}"[:60].replace("[", "_").replace("]", "_")
    with StreamCore.open(f"{postgres_url}?application_name={name}") as core:
        yield core, name


@pytest.fixture
def pings(victim: tuple[StreamCore, str], monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The times at which the victim's engine pinged a connection."""
    dialect = storage_of(victim[0]).engine.dialect
    real = dialect.do_ping
    seen: list[float] = []

    def counted(dbapi_connection: Any) -> bool:
        seen.append(time.monotonic())
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return seen


@pytest.mark.postgres
def test_a_connection_in_steady_use_is_not_pinged_and_an_idle_one_is(
    victim: tuple[StreamCore, str], pings: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    core, _ = victim
    monkeypatch.setattr(engine_module, "IDLE_PING_AFTER", 30.0)
    for _ in range(30):
        core.movies.list(actor=SYSTEM)
        core.auth.list_users(actor=SYSTEM)
    assert pings == []

    monkeypatch.setattr(engine_module, "IDLE_PING_AFTER", 0.05)
    time.sleep(0.1)
    core.movies.list(actor=SYSTEM)
    assert len(pings) == 1


@pytest.mark.postgres
def test_a_connection_that_died_idle_in_the_pool_is_replaced_unseen(
    postgres_url: str, victim: tuple[StreamCore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    core, name = victim
    core.movies.list(actor=SYSTEM)
    kill_sessions(postgres_url, name)
    monkeypatch.setattr(engine_module, "IDLE_PING_AFTER", 0.0)  # it has now been idle long enough

    assert core.movies.list(actor=SYSTEM).total == 0
    assert core.auth.list_users(actor=SYSTEM).total == 0


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["driver", "sqlalchemy"])
def test_after_one_connection_is_found_dead_the_others_are_not_handed_out_dead(
    postgres_url: str,
    victim: tuple[StreamCore, str],
    pings: list[float],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    core, name = victim
    movie = core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
    assert core.mail_outbox.join(timeout=10)  # its mail's recipients query is done with the pool
    reads: dict[str, Callable[[], object]] = {
        "driver": lambda: core.movies.get(movie.id, actor=SYSTEM),
        "sqlalchemy": lambda: core.movies.list(actor=SYSTEM),
    }
    monkeypatch.setattr(engine_module, "IDLE_PING_AFTER", 30.0)  # nothing is idle that long
    with core.storage.unit_of_work(readonly=True) as one, core.storage.unit_of_work() as two:
        one.movies.get(1)  # two pooled connections, both now returned
        two.movies.get(1)
    kill_sessions(postgres_url, name)

    with pytest.raises(StorageError, match=r"^lost the connection"):
        reads[path]()  # in use a moment ago: not pinged, found dead
    assert pings == []
    for _ in range(3):
        assert core.movies.get(movie.id, actor=SYSTEM) == movie
        assert core.movies.list(actor=SYSTEM).total == 1
    # The other one was returned before the loss: SQLAlchemy replaces it after a loss it saw
    # itself; after one the driver's path saw, the checkout pings it first (and replaces it).
    assert len(pings) == (1 if path == "driver" else 0)


def test_a_repository_over_a_plain_connection_reads_in_that_connections_transaction(
    sql_core: StreamCore,
) -> None:
    from streamcore.storage.sql.movies import SqlMovieRepository

    movie = sql_core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
    with storage_of(sql_core).engine.connect() as conn:
        repository = SqlMovieRepository(conn)  # as the entitlement repository makes one
        assert conn.in_transaction()
        assert repository.get(movie.id) == movie
        assert repository.list(EVERYTHING)[0] == [movie]
