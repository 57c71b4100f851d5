"""Driver failures as ``StorageError``: one plain sentence saying what happened.

Three kinds of sentence (docs/architecture.md, "Storage failures and timeouts"): the database is
*busy* (a lock or the pool was not free in time), *unreachable* (no connection), or it *refused*
the operation (credentials, a missing database, a read-only file, a full disk ...). The driver's
exception stays as ``__cause__`` for logs and debuggers; its class name, its multi-line text and
the URL's password never reach the message. Constraint violations are ``violations.py``'s.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from streamcore.errors import StorageError
from streamcore.storage.sql.engine import SQLITE_BUSY, Limits, limits_of
from streamcore.storage.sql.violations import refusal_sentence, violation_of

# SQLite's primary result codes (sqlite3.h): the low byte of an extended code.
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 3, 8, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_AUTH, _SQLITE_NOTADB = 13, 14, 23, 26

_FATAL = re.compile(r"FATAL:\s+(?P<text>[^\n]+)")
_CONNECTING = re.compile(
    r"^connection (failed|to server)|FATAL:|timeout expired|resolve host|translate host name"
)
_OPTION = re.compile(r"connection option|bad value for \w+")
_PG_SESSION_ENDED = {"57P01", "57P02"}  # admin_shutdown, crash_shutdown


def storage_error(exc: BaseException, engine: Engine) -> StorageError:
    """The ``StorageError`` for a failure of ``engine``'s database (raise it ``from exc``)."""
    return StorageError(failure_sentence(exc, engine))


def failure_sentence(exc: BaseException, engine: Engine) -> str:
    """One line that says what went wrong, fit for a person and free of driver text."""
    limits = limits_of(engine)
    if isinstance(exc, PoolTimeoutError):
        connections = limits.pool_size + limits.max_overflow
        held = (
            "the one connection of this process was"
            if connections == 1
            else f"all {connections} connections of this process were"
        )
        return f"the database is busy: {held} in use for {_seconds(limits.pool_timeout)}"
    if isinstance(exc, IntegrityError):  # one that no repository mapped to a domain error
        return refusal_sentence(violation_of(exc))
    if isinstance(exc, sqlite3.Error):
        return _sqlite_sentence(exc, engine, limits)
    if not isinstance(exc, DBAPIError):
        return "the database layer failed unexpectedly"
    orig: Any = exc.orig
    if isinstance(orig, sqlite3.Error):
        return _sqlite_sentence(orig, engine, limits)
    if engine.dialect.name == "postgresql":
        return _postgres_sentence(exc, orig, engine, limits)
    return "the database refused the operation"


def _sqlite_sentence(error: sqlite3.Error, engine: Engine, limits: Limits) -> str:
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    path = (engine.url.database or "in memory").removeprefix("file:")
    if primary in SQLITE_BUSY:
        return _held_too_long(limits)
    damaged = f"cannot open the database file {path}: it is damaged or is not a database"
    sentences = {
        _SQLITE_READONLY: f"the database refused the write: {path} is read-only",
        _SQLITE_FULL: "the database refused the write: the disk is full",
        _SQLITE_CANTOPEN: (
            f"cannot open the database file {path}: its directory must exist and be writable"
        ),
        _SQLITE_CORRUPT: damaged,
        _SQLITE_NOTADB: damaged,
        _SQLITE_IOERR: f"the database could not read or write the file {path} (disk I/O error)",
        _SQLITE_PERM: f"the database refused access to the file {path}",
        _SQLITE_AUTH: f"the database refused access to the file {path}",
    }
    if primary in sentences:
        return sentences[primary]
    # SQLite's own messages are one short line ("no such table: movies") without values.
    return f"the database refused the operation: {_first_line(str(error))}"


def _postgres_sentence(exc: DBAPIError, orig: Any, engine: Engine, limits: Limits) -> str:
    text = str(orig)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if _CONNECTING.search(text):
        return _postgres_connect_sentence(text, engine, limits)
    if _OPTION.search(text):
        # The URL's query holds an option libpq does not take: say which, as libpq does.
        return f"the database URL has a bad connection option: {_first_line(text)}"
    lost = exc.connection_invalidated or sqlstate in _PG_SESSION_ENDED
    if lost or (not sqlstate and isinstance(exc, OperationalError | InterfaceError)):
        return f"lost the connection to the database at {_address(engine)}"
    if not sqlstate:
        return "the database refused the operation"
    return _postgres_statement_sentence(sqlstate, orig, limits)


def _postgres_connect_sentence(text: str, engine: Engine, limits: Limits) -> str:
    """Connection failures carry no SQLSTATE in psycopg: libpq's text says what happened."""
    where = _address(engine)
    fatal = _FATAL.search(text)
    if "too many clients" in text or "connection slots" in text:
        return f"the database is busy: the server at {where} has no free connection slots"
    if "starting up" in text or "shutting down" in text:
        return f"cannot connect to the database at {where}: the server is starting or stopping"
    if fatal:
        return f"the database at {where} refused the connection: {fatal['text'].strip()}"
    if "timeout expired" in text:
        wait = _seconds(max(2, limits.connect_timeout))  # libpq waits at least 2 s
        return f"cannot connect to the database at {where}: no answer within {wait}"
    if "Connection refused" in text:
        return f"cannot connect to the database at {where}: connection refused"
    if "resolve host" in text or "translate host name" in text:
        return f"cannot connect to the database at {where}: unknown host"
    return f"cannot connect to the database at {where}"


def _postgres_statement_sentence(sqlstate: str, orig: Any, limits: Limits) -> str:
    known = {
        "55P03": _held_too_long(limits),
        "40P01": "the database is busy: this change deadlocked with a concurrent one; try again",
        "40001": "the database is busy: a concurrent change conflicted with this one; try again",
        "57014": "the database is busy: the server canceled a statement that ran too long",
        "25006": "the database refused the write: it is read-only",
        "53100": "the database refused the write: the disk is full",
        "53200": "the database refused the operation: the server is out of memory",
        "42501": "the database refused the operation: permission denied",
    }
    if sqlstate in known:
        return known[sqlstate]
    if sqlstate.startswith("22"):
        # Data exceptions quote the value they refused: it may be a secret.
        return f"the database refused a value (SQLSTATE {sqlstate})"
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or ""
    detail = f": {_first_line(primary)}" if primary else ""
    return f"the database refused the operation{detail} (SQLSTATE {sqlstate})"


def _held_too_long(limits: Limits) -> str:
    return f"the database is busy: another writer held it for {_seconds(limits.busy_timeout)}"


def _address(engine: Engine) -> str:
    """``host:port`` of a server URL; never the user or the password."""
    url = engine.url
    if not url.host:
        return "the local socket"
    return f"{url.host}:{url.port or 5432}"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""
