"""Bulk inserts through the driver's ``executemany``, for imports of many thousand rows.

SQLAlchemy's own executemany builds and processes every parameter set in Python (~20 µs a
row); here the statement is compiled once, each column's bind processor is looked up once, and
the rows go to the driver as plain tuples (or dicts, for drivers with named parameters).
Callers that hold their data column by column (an import batch) pass the columns as they are:
no per-row dict is built only to be taken apart again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` in one executemany."""
    if rows:
        insert_columns(conn, table, {name: [row[name] for row in rows] for name in rows[0]})


Memo = dict[str, dict[int, tuple[object, Any]]]
"""Driver values already computed, per column, by the identity of the object they came from."""


def insert_columns(
    conn: Connection,
    table: sa.Table,
    columns: Mapping[str, Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
    memo: Memo | None = None,
) -> None:
    """Insert rows given column by column in one executemany.

    ``columns`` are sequences of one length, one item per row; ``constants`` are the columns
    every row shares (a batch's timestamp): converted for the driver once, not once a row.
    ``memo`` carries conversions over to later calls (an import's batches share tag lists).
    """
    constants = constants or {}
    memo = {} if memo is None else memo
    names = [*columns, *constants]
    count = len(next(iter(columns.values()), ()))
    if not count:
        return
    statement, order = _compiled(conn.dialect, table, tuple(names))
    values: dict[str, Sequence[Any]] = {}
    for name, given in columns.items():
        process = _processor(conn.dialect, table, name)
        if process is not None:
            given = _processed(process, given, memo.setdefault(name, {}))
        values[name] = given
    for name, value in constants.items():
        process = _processor(conn.dialect, table, name)
        values[name] = [value if process is None else process(value)] * count
    params: list[Any]
    if order is not None:
        params = list(zip(*(values[name] for name in order), strict=True))
    else:
        rows = zip(*(values[name] for name in names), strict=True)
        params = [dict(zip(names, row, strict=True)) for row in rows]
    conn.exec_driver_sql(statement, params)


@lru_cache(maxsize=64)
def _compiled(
    dialect: Dialect, table: sa.Table, names: tuple[str, ...]
) -> tuple[str, tuple[str, ...] | None]:
    """The INSERT's SQL, and the order of its parameters for positional drivers (else None)."""
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=list(names))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return str(compiled), order


@lru_cache(maxsize=256)
def _processor(dialect: Dialect, table: sa.Table, name: str) -> Callable[[Any], Any] | None:
    processor: Callable[[Any], Any] | None = (
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    )
    return processor


def _processed(
    process: Callable[[Any], Any], values: Sequence[Any], done: dict[int, tuple[object, Any]]
) -> list[Any]:
    """``process`` applied to each value, once per distinct object.

    Rows may share objects (a batch's tag lists, when the caller shares them): those are
    converted once. Objects are told apart by identity, never by equality, so ``1`` and
    ``True`` (equal, but not the same value for a driver) never share a result; ``done`` keeps
    each object it has seen, so no id is reused for another object while it is in use.
    """
    out: list[Any] = []
    for value in values:
        known = done.get(id(value))
        if known is None or known[0] is not value:
            known = done[id(value)] = (value, process(value))
        out.append(known[1])
    return out
