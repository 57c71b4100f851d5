"""``StreamCore``: the one composition root that picks the implementations and wires them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self, cast

from blinker import Namespace

from streamcore.auth.passwords import Argon2Hasher, PasswordHasher
from streamcore.auth.repository import AuthUnitOfWork
from streamcore.auth.service import AuthService
from streamcore.clock import Clock, in_utc, utcnow
from streamcore.config import Settings
from streamcore.errors import InvalidInputError, SchemaOutdatedError, StorageError
from streamcore.events import EventPublisher, signals
from streamcore.listeners import AddNewMoviesToPlans, DefaultListeners, EmailNewMovies
from streamcore.mail import Mailer, mailer_for
from streamcore.movies.playback import PlaybackService
from streamcore.movies.secrets import PLAYBACK_KEY, SecretKeeper, SecretsUnitOfWork
from streamcore.movies.service import MovieService
from streamcore.movies.upload import MediaUploads
from streamcore.outbox import MailOutbox
from streamcore.storage import MEMORY_URL, Storage, StorageUnitOfWork, open_storage
from streamcore.subscriptions.service import (
    EntitlementService,
    PlanService,
    SubscriptionService,
    cancel_live_subscriptions,
)
from streamcore.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class StreamCore:
    """An opened streamcore: its services, its event signals, its storage.

    >>> with StreamCore.open("memory://") as core:
    ...     core.movies.list().total
    0
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        hasher: PasswordHasher | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        clock = in_utc(clock)
        grace = timedelta(days=settings.grace_days)
        self.settings = settings
        self.signals: Namespace = signals
        self.events = EventPublisher(sender=self)
        self.mailer = mailer or mailer_for(settings.smtp_url, settings.mail_from)
        # Mail goes out on the outbox's one thread: a write never waits on SMTP.
        self.mail_outbox = MailOutbox(self.mailer)
        self.storage: Storage = open_storage(settings.database_url, self.events.publish, settings)
        uow = self.storage.unit_of_work
        self.auth = AuthService(
            uow,
            hasher or Argon2Hasher(),
            token_ttl=timedelta(seconds=settings.token_ttl),
            clock=clock,
            on_user_deleted=[partial(_cancel_subscriptions, grace=grace)],
        )
        self.movies = MovieService(uow, clock=clock)
        self.plans = PlanService(uow, clock=clock, grace=grace)
        self.subscriptions = SubscriptionService(uow, clock=clock, grace=grace)
        self.entitlements = EntitlementService(uow, clock=clock, grace=grace)
        self.playback = PlaybackService(
            self.movies.get,
            self.entitlements.may_watch,
            media_root=settings.media_root,
            key=_playback_key(settings, uow),
            clock=clock,
            ttl=timedelta(seconds=settings.playback_ttl),
        )
        self.media = MediaUploads(
            self.movies.get,
            self.movies.update,
            media_root=settings.media_root,
            max_upload=settings.max_upload,
        )
        self.listeners = DefaultListeners(
            add_to_plans=AddNewMoviesToPlans(self.plans.add_new_movies),
            email_users=EmailNewMovies(self.auth.notification_recipients, self.mail_outbox),
            _sender=self,
            _publisher=self.events,
        )
        self.listeners.connect()

    @classmethod
    def open(
        cls,
        target: str | Settings | None = None,
        *,
        clock: Clock = utcnow,
        hasher: PasswordHasher | None = None,
        mailer: Mailer | None = None,
    ) -> StreamCore:
        """Open the storage at ``target`` (a URL, or ``Settings``; default: the defaults).

        ``clock``, ``hasher`` and ``mailer`` replace the real clock, the argon2id hasher and
        the mailer the settings pick (tests, embedding code). The default listeners are
        connected (``core.listeners``); their mail goes out through ``core.mail_outbox``
        (``core.mail_outbox.join()`` waits for it). Raises ``StorageError`` (including
        ``SchemaOutdatedError``) and ``InvalidInputError``.
        """
        if not isinstance(target, Settings):
            target = Settings(database_url=target) if target else Settings()
        return cls(target, clock=clock, hasher=hasher, mailer=mailer)

    def check_health(self) -> None:
        """Raise ``StorageError`` unless the storage answers."""
        self.storage.ping()

    def close(self) -> None:
        """Disconnect the default listeners, send the queued mail (bounded), close the storage.

        The mail is waited for at most ``mail_outbox.drain_seconds`` (10 s); what is still
        unsent then is dropped and logged. The storage closes last: a batch reads its
        recipients when it goes.
        """
        self.listeners.disconnect()
        try:
            self.mail_outbox.close()
        finally:
            self.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def upgrade_database(settings: Settings) -> tuple[str | None, str]:
    """Migrate the database of ``settings`` to the newest schema; return (before, after).

    Raises ``InvalidInputError`` for ``memory://`` (nothing to migrate), ``StorageError``.
    """
    from streamcore.storage.sql.migrate import current, head_revision, upgrade
    from streamcore.storage.sql.schema import REVISIONS

    with _sql_engine(settings, "migrate") as engine:
        before = current(engine)
        if before is not None and before not in REVISIONS:
            raise SchemaOutdatedError(
                f"the database is at revision {before}, newer than this streamcore knows: "
                "install a newer streamcore"
            )
        upgrade(engine)
        return before, head_revision()


