"""Row locks for the SQL repositories: ``RowLock`` as ``FOR SHARE`` / ``FOR UPDATE``.

SQLite ignores both clauses: a writing unit of work there holds the database's write lock
(``BEGIN IMMEDIATE``) from its first statement, which already holds every row.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from streamcore.uow import RowLock


def locked(stmt: sa.Select[Any], lock: RowLock) -> sa.Select[Any]:
    """``stmt`` holding the rows it reads until the transaction ends."""
    return stmt.with_for_update(read=lock == "share")


def lock_variants(stmt: sa.Select[Any]) -> dict[RowLock | None, sa.Select[Any]]:
    """``stmt`` as is and with each lock, built once (building costs more than a lookup)."""
    return {None: stmt, "share": locked(stmt, "share"), "update": locked(stmt, "update")}
