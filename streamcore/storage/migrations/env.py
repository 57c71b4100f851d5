"""Alembic environment: runs online against the engine streamcore hands over."""

from __future__ import annotations

from alembic import context

from streamcore.storage.sql.engine import WRITE_OPTION
from streamcore.storage.sql.schema import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - streamcore always passes its engine
    raise RuntimeError("run migrations through `streamcore db upgrade`")

# A writing transaction (SQLite: BEGIN IMMEDIATE): a second process that migrates the same new
# file waits, then finds the schema current and does nothing.
with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()
