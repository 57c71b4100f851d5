"""A unit of work's hold on the database, and lookups sent straight to the driver.

Opening, beginning, executing on and closing a SQLAlchemy ``Connection`` costs several times
what SQLite spends on a primary-key lookup (decision 100). So a reading unit of work checks a
connection out of the pool and begins its read-only transaction through the driver, and makes
a ``Connection`` over that same connection and transaction only when a repository needs one.
The hottest reads (``Lookup``: a movie by id, the user of a token) are rendered once per
dialect and sent to the driver directly, their parameters and rows passed through the column
types' own SQLAlchemy processors, so they decode exactly as SQLAlchemy would decode them.
Driver errors are wrapped as SQLAlchemy wraps them, so the unit of work translates them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

from streamcore.errors import StorageError
from streamcore.storage.sql.engine import WRITE_OPTION, begin_reader, begins_readers

Processor = Callable[[Any], Any]
Row = tuple[Any, ...]


class Lookup:
    """A SELECT of at most one row, rendered once per dialect and run by ``Link.first``."""

    __slots__ = ("_rendered", "names", "statement")

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self.names = tuple(str(column.key) for column in statement.selected_columns)
        """The selected columns' names, in the order of a row's values."""
        self._rendered: WeakKeyDictionary[Dialect, _Rendered] = WeakKeyDictionary()

    def rendered(self, dialect: Dialect) -> _Rendered:
        """The SQL text and the type processors of this lookup for ``dialect``."""
        rendered = self._rendered.get(dialect)
        if rendered is None:
            rendered = self._rendered[dialect] = _Rendered.of(self.statement, dialect)
        return rendered


@dataclass(frozen=True, slots=True)
class _Rendered:
    sql: str
    order: tuple[str, ...] | None  # the parameters' order for a positional paramstyle
    binds: tuple[tuple[str, Processor], ...]
    results: tuple[tuple[int, Processor], ...]

    @classmethod
    def of(cls, statement: sa.Select[Any], dialect: Dialect) -> _Rendered:
        compiled = statement.compile(dialect=dialect)
        binds = []
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds.append((name, process))
        results = []
        for index, column in enumerate(statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((index, process))
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        return cls(str(compiled), order, tuple(binds), tuple(results))

    def parameters(self, values: Mapping[str, Any]) -> Mapping[str, Any] | Row:
        """``values`` through the bind processors, in the form the driver's paramstyle takes."""
        if self.binds:
            values = dict(values)
            for name, process in self.binds:
                values[name] = process(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def row(self, raw: Row) -> Row | list[Any]:
        """A driver's row through the result processors."""
        if not self.results:
            return raw
        row = list(raw)
        for index, process in self.results:
            row[index] = process(row[index])
        return row


class Link:
    """One pooled connection in one transaction; a SQLAlchemy ``Connection`` over it on demand.

    A writer's link holds a ``Connection`` from the start (its ``begin`` event takes SQLite's
    write lock). A reader's begins through the driver (``engine.begin_reader``) on SQLite and
    PostgreSQL, and like a writer's on any other database.
    """

    __slots__ = ("_connection", "_dbapi_error", "_dialect", "_engine", "_pooled", "_writer")

    def __init__(
        self,
        engine: Engine,
        pooled: PoolProxiedConnection,
        connection: Connection | None,
        *,
        writer: bool,
    ) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._pooled: PoolProxiedConnection | None = pooled
        self._connection = connection
        self._writer = writer

    @classmethod
    def open(cls, engine: Engine, *, write: bool) -> Link:
        """Check a connection out and begin; failures leave as ``SQLAlchemyError``."""
        if write or not begins_readers(engine.dialect):
            connection = engine.connect()
            try:
                connection.execution_options(**{WRITE_OPTION: write})
                connection.begin()
            except BaseException:
                connection.close()
                raise
            return cls(engine, connection.connection, connection, writer=write)
        try:
            pooled = engine.raw_connection()
        except engine.dialect.loaded_dbapi.Error as exc:  # the connection itself failed
            raise wrapped(exc, None, engine.dialect) from exc
        try:
            begin_reader(pooled, engine.dialect)
        except BaseException:
            pooled.invalidate()  # in an unknown state: never handed out again
            raise
        return cls(engine, pooled, None, writer=False)

    @classmethod
    def over(cls, connection: Connection) -> Link:
        """A link over a ``Connection`` that its owner will close."""
        if not connection.in_transaction():
            connection.begin()  # as its first statement would: the driver's lookups join it
        return cls(connection.engine, connection.connection, connection, writer=False)

    @property
    def connection(self) -> Connection:
        """The SQLAlchemy ``Connection`` of this transaction, made on first use."""
        connection = self._connection
        if connection is None:
            self._driver()  # still open
            assert self._pooled is not None
            connection = Connection(self._engine, self._pooled)
            # Its ``begin`` event finds the transaction the reader began and leaves it be.
            connection.execution_options(**{WRITE_OPTION: False})
            self._connection = connection
        return connection

    def first(self, lookup: Lookup, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of ``lookup`` with these parameters, decoded and by name, or ``None``."""
        rendered = lookup.rendered(self._dialect)
        driver = self._driver()
        cursor = driver.cursor()
        try:
            cursor.execute(rendered.sql, rendered.parameters(values))
            raw = cursor.fetchone()
        except self._dbapi_error as exc:
            raise self._failed(exc, rendered.sql, driver, cursor) from exc
        cursor.close()
        return None if raw is None else dict(zip(lookup.names, rendered.row(raw), strict=True))

    def commit(self) -> None:
        """Commit a writer's transaction; failures leave as ``SQLAlchemyError``."""
        if self._connection is None or not self._writer:
            raise StorageError("commit outside a writing unit of work")
        self._connection.commit()

    def close(self) -> None:
        """Roll back what was not committed and give the connection back to the pool."""
        pooled, self._pooled = self._pooled, None
        connection, self._connection = self._connection, None
        if pooled is None:
            return
        driver: Any = pooled.dbapi_connection  # None once invalidated (and returned)
        if not self._writer and driver is not None:
            # Begun through the driver, so rolled back through it (a no-op if none is open).
            try:
                driver.rollback()
            except self._dbapi_error as exc:
                self._invalidate(pooled, connection, exc)
                if connection is not None:
                    connection.close()
                raise wrapped(exc, "ROLLBACK", self._dialect) from exc
        if connection is not None:
            connection.close()  # rolls back whatever its own transaction holds
        elif driver is not None:
            pooled.close()

    def _driver(self) -> Any:
        pooled = self._pooled
        driver = None if pooled is None else pooled.dbapi_connection
        if driver is None:
            raise StorageError("this unit of work is closed or has lost its connection")
        return driver

    def _failed(self, exc: Exception, statement: str, driver: Any, cursor: Any) -> DBAPIError:
        """Wrap a driver error; a connection it shows dead is never handed out again."""
        lost = self._dialect.is_disconnect(exc, driver, cursor)  # type: ignore[arg-type]
        with suppress(self._dbapi_error):
            cursor.close()
        if lost:
            assert self._pooled is not None
            self._invalidate(self._pooled, self._connection, exc)
        return wrapped(exc, statement, self._dialect, lost=lost)

    @staticmethod
    def _invalidate(
        pooled: PoolProxiedConnection, connection: Connection | None, exc: Exception
    ) -> None:
        if connection is not None:
            connection.invalidate(exc)
        else:
            pooled.invalidate(exc)


def wrapped(
    exc: Exception, statement: str | None, dialect: Dialect, *, lost: bool = False
) -> DBAPIError:
    """The SQLAlchemy exception that SQLAlchemy itself raises for this driver error."""
    error = DBAPIError.instance(
        statement,
        None,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=lost,
        dialect=dialect,
    )
    assert isinstance(error, DBAPIError)
    return error