def _playback_key(
    settings: Settings, uow: UnitOfWorkFactory[SecretsUnitOfWork]
) -> Callable[[], bytes]:
    """The configured secret key, or the database's own, generated on first use (SPEC §1)."""
    configured = settings.secret_key
    if configured is not None:
        key = configured.encode("utf-8")
        return lambda: key
    return SecretKeeper(uow, PLAYBACK_KEY)


def _cancel_subscriptions(
    uow: AuthUnitOfWork, user_id: int, now: datetime, *, grace: timedelta
) -> None:
    """Deleting a user cancels its live subscription, in the same unit of work."""
    cancel_live_subscriptions(cast(StorageUnitOfWork, uow), user_id, now, grace=grace)


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against this code."""

    current: str | None
    head: str
    state: Literal["up_to_date", "behind", "newer", "empty"]


def database_revision(settings: Settings) -> SchemaStatus:
    """The schema revision the database is at, the one this code needs, and how they compare."""
    from streamcore.storage.sql.engine import missing_sqlite_file
    from streamcore.storage.sql.migrate import current
    from streamcore.storage.sql.schema import REVISIONS, SCHEMA_REVISION

    with _sql_engine(settings, "read") as engine:
        revision = None if missing_sqlite_file(engine) else current(engine)
    if revision is None:
        state: Literal["up_to_date", "behind", "newer", "empty"] = "empty"
    elif revision == SCHEMA_REVISION:
        state = "up_to_date"
    else:
        state = "behind" if revision in REVISIONS else "newer"
    return SchemaStatus(revision, SCHEMA_REVISION, state)


@contextmanager
def _sql_engine(settings: Settings, verb: str) -> Iterator[Engine]:
    """An engine for a migration command; database failures leave as ``StorageError``."""
    if settings.database_url.startswith(MEMORY_URL):
        raise InvalidInputError.single("database_url", "memory:// has no schema to migrate")
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from streamcore.storage.sql.engine import make_engine
    from streamcore.storage.sql.failures import storage_error

    engine = make_engine(settings.database_url, settings)
    try:
        yield engine
    except SQLAlchemyError as exc:
        raise storage_error(exc, engine) from exc
    except CommandError as exc:  # Alembic's own refusals are one plain line
        reason = str(exc).strip().splitlines()[0]
        raise StorageError(f"cannot {verb} the database: {reason}") from exc
    finally:
        engine.dispose()
