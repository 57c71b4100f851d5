"""Alembic environment: runs online in the connection and transaction streamcore hands over."""

from __future__ import annotations

from alembic import context

from streamcore.storage.sql.migrate import CONNECTION_ATTRIBUTE
from streamcore.storage.sql.schema import metadata

config = context.config
connection = config.attributes.get(CONNECTION_ATTRIBUTE)
if connection is None:  # pragma: no cover - streamcore always passes its connection
    raise RuntimeError("run migrations through `streamcore db upgrade`")

# The connection is already inside the transaction that holds the write lock (migrate.py):
# Alembic sees an external transaction and neither begins nor commits one of its own, so all
# the migrations commit together, and on SQLite too (which Alembic treats as non-transactional).
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
