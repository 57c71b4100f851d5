"""Alembic, driven from code: ``upgrade`` and ``current``. Imported only when migrating."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from streamcore.storage.sql.storage import schema_revision

SCRIPT_LOCATION = "streamcore.storage:migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration shipped with this streamcore."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships no migration"
    return head


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision``, in one transaction where the database allows."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (used by tests of the migrations)."""
    command.downgrade(alembic_config(engine), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` when it has none."""
    with engine.connect() as conn:
        return schema_revision(conn)
