"""Engines: SQLite gets WAL, a busy timeout and real transactions (BEGIN IMMEDIATE for writes)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from streamcore.errors import InvalidInputError, StorageError

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "streamcore_write"
"""Execution option on a connection whose transaction will write (SQLite: BEGIN IMMEDIATE)."""
QUERY_ONLY = "streamcore_query_only"
"""Where a pooled SQLite connection remembers the ``query_only`` pragma it is in."""


class _NoResultRows(logging.Filter):
    """Drop SQLAlchemy's DEBUG lines that print result rows: a row may hold a password hash."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


_ROW_FILTER = _NoResultRows()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; raises ``InvalidInputError``/``StorageError`` for bad URLs."""
    try:
        parsed = sa.make_url(url)
        engine = sa.create_engine(
            parsed,
            pool_pre_ping=parsed.get_backend_name() != "sqlite",
            # Parameters hold password hashes and token digests: never in logs or errors.
            hide_parameters=True,
        )
    except (ArgumentError, ValueError):
        raise InvalidInputError.single("database_url", "is not a valid database URL") from None
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        hint = " (install streamcore[postgres])" if "postgres" in url else ""
        raise StorageError(f"no driver for this database URL{hint}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _ROW_FILTER not in logger.filters:
        logger.addFilter(_ROW_FILTER)
    return engine


def missing_sqlite_file(engine: Engine) -> bool:
    """Whether ``engine`` is SQLite on a file that does not exist yet (connecting creates it)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return False
    return not database.startswith("file:") and not Path(database).exists()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is off; we emit BEGIN ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that upgrades to a
        # writer later fails at once with SQLITE_BUSY instead of waiting out the timeout.
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        # Straight to the driver: SQLAlchemy's statement machinery would cost more than BEGIN.
        dbapi_connection: Any = conn.connection.dbapi_connection
        # A read-only unit of work cannot write (query_only), on every backend alike; the
        # pragma is sent only when a pooled connection switches between readers and writers.
        info = conn.connection.info
        if info.get(QUERY_ONLY) != (not write):
            dbapi_connection.execute(f"PRAGMA query_only = {int(not write)}")
            info[QUERY_ONLY] = not write
        dbapi_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
