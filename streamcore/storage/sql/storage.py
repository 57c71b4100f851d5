"""``SqlStorage``: an engine, the schema check, and the SQL unit of work."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from streamcore.errors import SchemaOutdatedError, StorageError
from streamcore.storage.sql.auth import (
    SqlLoginAttemptRepository,
    SqlTokenRepository,
    SqlUserRepository,
)
from streamcore.storage.sql.engine import WRITE_OPTION, make_engine
from streamcore.storage.sql.movies import SqlMovieRepository
from streamcore.storage.sql.schema import REVISIONS, SCHEMA_REVISION
from streamcore.storage.sql.subscriptions import (
    SqlEntitlementRepository,
    SqlPaymentRepository,
    SqlPlanRepository,
    SqlSubscriptionRepository,
)
from streamcore.uow import EventCollector, Publish

UPGRADE_HINT = "run `streamcore db upgrade`"


class SqlStorage:
    """A SQL database with an up-to-date schema."""

    def __init__(self, engine: Engine, publish: Publish) -> None:
        self.engine = engine
        self._publish = publish

    @classmethod
    def open(cls, url: str, publish: Publish) -> SqlStorage:
        """Connect and check the schema; a new SQLite database is migrated on first use."""
        engine = make_engine(url)
        try:
            ensure_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, publish)

    def unit_of_work(self, *, readonly: bool = False) -> SqlUnitOfWork:
        """Open one transaction over every repository."""
        return SqlUnitOfWork(self.engine, self._publish, readonly=readonly)

    def ping(self) -> None:
        """Raise ``StorageError`` unless the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StorageError(f"the database does not answer: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class SqlUnitOfWork(EventCollector):
    """One connection and one transaction; driver errors leave as ``StorageError``."""

    def __init__(self, engine: Engine, publish: Publish, *, readonly: bool) -> None:
        super().__init__(publish)
        self._engine = engine
        self._readonly = readonly
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        try:
            conn = self._engine.connect()
            conn.execution_options(**self._options())
            conn.begin()
        except SQLAlchemyError as exc:
            raise _storage_error(exc) from exc
        self._conn = conn
        self.movies = SqlMovieRepository(conn)
        self.users = SqlUserRepository(conn)
        self.tokens = SqlTokenRepository(conn)
        self.login_attempts = SqlLoginAttemptRepository(conn)
        self.plans = SqlPlanRepository(conn)
        self.subscriptions = SqlSubscriptionRepository(conn)
        self.payments = SqlPaymentRepository(conn)
        self.entitlements = SqlEntitlementRepository(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()  # rolls back whatever was not committed
            except SQLAlchemyError:
                if exc is None:
                    raise
        self._flush_events()
        if isinstance(exc, SQLAlchemyError):
            raise _storage_error(exc) from exc

    def _options(self) -> dict[str, bool]:
        # PostgreSQL: BEGIN READ ONLY for readers (SQLite: query_only, in the begin hook).
        options = {WRITE_OPTION: not self._readonly}
        if self._engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = self._readonly
        return options

    def commit(self) -> None:
        """Commit the transaction; events go out when the block closes."""
        if self._conn is None or self._readonly:
            raise StorageError("commit outside a writing unit of work")
        try:
            self._conn.commit()
        except SQLAlchemyError as exc:
            raise _storage_error(exc) from exc
        self._mark_committed()


def _storage_error(exc: SQLAlchemyError) -> StorageError:
    reason = type(exc.orig).__name__ if isinstance(exc, DBAPIError) else type(exc).__name__
    return StorageError(f"the database refused the operation ({reason}): {_first_line(exc)}")


def _first_line(exc: SQLAlchemyError) -> str:
    text = str(exc.orig if isinstance(exc, DBAPIError) else exc)
    return text.strip().splitlines()[0] if text.strip() else ""


def schema_revision(conn: Connection) -> str | None:
    """The revision recorded in ``alembic_version``, or ``None`` for an unversioned database."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Pass when the schema is current; migrate a new SQLite file; otherwise say what to run."""
    try:
        with engine.connect() as conn:
            revision = schema_revision(conn)
            empty = revision is None and not sa.inspect(conn).get_table_names()
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the database: {_first_line(exc)}") from exc
    if revision == SCHEMA_REVISION:
        return
    if empty and engine.dialect.name == "sqlite":
        from streamcore.storage.sql.migrate import upgrade

        upgrade(engine)
        return
    if revision is not None and revision not in REVISIONS:
        raise SchemaOutdatedError(
            f"the database is at revision {revision}, newer than this streamcore knows "
            f"(it needs {SCHEMA_REVISION}): install a newer streamcore"
        )
    found = "has no streamcore schema" if revision is None else f"is at revision {revision}"
    raise SchemaOutdatedError(
        f"the database {found}; this streamcore needs {SCHEMA_REVISION}: {UPGRADE_HINT}"
    )
