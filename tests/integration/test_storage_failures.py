"""Driver failures leave the storage layer as one plain ``StorageError`` sentence.

Each failure is made for real: another process holds SQLite's write lock, a PostgreSQL session
holds a table lock, a TCP server accepts and never answers, a port refuses, a file is opened
read-only, a database runs out of pages, the pool runs dry.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from streamcore import MovieCreate, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.core import database_revision, upgrade_database
from streamcore.errors import StorageError
from streamcore.storage.sql.engine import make_engine
from streamcore.storage.sql.storage import SqlStorage

DRIVER_WORDS = ("sqlite3", "psycopg", "Error", "Traceback", "sqlalche.me", "Background")
SCRIPT = Path(sys.executable).parent / "streamcore"
HOLD_WRITE_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
"""


def assert_plain(error: StorageError, *secrets: str) -> str:
    """One line, no driver vocabulary, no secret; the driver's exception only as the cause."""
    message = str(error)
    assert "\n" not in message
    for word in (*DRIVER_WORDS, *secrets):
        assert word not in message
    assert error.__cause__ is not None
    return message


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process holds SQLite's write lock on ``path`` until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A migrated SQLite file."""
    path = tmp_path / "busy.db"
    StreamCore.open(f"sqlite:///{path}").close()
    return path


# --- busy ------------------------------------------------------------------------------------


