"""The SQL backend itself: migrations, the schema check, SQLite settings, the database's guards."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from streamcore import ConflictError, MovieCreate, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.errors import InvalidInputError, SchemaOutdatedError, StorageError
from streamcore.movies.errors import DuplicateMovieError
from streamcore.storage.sql.engine import make_engine
from streamcore.storage.sql.migrate import (
    alembic_config,
    current,
    downgrade,
    head_revision,
    upgrade,
)
from streamcore.storage.sql.schema import REVISIONS, SCHEMA_REVISION, metadata
from streamcore.storage.sql.storage import SqlStorage

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        StreamCore.open(sqlite_url).close()  # created and migrated on first use
        return sqlite_url
    from tests.conftest import empty_postgres

    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


def test_the_revision_constants_are_alembics_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    history = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(history) == REVISIONS
    assert head_revision() == SCHEMA_REVISION == REVISIONS[-1]


def test_a_database_newer_than_the_code_says_so(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_future')")
    with pytest.raises(SchemaOutdatedError, match="newer than this streamcore") as error:
        StreamCore.open(f"sqlite:///{path}")
    assert "db upgrade" not in str(error.value)


def test_the_migrated_schema_equals_the_tables_the_code_uses(sql_url: str) -> None:
    engine = make_engine(sql_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_a_new_sqlite_file_is_created_and_migrated_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with StreamCore.open(f"sqlite:///{path}") as core:
        assert core.movies.list(actor=SYSTEM).total == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            SCHEMA_REVISION,
        )


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    with StreamCore.open(sqlite_url) as core:
        storage = core.storage
        assert isinstance(storage, SqlStorage)
        with storage.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_existing_database_that_is_behind_names_db_upgrade(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine, REVISIONS[0])
    engine.dispose()
    with pytest.raises(SchemaOutdatedError, match="streamcore db upgrade"):
        StreamCore.open(sqlite_url)
    engine = make_engine(sqlite_url)
    upgrade(engine)  # what the message says to run
    engine.dispose()
    with StreamCore.open(sqlite_url) as core:
        assert core.movies.list(actor=SYSTEM).total == 0


def test_a_foreign_unversioned_database_is_not_migrated_behind_its_back(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    with pytest.raises(SchemaOutdatedError, match="streamcore db upgrade"):
        StreamCore.open(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"notes"}


@pytest.mark.postgres
def test_an_empty_postgres_database_needs_db_upgrade(postgres_url: str) -> None:
    admin = make_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    url = sa.make_url(postgres_url)
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS streamcore_empty")
        conn.exec_driver_sql("CREATE DATABASE streamcore_empty")
    empty_url = url.set(database="streamcore_empty").render_as_string(hide_password=False)
    try:
        with pytest.raises(SchemaOutdatedError, match="streamcore db upgrade"):
            StreamCore.open(empty_url)
        engine = make_engine(empty_url)
        upgrade(engine)
        assert current(engine) == SCHEMA_REVISION
        engine.dispose()
        with StreamCore.open(empty_url) as core:
            assert core.movies.list(actor=SYSTEM).total == 0
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS streamcore_empty WITH (FORCE)")
        admin.dispose()


def test_migrations_go_down_to_nothing_and_up_again(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert current(engine) is None
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current(engine) == SCHEMA_REVISION
    engine.dispose()


def test_the_database_itself_refuses_a_second_live_title_and_year(sql_url: str) -> None:
    """Bypass the service's pre-check: the partial unique index still says no."""
    with StreamCore.open(sql_url) as core:
        data = MovieCreate(title="Alien", year=1979)
        with core.storage.unit_of_work() as uow:
            uow.movies.add(data, NOW)
            uow.commit()
        with pytest.raises(DuplicateMovieError), core.storage.unit_of_work() as uow:
            uow.movies.add(MovieCreate(title="ALIEN", year=1979), NOW)
        with core.storage.unit_of_work() as uow:  # a deleted one does not count
            movie = uow.movies.get(1)
            assert movie is not None
            uow.movies.save(movie.model_copy(update={"deleted_at": NOW}))
            uow.movies.add(data, NOW)
            uow.commit()
        assert core.movies.list(actor=SYSTEM).total == 1


def test_concurrent_creates_of_one_movie_have_exactly_one_winner(sql_url: str) -> None:
    threads = 6
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        with StreamCore.open(sql_url) as core:
            barrier.wait()
            try:
                core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
                outcome = "created"
            except ConflictError:
                outcome = "conflict"
            except Exception as exc:  # the test reports any other outcome
                outcome = repr(exc)
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=create) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * (threads - 1) + ["created"]


def test_two_cores_share_one_sqlite_file(sqlite_url: str) -> None:
    with StreamCore.open(sqlite_url) as cli, StreamCore.open(sqlite_url) as server:
        created = cli.movies.create(MovieCreate(title="Ran", year=1985), actor=SYSTEM)
        assert server.movies.get(created.id, actor=SYSTEM) == created


def test_bad_urls_are_clear_errors() -> None:
    with pytest.raises(InvalidInputError) as invalid:
        StreamCore.open("not a url")
    assert invalid.value.fields == ("database_url",)
    with pytest.raises(StorageError):
        StreamCore.open("postgresql+psycopg://nobody@127.0.0.1:1/none")
