"""Constraint violations, told apart by the constraint's name, as the domain's errors.

The one place that decides what a refused insert or update means: a unique constraint that a
domain rule stands on is that rule's conflict; a foreign key is an ``InvalidInputError`` naming
the field (never a conflict); anything else is a ``StorageError``. PostgreSQL names the
constraint (``diag.constraint_name``); SQLite names the columns of a unique one
(``UNIQUE constraint failed: movies.title_key, movies.year``), which ``schema.py`` maps to the
name, and names no foreign key at all, so the referenced rows are looked up.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from streamcore.auth.errors import DuplicateEmailError
from streamcore.errors import InvalidInputError, StorageError, StreamcoreError
from streamcore.movies.errors import DuplicateMovieError
from streamcore.storage.sql.schema import metadata
from streamcore.subscriptions.errors import (
    DuplicatePlanError,
    LiveSubscriptionExistsError,
    PaymentConflictError,
)

Row = Mapping[str, Any]
"""The column values of the refused insert or update."""

CONFLICTS: dict[str, Callable[[Row], StreamcoreError]] = {
    "uq_users_email": lambda row: DuplicateEmailError(str(row.get("email"))),
    "uq_plans_name_live": lambda row: DuplicatePlanError(str(row.get("name"))),
    "uq_subscriptions_user_id_open": lambda row: LiveSubscriptionExistsError(row["user_id"]),
    "uq_payments_reference": lambda row: PaymentConflictError(str(row.get("reference"))),
    "uq_movies_title_year_live": lambda row: DuplicateMovieError(row.get("title"), row.get("year")),
}
"""Each unique constraint a domain rule stands on, and the rule's conflict."""

Kind = Literal["unique", "foreign_key", "other"]


@dataclass(frozen=True, slots=True)
class Violation:
    """Which constraint refused a change: its kind and, when known, its name."""

    kind: Kind
    constraint: str | None = None


def integrity_failure(
    exc: IntegrityError, table: sa.Table, row: Row, conn: Connection | None = None
) -> StreamcoreError:
    """The error for ``exc``, raised by a change of ``row`` in ``table`` (raise it ``from exc``).

    ``conn`` (the connection of the change) lets SQLite tell which foreign key failed.
    """
    violation = violation_of(exc, table, row, conn)
    if violation.kind == "unique" and violation.constraint in CONFLICTS:
        return CONFLICTS[violation.constraint](row)
    if violation.kind == "foreign_key" and violation.constraint:
        return _missing_reference(violation.constraint, table, row)
    return StorageError(refusal_sentence(violation))


def refusal_sentence(violation: Violation) -> str:
    """The sentence for a violation no domain rule owns."""
    if violation.kind == "foreign_key":
        return "the database refused the change: it refers to a row that does not exist"
    rule = f"the rule {violation.constraint}" if violation.constraint else "a rule of the schema"
    return f"the database refused the change: it breaks {rule}"


def violation_of(
    exc: IntegrityError,
    table: sa.Table | None = None,
    row: Row | None = None,
    conn: Connection | None = None,
) -> Violation:
    """Name the constraint behind ``exc``, from PostgreSQL's diagnostics or SQLite's message.

    SQLite names no foreign key: ``table``, ``row`` and ``conn`` let it be found.
    """
    orig: Any = exc.orig
    if isinstance(orig, sqlite3.Error):
        return _sqlite_violation(str(orig), table, row, conn)
    sqlstate = getattr(orig, "sqlstate", None)
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    kinds: dict[str, Kind] = {"23505": "unique", "23503": "foreign_key"}
    kind = kinds.get(sqlstate or "", "other")
    return Violation(kind, name)


_UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)")
_UNIQUE_INDEX_FAILED = re.compile(r"UNIQUE constraint failed: index '(?P<name>[^']+)'")


def _sqlite_violation(
    message: str, table: sa.Table | None, row: Row | None, conn: Connection | None
) -> Violation:
    if "FOREIGN KEY constraint failed" in message:
        return Violation("foreign_key", _sqlite_failed_foreign_key(table, row, conn))
    by_index = _UNIQUE_INDEX_FAILED.search(message)
    if by_index:
        return Violation("unique", by_index["name"])
    unique = _UNIQUE_FAILED.search(message)
    if unique:
        columns = tuple(part.strip() for part in unique["columns"].split(","))
        return Violation("unique", _UNIQUE_BY_COLUMNS.get(columns))
    return Violation("other")


def _sqlite_failed_foreign_key(
    table: sa.Table | None, row: Row | None, conn: Connection | None
) -> str | None:
    """The first foreign key of ``row`` whose row does not exist (SQLite does not say which)."""
    if table is None or row is None or conn is None:
        return None
    for fk in _foreign_keys(table):
        column = fk.columns[0].name
        if row.get(column) is None:
            continue
        target = fk.elements[0].column
        try:
            found = conn.execute(sa.select(target).where(target == row[column])).first()
        except SQLAlchemyError:
            return None
        if found is None:
            return fk.name if isinstance(fk.name, str) else None
    return None


def _missing_reference(constraint: str, table: sa.Table, row: Row) -> StreamcoreError:
    """``user_id: user 99 does not exist``, for the foreign key of ``table`` named so."""
    fk = next((fk for fk in _foreign_keys(table) if fk.name == constraint), None)
    if fk is None:
        # A key of another table: a row of it still refers to the row this change removes.
        return StorageError("the database refused the change: other rows still refer to it")
    column = fk.columns[0].name
    noun = fk.referred_table.name.removesuffix("s")
    return InvalidInputError.single(column, f"{noun} {row.get(column)} does not exist")


def _foreign_keys(table: sa.Table) -> list[sa.ForeignKeyConstraint]:
    """The table's single-column foreign keys, in the order of their columns."""
    order = {column.name: index for index, column in enumerate(table.columns)}
    keys = [fk for fk in table.foreign_key_constraints if len(fk.columns) == 1]
    return sorted(keys, key=lambda fk: order[fk.columns[0].name])


def _unique_by_columns() -> dict[tuple[str, ...], str]:
    """``("movies.title_key", "movies.year") -> "uq_movies_title_year_live"``, from the schema."""
    names: dict[tuple[str, ...], str] = {}
    for table in metadata.tables.values():
        keyed: list[tuple[Any, Any]] = [(table.primary_key.name, table.primary_key.columns)]
        keyed += [(index.name, index.columns) for index in table.indexes if index.unique]
        keyed += [
            (constraint.name, constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint)
        ]
        for name, columns in keyed:
            if isinstance(name, str):
                names[tuple(f"{table.name}.{column.name}" for column in columns)] = name
    return names


_UNIQUE_BY_COLUMNS = _unique_by_columns()
