"""The default pool serves a threadpool server, and PostgreSQL connections carry their timeouts."""

from __future__ import annotations

import threading

import pytest

from streamcore import MovieCreate, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.storage.sql.storage import SqlStorage

SERVER_THREADS = 40
"""Starlette runs sync routes on a pool of 40 threads: that many callers at once."""


def run_at_once(work: object, threads: int) -> list[str]:
    """Run ``work`` in ``threads`` threads started together; each one's outcome."""
    assert callable(work)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            work()
            outcome = "ok"
        except Exception as exc:  # the test reports any other outcome
            outcome = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return outcomes


@pytest.mark.postgres
def test_forty_threads_hold_a_connection_each_at_once_with_the_defaults(postgres_url: str) -> None:
    """Every caller of a full threadpool gets a connection: none waits for another's."""
    barrier = threading.Barrier(SERVER_THREADS, timeout=30)
    with StreamCore.open(postgres_url) as core:

        def read_while_all_others_read() -> None:
            with core.storage.unit_of_work(readonly=True) as uow:
                uow.movies.get(1)
                barrier.wait()  # breaks unless all 40 hold a connection at the same moment

        outcomes = run_at_once(read_while_all_others_read, SERVER_THREADS)
    assert outcomes == ["ok"] * SERVER_THREADS


@pytest.mark.postgres
def test_forty_threads_reading_through_the_services_all_succeed(postgres_url: str) -> None:
    from tests.conftest import empty_postgres

    empty_postgres(postgres_url)
    with StreamCore.open(postgres_url) as core:
        movie = core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)

        def read_many() -> None:
            for _ in range(25):
                assert core.movies.list(actor=SYSTEM).total == 1
                assert core.movies.get(movie.id, actor=SYSTEM) == movie

        assert run_at_once(read_many, SERVER_THREADS) == ["ok"] * SERVER_THREADS


@pytest.mark.postgres
def test_postgres_connections_carry_a_connect_timeout_keepalives_and_a_lock_timeout(
    postgres_url: str,
) -> None:
    settings = Settings(database_url=postgres_url, db_connect_timeout=7, db_busy_timeout=2.5)
    for opened, connect_timeout, lock_timeout in (
        (StreamCore.open(postgres_url), "10", "10s"),  # the defaults
        (StreamCore.open(settings), "7", "2500ms"),
    ):
        with opened as core:
            storage = core.storage
            assert isinstance(storage, SqlStorage)
            with storage.engine.connect() as conn:
                parameters = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
                shown = conn.exec_driver_sql("SHOW lock_timeout").scalar()
        assert parameters["connect_timeout"] == connect_timeout
        assert parameters["keepalives"] == "1"
        assert shown == lock_timeout


@pytest.mark.postgres
def test_a_connect_timeout_in_the_url_wins_over_the_setting(postgres_url: str) -> None:
    with StreamCore.open(f"{postgres_url}?connect_timeout=3") as core:
        storage = core.storage
        assert isinstance(storage, SqlStorage)
        with storage.engine.connect() as conn:
            parameters = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
    assert parameters["connect_timeout"] == "3"


def test_the_pool_is_sized_by_the_settings(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, db_pool_size=3, db_max_overflow=4)
    with StreamCore.open(settings) as core:
        storage = core.storage
        assert isinstance(storage, SqlStorage)
        pool = storage.engine.pool
        assert (pool.size(), pool.timeout()) == (3, 10.0)  # type: ignore[attr-defined]
    with StreamCore.open(sqlite_url) as core:
        storage = core.storage
        assert isinstance(storage, SqlStorage)
        assert storage.engine.pool.size() == Settings().db_pool_size  # type: ignore[attr-defined]