def test_a_write_while_another_process_holds_sqlites_lock_is_busy(sqlite_file: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{sqlite_file}", db_busy_timeout=0.3)
    with StreamCore.open(settings) as core, write_lock_held(sqlite_file):
        assert core.movies.list(actor=SYSTEM).total == 0  # WAL: readers are not blocked
        started = time.monotonic()
        with pytest.raises(StorageError) as error:
            core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
        waited = time.monotonic() - started
    assert assert_plain(error.value) == "the database is busy: another writer held it for 0.3 s"
    assert 0.3 <= waited < 5
    with StreamCore.open(settings) as core:  # the lock is gone: the same write goes through
        core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")
def test_the_cli_says_busy_in_one_line_without_a_traceback(
    sqlite_file: Path, tmp_path: Path
) -> None:
    env = {"PATH": os.defpath, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env["STREAMCORE_DB_BUSY_TIMEOUT"] = "0.3"
    command = [str(SCRIPT), "--database-url", f"sqlite:///{sqlite_file}"]
    with write_lock_held(sqlite_file):
        done = subprocess.run(
            [*command, "movie", "add", "--title", "T", "--year", "2000"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode != 0
    assert done.stderr == "error: the database is busy: another writer held it for 0.3 s\n"
    assert done.stdout == ""


def test_db_upgrade_of_a_locked_new_file_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "new.db"  # the lock holder creates it, empty
    settings = Settings(database_url=f"sqlite:///{path}", db_busy_timeout=0.2)
    with write_lock_held(path), pytest.raises(StorageError) as error:
        upgrade_database(settings)
    assert assert_plain(error.value) == "the database is busy: another writer held it for 0.2 s"


def test_an_exhausted_pool_waits_the_pool_timeout_then_is_busy(sql_url: str) -> None:
    settings = Settings(
        database_url=sql_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.3
    )
    with StreamCore.open(settings) as core:
        with core.storage.unit_of_work(readonly=True) as held:
            held.movies.get(1)  # the only connection is in use
            started = time.monotonic()
            with pytest.raises(StorageError) as error:
                core.movies.list(actor=SYSTEM)
            waited = time.monotonic() - started
        assert core.movies.list(actor=SYSTEM).total == 0  # returned to the pool: usable again
    assert assert_plain(error.value) == (
        "the database is busy: the one connection of this process was in use for 0.3 s"
    )
    assert 0.3 <= waited < 5


@pytest.mark.postgres
def test_a_postgres_lock_held_past_the_busy_timeout_is_busy(postgres_url: str) -> None:
    from tests.conftest import empty_postgres

    empty_postgres(postgres_url)
    settings = Settings(database_url=postgres_url, db_busy_timeout=0.3)
    holder = make_engine(postgres_url)
    with StreamCore.open(settings) as core, holder.connect() as conn:
        conn.exec_driver_sql("LOCK TABLE movies IN EXCLUSIVE MODE")  # until rollback
        started = time.monotonic()
        with pytest.raises(StorageError) as error:
            core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
        waited = time.monotonic() - started
        conn.rollback()
        core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
    holder.dispose()
    assert assert_plain(error.value) == "the database is busy: another writer held it for 0.3 s"
    assert 0.3 <= waited < 5


# --- unreachable -----------------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return  # closed: the test is over

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()
    for conn in accepted:
        conn.close()
    thread.join(timeout=5)


def test_a_postgres_server_that_never_answers_times_out(silent_server: int) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://streamcore:s3cret@127.0.0.1:{silent_server}/streamcore"
    started = time.monotonic()
    with pytest.raises(StorageError) as error:
        StreamCore.open(Settings(database_url=url, db_connect_timeout=2))
    waited = time.monotonic() - started
    assert assert_plain(error.value, "s3cret") == (
        f"cannot connect to the database at 127.0.0.1:{silent_server}: no answer within 2 s"
    )
    assert 1.5 <= waited < 8


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")
def test_db_current_against_a_server_that_never_answers(silent_server: int, tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    env = {"PATH": os.defpath, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env["STREAMCORE_DATABASE_URL"] = f"postgresql+psycopg://u:s3cret@127.0.0.1:{silent_server}/x"
    env["STREAMCORE_DB_CONNECT_TIMEOUT"] = "2"
    done = subprocess.run(
        [str(SCRIPT), "db", "current"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert done.stderr == (
        f"error: cannot connect to the database at 127.0.0.1:{silent_server}: "
        "no answer within 2 s\n"
    )


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (so connecting is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_port_is_unreachable_and_the_password_stays_out() -> None:
    pytest.importorskip("psycopg")
    port = free_port()
    url = f"postgresql+psycopg://streamcore:s3cret@127.0.0.1:{port}/streamcore"
    for attempt in (
        lambda: StreamCore.open(url),
        lambda: upgrade_database(Settings(database_url=url)),
        lambda: database_revision(Settings(database_url=url)),
    ):
        with pytest.raises(StorageError) as error:
            attempt()
        assert assert_plain(error.value, "s3cret", "streamcore:") == (
            f"cannot connect to the database at 127.0.0.1:{port}: connection refused"
        )


def test_a_bad_connection_option_in_the_url_is_named() -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://u:s3cret@127.0.0.1:{free_port()}/x?colour=blue"
    with pytest.raises(StorageError) as error:
        StreamCore.open(url)
    assert assert_plain(error.value, "s3cret") == (
        'the database URL has a bad connection option: invalid connection option "colour"'
    )


@pytest.mark.postgres
def test_a_connection_lost_in_a_unit_of_work_is_unreachable(postgres_url: str) -> None:
    victim = f"{postgres_url}?application_name=sc_storage_victim"
    killer = make_engine(postgres_url)
    with StreamCore.open(victim) as core:
        with pytest.raises(StorageError) as error:
            read_across_a_killed_session(core, killer)
        assert core.movies.list(actor=SYSTEM).total >= 0  # pre-ping replaces the dead connection
    killer.dispose()
    host = sa.make_url(postgres_url)
    assert assert_plain(error.value) == (
        f"lost the connection to the database at {host.host}:{host.port}"
    )


def read_across_a_killed_session(core: StreamCore, killer: sa.Engine) -> None:
    """Read in a unit of work whose session the server ends half-way."""
    with core.storage.unit_of_work() as uow:
        uow.movies.get(1)
        with killer.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'sc_storage_victim'"
            )
        uow.movies.get(1)


def test_a_sqlite_file_in_a_missing_directory_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "x.db"
    with pytest.raises(StorageError) as error:
        StreamCore.open(f"sqlite:///{path}")
    assert assert_plain(error.value) == (
        f"cannot open the database file {path}: its directory must exist and be writable"
    )


# --- refused ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"database": "sc_storage_no_such_db"}, 'database "sc_storage_no_such_db" does not exist'),
        ({"username": "sc_storage_nobody", "password": "s3cret"}, 'role "sc_storage_nobody"'),
    ],
)
def test_postgres_refusing_the_connection_says_why(
    postgres_url: str, change: dict[str, str], sentence: str
) -> None:
    base = sa.make_url(postgres_url)
    url = base.set(**change).render_as_string(hide_password=False)  # type: ignore[arg-type]
    with pytest.raises(StorageError) as error:
        StreamCore.open(url)
    message = assert_plain(error.value, "s3cret")
    assert message.startswith(f"the database at {base.host}:{base.port} refused the connection: ")
    assert sentence in message


@pytest.mark.postgres
def test_a_read_only_postgres_refuses_the_write(postgres_url: str) -> None:
    from tests.conftest import empty_postgres

    empty_postgres(postgres_url)
    read_only = f"{postgres_url}?options=-cdefault_transaction_read_only%3Don"
    with StreamCore.open(read_only) as core:
        assert core.movies.list(actor=SYSTEM).total == 0
        with pytest.raises(StorageError) as error:
            core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
    assert assert_plain(error.value) == "the database refused the write: it is read-only"


def test_a_sqlite_file_opened_read_only_refuses_the_write(sqlite_file: Path) -> None:
    with StreamCore.open(f"sqlite:///file:{sqlite_file}?mode=ro&uri=true") as core:
        assert core.movies.list(actor=SYSTEM).total == 0
        with pytest.raises(StorageError) as error:
            core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
    message = assert_plain(error.value)
    assert message == f"the database refused the write: {sqlite_file} is read-only"


def test_a_full_sqlite_database_refuses_the_write(sqlite_file: Path) -> None:
    with StreamCore.open(f"sqlite:///{sqlite_file}") as core:
        storage = core.storage
        assert isinstance(storage, SqlStorage)
        pages = storage.engine.connect().exec_driver_sql("PRAGMA page_count").scalar()

        # A real SQLITE_FULL: the file may not grow past the pages it has.
        @event.listens_for(storage.engine, "connect")
        def _cap(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")  # type: ignore[attr-defined]

        storage.engine.dispose()
        with pytest.raises(StorageError) as error:
            fill(core)
    assert assert_plain(error.value) == "the database refused the write: the disk is full"


def fill(core: StreamCore) -> None:
    """Write movies until the database refuses one (at most 100)."""
    for n in range(100):
        core.movies.create(
            MovieCreate(title=f"M{n}", year=2000, description="x" * 4000), actor=SYSTEM
        )


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not a database\n")
    with pytest.raises(StorageError) as error:
        StreamCore.open(f"sqlite:///{path}")
    assert assert_plain(error.value) == (
        f"cannot open the database file {path}: it is damaged or is not a database"
    )


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    from tests.conftest import empty_postgres

    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url
