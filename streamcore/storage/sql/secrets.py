"""SQL repository of named secrets: insert-if-absent, then read back what was stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from streamcore.storage.sql.schema import secrets

_READ = sa.select(secrets.c.value).where(secrets.c.name == sa.bindparam("name"))


class SqlSecretRepository:
    """``SecretRepository`` over SQLAlchemy Core; never commits."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret ``name``; absent, ``make()`` is inserted unless another writer was first."""
        found = self._read(name)
        if found is not None:
            return found
        # ON CONFLICT DO NOTHING: a writer that lost the race keeps its transaction usable and
        # reads the winner's row (PostgreSQL waits for the winner's commit; SQLite's writer
        # lock means there is no race at all inside it).
        self._conn.execute(
            _insert_if_absent(self._conn.dialect.name).values(
                name=name, value=make(), created_at=datetime.now(UTC)
            )
        )
        stored = self._read(name)
        assert stored is not None  # inserted just now, or by the writer that won
        return stored

    def _read(self, name: str) -> bytes | None:
        value = self._conn.execute(_READ, {"name": name}).scalar()
        return None if value is None else bytes(value)


def _insert_if_absent(dialect: str) -> sa.Insert:
    if dialect == "postgresql":
        return postgresql.insert(secrets).on_conflict_do_nothing(index_elements=["name"])
    if dialect == "sqlite":
        return sqlite.insert(secrets).on_conflict_do_nothing(index_elements=["name"])
    return sa.insert(secrets)  # another database: a lost race is its IntegrityError
