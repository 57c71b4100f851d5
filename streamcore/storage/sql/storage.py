"""``SqlStorage``: an engine, the schema check, and the SQL unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, Self, TypeVar, cast, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from streamcore.config import Settings
from streamcore.errors import SchemaOutdatedError, StorageError
from streamcore.storage.sql.auth import (
    SqlLoginAttemptRepository,
    SqlTokenRepository,
    SqlUserRepository,
)
from streamcore.storage.sql.engine import WRITE_OPTION, make_engine
from streamcore.storage.sql.failures import storage_error
from streamcore.storage.sql.link import Link
from streamcore.storage.sql.movies import SqlMovieRepository
from streamcore.storage.sql.schema import REVISIONS, SCHEMA_REVISION
from streamcore.storage.sql.secrets import SqlSecretRepository
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
    def open(cls, url: str, publish: Publish, settings: Settings | None = None) -> SqlStorage:
        """Connect and check the schema; a new SQLite database is migrated on first use.

        ``settings`` gives the pool and timeout limits (``db_*``); its URL is not used.
        """
        engine = make_engine(url, settings)
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
            raise storage_error(exc, self.engine) from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


R = TypeVar("R")


class _Repository(Generic[R]):
    """A repository of a unit of work, made on first use over the unit of work's link."""

    def __init__(self, make: Callable[[Link], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> Self | R:
        if uow is None:
            return self
        made = uow._made
        repository = made.get(self._name)
        if repository is None:
            repository = made[self._name] = self._make(uow._open_link())
        return cast(R, repository)


class SqlUnitOfWork(EventCollector):
    """One connection and one transaction; driver errors leave as ``StorageError``.

    Repositories are made on first use: a reader that asks one movie makes one repository,
    not eight, and never a SQLAlchemy ``Connection`` unless a repository needs one (link.py).
    """

    def __init__(self, engine: Engine, publish: Publish, *, readonly: bool) -> None:
        super().__init__(publish)
        self._engine = engine
        self._readonly = readonly
        self._link: Link | None = None
        self._made: dict[str, object] = {}

    def __enter__(self) -> Self:
        try:
            self._link = Link.open(self._engine, write=not self._readonly)
        except SQLAlchemyError as exc:
            raise storage_error(exc, self._engine) from exc
        self._made = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        link, self._link = self._link, None
        failure = exc if isinstance(exc, SQLAlchemyError) else None
        if link is not None:
            try:
                link.close()  # rolls back whatever was not committed
            except SQLAlchemyError as close_error:
                failure = close_error if exc is None else failure
        self._flush_events()
        if failure is not None:
            raise storage_error(failure, self._engine) from failure

    def commit(self) -> None:
        """Commit the transaction; events go out when the block closes."""
        if self._link is None or self._readonly:
            raise StorageError("commit outside a writing unit of work")
        try:
            self._link.commit()
        except SQLAlchemyError as exc:
            raise storage_error(exc, self._engine) from exc
        self._mark_committed()

    movies = _Repository(SqlMovieRepository)
    users = _Repository(lambda link: SqlUserRepository(link.connection))
    tokens = _Repository(SqlTokenRepository)
    login_attempts = _Repository(lambda link: SqlLoginAttemptRepository(link.connection))
    plans = _Repository(lambda link: SqlPlanRepository(link.connection))
    subscriptions = _Repository(lambda link: SqlSubscriptionRepository(link.connection))
    payments = _Repository(lambda link: SqlPaymentRepository(link.connection))
    entitlements = _Repository(lambda link: SqlEntitlementRepository(link.connection))
    secrets = _Repository(lambda link: SqlSecretRepository(link.connection))

    def _open_link(self) -> Link:
        if self._link is None:
            raise StorageError("a repository used outside its unit of work")
        return self._link


def schema_revision(conn: Connection) -> str | None:
    """The revision recorded in ``alembic_version``, or ``None`` for an unversioned database."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Pass when the schema is current; migrate a new SQLite file; otherwise say what to run.

    A new SQLite file is checked again and migrated under SQLite's write lock, so that of many
    processes opening it at once one migrates and the others wait, then find it current.
    """
    try:
        state = _schema_state(engine)
        if state.revision != SCHEMA_REVISION and state.empty and engine.dialect.name == "sqlite":
            state = _migrate_if_still_empty(engine)
    except SQLAlchemyError as exc:
        raise storage_error(exc, engine) from exc
    if state.revision == SCHEMA_REVISION:
        return
    revision = state.revision
    if revision is not None and revision not in REVISIONS:
        raise SchemaOutdatedError(
            f"the database is at revision {revision}, newer than this streamcore knows "
            f"(it needs {SCHEMA_REVISION}): install a newer streamcore"
        )
    found = "has no streamcore schema" if revision is None else f"is at revision {revision}"
    raise SchemaOutdatedError(
        f"the database {found}; this streamcore needs {SCHEMA_REVISION}: {UPGRADE_HINT}"
    )


@dataclass(frozen=True, slots=True)
class _SchemaState:
    revision: str | None
    empty: bool  # no table at all: a new database


def _schema_state(engine: Engine) -> _SchemaState:
    with engine.connect() as conn:
        return _read_schema_state(conn)


def _read_schema_state(conn: Connection) -> _SchemaState:
    # One transaction (BEGIN on the first read): both answers come from one snapshot.
    revision = schema_revision(conn)
    return _SchemaState(revision, revision is None and not sa.inspect(conn).get_table_names())


def _migrate_if_still_empty(engine: Engine) -> _SchemaState:
    """Take the write lock, look again, and migrate only a database that is still empty."""
    from streamcore.storage.sql.migrate import upgrade_in

    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            state = _read_schema_state(conn)
            if not state.empty:
                return state  # another process migrated it while we waited for the lock
            upgrade_in(conn)
            return _read_schema_state(conn)
