"""Engines: SQLite gets WAL, a busy timeout and real transactions (BEGIN IMMEDIATE for writes);
PostgreSQL a connect timeout, TCP keepalives and a lock timeout; both a pool sized by settings."""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidatePoolError, NoSuchModuleError
from sqlalchemy.pool import PoolProxiedConnection, QueuePool

from streamcore.config import Settings
from streamcore.errors import InvalidInputError, StorageError

WRITE_OPTION = "streamcore_write"
"""Execution option on a connection whose transaction will write (SQLite: BEGIN IMMEDIATE)."""
QUERY_ONLY = "streamcore_query_only"
"""Where a pooled SQLite connection remembers the ``query_only`` pragma it is in."""
LIMITS_OPTION = "streamcore_limits"
"""Engine execution option holding the engine's ``Limits``, so errors can quote them."""
SQLITE_BUSY = {5, 6}
"""SQLite's primary result codes for "busy" (SQLITE_BUSY, SQLITE_LOCKED)."""
WAL_RETRY_PAUSE = 0.005
RETURNED_AT = "streamcore_returned_at"
"""Where a pooled PostgreSQL connection remembers when it was last returned to the pool."""
IDLE_PING_AFTER = 1.0
"""Seconds a PostgreSQL connection may sit in the pool and still be handed out unpinged."""
# A dead PostgreSQL peer is noticed after ~60 s of silence instead of the kernel's two hours.
POSTGRES_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The timeouts and pool bounds an engine was made with."""

    busy_timeout: float
    connect_timeout: int
    pool_size: int
    max_overflow: int
    pool_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The database limits of ``settings``."""
        return cls(
            busy_timeout=settings.db_busy_timeout,
            connect_timeout=settings.db_connect_timeout,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )

    @property
    def busy_timeout_ms(self) -> int:
        """The busy timeout in whole milliseconds, at least 1."""
        return max(1, math.ceil(self.busy_timeout * 1000))


class _NoResultRows(logging.Filter):
    """Drop SQLAlchemy's DEBUG lines that print result rows: a row may hold a password hash."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


_ROW_FILTER = _NoResultRows()


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """An engine for ``url`` with the ``db_*`` limits of ``settings`` (default: the defaults).

    Raises ``InvalidInputError``/``StorageError`` for bad URLs; connects only when used.
    """
    limits = Limits.of(settings or Settings())
    try:
        parsed = sa.make_url(url)
        backend = parsed.get_backend_name()
        engine = sa.create_engine(
            parsed,
            # PostgreSQL pings only connections that may be stale (decision 104), not each one.
            pool_pre_ping=backend not in {"sqlite", "postgresql"},
            # Parameters hold password hashes and token digests: never in logs or errors.
            hide_parameters=True,
            connect_args=_connect_args(parsed, limits),
            execution_options={LIMITS_OPTION: limits},
            **_pool_args(parsed, limits),
        )
    except (ArgumentError, ValueError):
        raise InvalidInputError.single("database_url", "is not a valid database URL") from None
    except (NoSuchModuleError, ModuleNotFoundError):
        hint = " (install streamcore[postgres])" if "postgres" in url else ""
        raise StorageError(f"no driver is installed for this database URL{hint}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, limits)
    elif engine.dialect.name == "postgresql":
        _configure_postgres(engine)
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _ROW_FILTER not in logger.filters:
        logger.addFilter(_ROW_FILTER)
    return engine


def limits_of(engine: Engine) -> Limits:
    """The limits ``engine`` was made with (the defaults for an engine made elsewhere)."""
    limits = engine.get_execution_options().get(LIMITS_OPTION)
    return limits if isinstance(limits, Limits) else Limits.of(Settings())


def _pool_args(url: URL, limits: Limits) -> dict[str, Any]:
    """Pool bounds, for the dialects that pool with a queue (not SQLite in memory)."""
    dialect: Any = url.get_dialect()  # get_pool_class is on every dialect, not in its stubs
    if not issubclass(dialect.get_pool_class(url), QueuePool):
        return {}
    return {
        "pool_size": limits.pool_size,
        "max_overflow": limits.max_overflow,
        "pool_timeout": limits.pool_timeout,
    }


def _connect_args(url: URL, limits: Limits) -> dict[str, Any]:
    """Driver options; a value the URL's query already sets is left to the URL."""
    if url.get_backend_name() != "postgresql":
        return {}
    defaults: dict[str, Any] = {"connect_timeout": limits.connect_timeout, **POSTGRES_KEEPALIVES}
    args = {name: value for name, value in defaults.items() if name not in url.query}
    # A lock wait ends like SQLite's busy wait: after the busy timeout, as "busy" (decision 74).
    # The URL's own options come after ours, so that one of its own -c lock_timeout wins.
    lock_timeout = f"-c lock_timeout={limits.busy_timeout_ms}"
    own = url.query.get("options")
    args["options"] = lock_timeout if not own else f"{lock_timeout} {_one(own)}"
    return args


