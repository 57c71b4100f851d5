"""The in-process event bus: blinker signals, their typed payloads, publish-after-commit.

Every committed change emits one immutable event on the signal of its name. A receiver is called
as ``receiver(sender, event=event)`` where ``sender`` is the ``StreamCore`` that made the change,
so code that embeds several cores can listen to one (``signal.connect(fn, sender=core)``).
Events are published only after the unit of work commits (see ``streamcore.uow``); a receiver
that raises is logged and neither undoes the write nor stops the other receivers. The log
record is one line at ERROR; it carries the traceback only when DEBUG is enabled for the logger
(``log_failure``), so a CLI or a server at its default level prints one line, not forty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from blinker import NamedSignal, Namespace

logger = logging.getLogger(__name__)

MAX_FAILURE_TEXT = 300
"""How much of an exception's message a failure line quotes (one line, never a whole value)."""


def describe_failure(exc: BaseException) -> str:
    """``Type: message`` of an exception, on one line and at most ``MAX_FAILURE_TEXT`` long."""
    text = " ".join(str(exc).split())
    if len(text) > MAX_FAILURE_TEXT:
        text = text[: MAX_FAILURE_TEXT - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def log_failure(log: logging.Logger, what: str, exc: BaseException, outcome: str) -> None:
    """Log that ``what`` failed with ``exc``: one ERROR line, the traceback only at DEBUG."""
    traceback = exc if log.isEnabledFor(logging.DEBUG) else None
    log.error("%s failed: %s; %s", what, describe_failure(exc), outcome, exc_info=traceback)


signals = Namespace()
"""Our own namespace, so tests and embedding code connect and disconnect without globals."""

user_registered = signals.signal("user_registered")
user_updated = signals.signal("user_updated")
user_deleted = signals.signal("user_deleted")
movie_created = signals.signal("movie_created")
movie_updated = signals.signal("movie_updated")
movie_deleted = signals.signal("movie_deleted")
movie_restored = signals.signal("movie_restored")
plan_created = signals.signal("plan_created")
plan_updated = signals.signal("plan_updated")
plan_deleted = signals.signal("plan_deleted")
subscription_created = signals.signal("subscription_created")
subscription_updated = signals.signal("subscription_updated")
subscription_canceled = signals.signal("subscription_canceled")
payment_recorded = signals.signal("payment_recorded")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every payload: when the change committed its data."""

    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MovieCreated(Event):
    """A movie was added to the catalogue (also once per row of a bulk import)."""

    movie_id: int
    title: str
    year: int
    genres: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MovieUpdated(Event):
    """A movie's fields changed; ``changed`` names them."""

    movie_id: int
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MovieDeleted(Event):
    """A movie was soft-deleted."""

    movie_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MovieRestored(Event):
    """A soft-deleted movie was restored."""

    movie_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRegistered(Event):
    """A user was created: by sign-up or by an administrator."""

    user_id: int
    email: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserUpdated(Event):
    """A user's fields changed (also its password, or a restore); ``changed`` names them."""

    user_id: int
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDeleted(Event):
    """A user was soft-deleted; its tokens are revoked."""

    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanCreated(Event):
    """A plan was created."""

    plan_id: int
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanUpdated(Event):
    """A plan's fields changed, or its movies (``changed`` holds "movies")."""

    plan_id: int
    changed: tuple[str, ...]
    movie_ids_added: tuple[int, ...] = ()
    movie_ids_removed: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDeleted(Event):
    """A plan was deleted."""

    plan_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionCreated(Event):
    """A user subscribed to a plan."""

    subscription_id: int
    user_id: int
    plan_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionUpdated(Event):
    """A subscription changed plan or was paid for; ``changed`` names the fields."""

    subscription_id: int
    user_id: int
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionCanceled(Event):
    """A subscription was canceled (by its user, an administrator, or the user's deletion)."""

    subscription_id: int
    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRecorded(Event):
    """A new payment was recorded (never sent for a replayed reference)."""

    payment_id: int
    subscription_id: int
    amount: Decimal
    currency: str
    reference: str
    period_end: datetime


SIGNAL_OF: dict[type[Event], NamedSignal] = {
    UserRegistered: user_registered,
    UserUpdated: user_updated,
    UserDeleted: user_deleted,
    PlanCreated: plan_created,
    PlanUpdated: plan_updated,
    PlanDeleted: plan_deleted,
    SubscriptionCreated: subscription_created,
    SubscriptionUpdated: subscription_updated,
    SubscriptionCanceled: subscription_canceled,
    PaymentRecorded: payment_recorded,
    MovieCreated: movie_created,
    MovieUpdated: movie_updated,
    MovieDeleted: movie_deleted,
    MovieRestored: movie_restored,
}
"""Which signal carries which payload type."""


class EventPublisher:
    """Sends committed events to the receivers of their signal, isolating each receiver.

    ``after_batch`` hooks run once after all the events of one commit went out: receivers
    that work in batches (one mail for a whole import) collect, then do the work there.
    """

    def __init__(self, sender: object) -> None:
        self.sender = sender
        self.after_batch: list[Callable[[], None]] = []

    def publish(self, events: Iterable[Event]) -> None:
        """Send each event, then run the batch hooks; failures are logged, never raised."""
        self._send(events)
        for hook in self.after_batch:
            try:
                hook()
            except Exception as exc:
                log_failure(
                    logger, f"after-batch hook {_name(hook)}", exc, "the change stays committed"
                )

    def _send(self, events: Iterable[Event]) -> None:
        # Receivers are looked up once per signal per batch: an import sends one event a row.
        receivers: dict[NamedSignal, list[Callable[..., object]]] = {}
        for event in events:
            signal = SIGNAL_OF[type(event)]
            if signal not in receivers:
                receivers[signal] = list(signal.receivers_for(self.sender))
            for receiver in receivers[signal]:
                try:
                    receiver(self.sender, event=event)
                except Exception as exc:
                    log_failure(
                        logger,
                        f"receiver {_name(receiver)} of signal {signal.name}",
                        exc,
                        "the change stays committed",
                    )


def _name(function: Callable[..., object]) -> str:
    """A receiver's qualified name (``module.function``), not its repr with an address."""
    named = function if hasattr(function, "__qualname__") else type(function)
    return f"{getattr(named, '__module__', '?')}.{named.__qualname__}"
