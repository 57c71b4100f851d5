"""Alembic, driven from code: ``upgrade`` and ``current``. Imported only when migrating.

Every migration runs in one transaction that holds the database's write lock from start to end
(SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock beside transactional DDL). So two
processes that migrate one database at once take turns, and the second finds nothing to do;
a reader meanwhile sees the schema as it was before, or as it is after, never half-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from streamcore.storage.sql.engine import WRITE_OPTION
from streamcore.storage.sql.storage import schema_revision

SCRIPT_LOCATION = "streamcore.storage:migrations"
CONNECTION_ATTRIBUTE = "connection"
"""Where ``env.py`` finds the connection, already in its locked transaction."""
# Any fixed 64-bit number, the same in every streamcore: "streamcore migrates this database".
POSTGRES_MIGRATION_LOCK = 0x73_74_72_65_61_6D_63_6F


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes[CONNECTION_ATTRIBUTE] = connection
    return config


def head_revision() -> str:
    """The newest migration shipped with this streamcore."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships no migration"
    return head


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision``, in one locked transaction."""
    with locked_transaction(engine) as conn:
        upgrade_in(conn, revision)


def upgrade_in(conn: Connection, revision: str = "head") -> None:
    """Migrate inside ``conn``'s transaction, which the caller opened and will commit."""
    command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (used by tests of the migrations)."""
    with locked_transaction(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` when it has none."""
    with engine.connect() as conn:
        return schema_revision(conn)


@contextmanager
def locked_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock; commits on success."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": POSTGRES_MIGRATION_LOCK},
                )
            yield conn
