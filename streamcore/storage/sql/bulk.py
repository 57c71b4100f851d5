"""Bulk inserts through the driver's ``executemany``, for imports of many thousand rows.

SQLAlchemy's own executemany builds and processes every parameter set in Python (~20 µs a
row); here the statement is compiled once, each column's bind processor is looked up once, and
the rows go to the driver as plain tuples (or dicts, for drivers with named parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` in one executemany."""
    if not rows:
        return
    names = list(rows[0])
    compiled = sa.insert(table).compile(dialect=conn.dialect, column_keys=names)
    columns = []  # the values column by column, each through its type's bind processor once
    for name in names:
        process = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        raw = [row[name] for row in rows]
        columns.append(raw if process is None else _processed(process, raw))
    params: list[Any]
    if compiled.positional:
        index = {name: i for i, name in enumerate(names)}
        ordered = [columns[index[name]] for name in compiled.positiontup or []]
        params = list(zip(*ordered, strict=True))
    else:
        params = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    conn.exec_driver_sql(str(compiled), params)


def _processed(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``process`` applied to each value; runs of one object (a batch's timestamp, None) once."""
    out: list[Any] = []
    last: Any = _UNSEEN
    last_out: Any = None
    for value in values:
        if value is not last:
            last, last_out = value, process(value)
        out.append(last_out)
    return out


_UNSEEN = object()