def _one(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else " ".join(value)


def missing_sqlite_file(engine: Engine) -> bool:
    """Whether ``engine`` is SQLite on a file that does not exist yet (connecting creates it)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return False
    return not database.startswith("file:") and not Path(database).exists()


def _configure_sqlite(engine: Engine, limits: Limits) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is off; we emit BEGIN ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {limits.busy_timeout_ms}")
        _switch_to_wal(cursor, limits)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION)
        dbapi_connection: Any = conn.connection.dbapi_connection
        if write is False and dbapi_connection.in_transaction:
            return  # a reader's link began it through the driver (link.py)
        _begin_sqlite(conn.connection, write)


def _begin_sqlite(pooled: PoolProxiedConnection, write: bool | None) -> None:
    """BEGIN on a pooled SQLite connection: IMMEDIATE for a writer, ``query_only`` for a reader.

    A writer takes the write lock up front: a deferred transaction that upgrades to a writer
    later fails at once with SQLITE_BUSY instead of waiting out the timeout.
    """
    statement = "BEGIN IMMEDIATE" if write else "BEGIN"
    reader = write is False  # a unit of work said so; migrations and tools say nothing
    # Straight to the driver: SQLAlchemy's statement machinery would cost more than BEGIN.
    dbapi_connection: Any = pooled.dbapi_connection
    # A read-only unit of work cannot write (query_only), on every backend alike; the
    # pragma is sent only when a pooled connection switches between readers and writers.
    info = pooled.info
    try:
        if info.get(QUERY_ONLY, False) != reader:
            dbapi_connection.execute(f"PRAGMA query_only = {int(reader)}")
            info[QUERY_ONLY] = reader
        dbapi_connection.execute(statement)
    except sqlite3.Error as exc:
        # SQLAlchemy wraps driver errors only around its own calls, not around this
        # event: wrap it the same way, so every caller translates it like any other.
        raise DBAPIError.instance(
            statement, None, exc, sqlite3.Error, hide_parameters=True
        ) from exc


def _configure_postgres(engine: Engine) -> None:
    _ping_when_stale(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        _read_only_postgres(
            conn.connection, conn.get_execution_options().get(WRITE_OPTION) is False
        )


def _read_only_postgres(pooled: PoolProxiedConnection, reader: bool) -> None:
    """A reader's transaction will begin READ ONLY; any other as the server's default.

    None, not READ WRITE: a database made read-only on purpose stays so. psycopg puts it into
    the BEGIN it sends before the first statement: no round trip of its own.
    """
    dbapi_connection: Any = pooled.dbapi_connection
    wanted = True if reader else None
    if dbapi_connection.read_only is not wanted:
        dbapi_connection.read_only = wanted


def _ping_when_stale(engine: Engine) -> None:
    """Ping a pooled connection at checkout only when it may have died while in the pool.

    That is: it sat idle for ``IDLE_PING_AFTER`` seconds or more (a server restart, a proxy or
    firewall that drops idle sessions), or it was returned before some connection of this
    engine was found dead. A connection that was just in use proves itself; pinging it too
    (``pool_pre_ping``) costs a round trip on every unit of work. A failed ping replaces every
    connection returned before it, as ``pool_pre_ping`` does.
    """
    last_loss = [-math.inf]

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, _record: Any, _exc: Any) -> None:
        last_loss[0] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(RETURNED_AT)
        if returned is None:
            return  # just connected
        if time.monotonic() - returned < IDLE_PING_AFTER and returned > last_loss[0]:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise InvalidatePoolError("a pooled connection failed its ping") from exc


def begins_readers(dialect: Dialect) -> bool:
    """Whether ``begin_reader`` knows this database (else a reader begins like a writer)."""
    return dialect.name in {"sqlite", "postgresql"}


def begin_reader(pooled: PoolProxiedConnection, dialect: Dialect) -> None:
    """Begin a read-only transaction on a pooled connection, through its driver.

    The same as the ``begin`` events do for a unit of work with ``WRITE_OPTION`` False, without
    a SQLAlchemy ``Connection`` (link.py). Driver errors leave wrapped as SQLAlchemy wraps them.
    """
    if dialect.name == "sqlite":
        _begin_sqlite(pooled, write=False)
    else:
        _read_only_postgres(pooled, reader=True)


def _switch_to_wal(cursor: sqlite3.Cursor, limits: Limits) -> None:
    """``PRAGMA journal_mode = WAL``, retried while busy, up to the busy timeout.

    Switching a new file to WAL needs an exclusive lock, and SQLite answers "database is
    locked" at once, without its busy handler, while another connection switches or writes it.
    """
    deadline = time.monotonic() + limits.busy_timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_PAUSE)
