"""Many processes opening one new SQLite file at once, and concurrent `db upgrade` on PostgreSQL.

Before migrations ran under one write lock, about 1 open in 100 of a new file raced another
process's migration ("table plans already exists", or a schema reported as behind), so the
SQLite test needs hundreds of opens: 8 processes x 80 new files.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
import sqlalchemy as sa

from streamcore.auth.permissions import SYSTEM
from streamcore.storage.sql.engine import make_engine
from streamcore.storage.sql.migrate import current, upgrade
from streamcore.storage.sql.schema import SCHEMA_REVISION

PROCESSES = 8
ROUNDS = 80


def open_and_write(index: int, root: str, barrier: Barrier, results: Queue[list[str]]) -> None:
    """One process: for each round, wait for the others, open the round's new file, write once."""
    from streamcore import MovieCreate, StreamCore

    failures: list[str] = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=120)
        try:
            with StreamCore.open(f"sqlite:///{root}/round-{round_}.db") as core:
                core.movies.create(MovieCreate(title=f"Process {index}", year=2000), actor=SYSTEM)
        except Exception as exc:  # the test reports every failure, whatever its kind
            failures.append(f"round {round_}: {type(exc).__name__}: {exc}")
    results.put(failures)


@pytest.mark.slow
def test_processes_opening_new_sqlite_files_at_once_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results: Queue[list[str]] = context.Queue()
    workers = [
        context.Process(target=open_and_write, args=(i, str(tmp_path), barrier, results))
        for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    failures = [line for _ in workers for line in results.get(timeout=600)]
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    for round_ in range(ROUNDS):
        with sqlite3.connect(tmp_path / f"round-{round_}.db") as conn:
            assert conn.execute("SELECT count(*) FROM movies").fetchone() == (PROCESSES,)
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
                (SCHEMA_REVISION,)
            ]


@pytest.mark.postgres
def test_concurrent_upgrades_of_one_postgres_database_take_turns(postgres_url: str) -> None:
    """Each round a new, empty schema; 4 threads run `db upgrade` on it at once."""
    admin = make_engine(postgres_url)
    threads = 4
    try:
        for round_ in range(5):
            schema = f"sc_storage_upgrade_race_{round_}"
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            url = f"{postgres_url}?options=-csearch_path%3D{schema}"
            assert upgrade_at_once(url, threads) == ["ok"] * threads
            engine = make_engine(url)
            assert current(engine) == SCHEMA_REVISION
            assert "movies" in sa.inspect(engine).get_table_names()
            engine.dispose()
    finally:
        with admin.begin() as conn:
            for round_ in range(5):
                conn.exec_driver_sql(
                    f"DROP SCHEMA IF EXISTS sc_storage_upgrade_race_{round_} CASCADE"
                )
        admin.dispose()


def upgrade_at_once(url: str, threads: int) -> list[str]:
    """Run ``upgrade`` from ``threads`` engines at the same moment; each one's outcome."""
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        engine = make_engine(url)
        barrier.wait(timeout=60)
        try:
            upgrade(engine)
            outcome = "ok"
        except Exception as exc:  # the test reports any other outcome
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            engine.dispose()
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return sorted(outcomes)
