"""Ports of the subscriptions domain and their in-memory implementations.

Plans keep their movies as ids: the domain refers to the catalogue by id, and asks about it
(and about users) only through ``EntitlementRepository``, a read model the storage backends
implement across the tables of both domains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from streamcore.auth.permissions import Role
from streamcore.movies.models import Movie, MovieQuery
from streamcore.subscriptions.errors import (
    DuplicatePlanError,
    LiveSubscriptionExistsError,
    PaymentConflictError,
)
from streamcore.subscriptions.models import (
    Payment,
    Plan,
    PlanCreate,
    PlanQuery,
    SubscriptionQuery,
    SubscriptionRecord,
)
from streamcore.uow import RowLock, UnitOfWork


def plan_key(name: str) -> str:
    """Plan names are unique case-insensitively."""
    return name.casefold()


class PlanRepository(Protocol):
    """Storage of plans and of which movies each holds."""

    def add(self, data: PlanCreate, now: datetime) -> Plan:
        """Insert a plan; raises ``DuplicatePlanError``."""
        ...

    def get(self, plan_id: int, *, lock: RowLock | None = None) -> Plan | None:
        """The plan with this id (deleted ones are gone); ``lock`` holds its row until commit."""
        ...

    def get_by_name(self, name: str) -> Plan | None:
        """The plan with this name, any case."""
        ...

    def save(self, plan: Plan) -> None:
        """Overwrite a plan's fields; raises ``DuplicatePlanError``."""
        ...

    def delete(self, plan_id: int, now: datetime) -> None:
        """Remove a plan from use (soft: its subscriptions and payments keep their history)."""
        ...

    def add_movie(self, plan_id: int, movie_id: int) -> bool:
        """Put a movie in a plan; False if it was there already."""
        ...

    def remove_movie(self, plan_id: int, movie_id: int) -> bool:
        """Take a movie out of a plan; False if it was not there."""
        ...

    def add_to_new_movie_plans(self, movie_ids: Sequence[int]) -> list[int]:
        """Put movies in every active plan that takes new movies; return those plans' ids."""
        ...

    def list(self, query: PlanQuery) -> tuple[list[Plan], int]:
        """One page of plans by id; inactive ones only if the query asks."""
        ...


class SubscriptionRepository(Protocol):
    """Storage of subscriptions."""

    def add(self, user_id: int, plan_id: int, now: datetime) -> SubscriptionRecord:
        """Insert a subscription; raises ``LiveSubscriptionExistsError`` if one is open."""
        ...

    def get(
        self, subscription_id: int, *, lock: RowLock | None = None
    ) -> SubscriptionRecord | None:
        """The subscription with this id; ``lock`` holds its row until commit."""
        ...

    def open_for_user(self, user_id: int) -> list[SubscriptionRecord]:
        """The user's subscriptions that are neither canceled nor closed."""
        ...

    def open_for_plan(self, plan_id: int) -> list[SubscriptionRecord]:
        """The plan's subscriptions that are neither canceled nor closed."""
        ...

    def save(self, record: SubscriptionRecord) -> None:
        """Overwrite a subscription's fields."""
        ...

    def close(self, subscription_id: int, now: datetime) -> None:
        """Mark an expired subscription as superseded, so a new one may open."""
        ...

    def list(self, query: SubscriptionQuery) -> tuple[list[SubscriptionRecord], int]:
        """One page of subscriptions, newest first."""
        ...


class PaymentRepository(Protocol):
    """Storage of payments; ``reference`` is unique."""

    def get_by_reference(self, reference: str) -> Payment | None:
        """The payment recorded with this provider reference."""
        ...

    def add(self, payment: Payment) -> Payment:
        """Insert a payment (its id is ignored); raises ``PaymentConflictError`` on a taken
        reference."""
        ...


@dataclass(frozen=True, slots=True)
class Viewer:
    """What the entitlement rule needs to know about a user."""

    role: Role
    may_log_in: bool


@dataclass(frozen=True, slots=True)
class WatchWindow:
    """Paid-until cutoffs at one instant: open subscriptions watch while paid_until is after
    ``open_after`` (now - grace); canceled ones while it is after ``canceled_after`` (now)."""

    open_after: datetime
    canceled_after: datetime


class EntitlementRepository(Protocol):
    """The read model behind "may user U watch movie M" and "which movies may U watch"."""

    def viewer(self, user_id: int, *, lock: RowLock | None = None) -> Viewer | None:
        """The user's role and whether it is active and not deleted; ``lock`` holds the user."""
        ...

    def movie_is_live(self, movie_id: int, *, lock: RowLock | None = None) -> bool:
        """Whether the movie exists and is not deleted; ``lock`` holds the movie's row."""
        ...

    def in_watchable_plan(self, user_id: int, movie_id: int, window: WatchWindow) -> bool:
        """Whether a subscription of the user that may watch now has a plan holding the movie."""
        ...

    def watchable_plan_ids(self, user_id: int, window: WatchWindow) -> list[int]:
        """The plans of the user's subscriptions that may watch now."""
        ...

    def movies_in_plans(
        self, plan_ids: Sequence[int], query: MovieQuery
    ) -> tuple[list[Movie], int]:
        """One page of live movies in any of the plans, with the catalogue's filters."""
        ...


class SubscriptionsUnitOfWork(UnitOfWork, Protocol):
    """What the subscriptions services need of a unit of work."""

    @property
    def plans(self) -> PlanRepository:
        """The plans of this transaction."""
        ...

    @property
    def subscriptions(self) -> SubscriptionRepository:
        """The subscriptions of this transaction."""
        ...

    @property
    def payments(self) -> PaymentRepository:
        """The payments of this transaction."""
        ...

    @property
    def entitlements(self) -> EntitlementRepository:
        """The entitlement read model of this transaction."""
        ...


@dataclass
class SubscriptionTables:
    """The in-memory rows of the subscriptions domain; cloned per writing unit of work."""

    plans: dict[int, Plan] = field(default_factory=dict)
    deleted_plans: set[int] = field(default_factory=set)
    plan_movies: dict[int, set[int]] = field(default_factory=dict)
    subscriptions: dict[int, SubscriptionRecord] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    next_ids: dict[str, int] = field(
        default_factory=lambda: {"plan": 1, "subscription": 1, "payment": 1}
    )

    def clone(self) -> SubscriptionTables:
        """A copy whose changes do not touch these tables."""
        return replace(
            self,
            plans=dict(self.plans),
            deleted_plans=set(self.deleted_plans),
            plan_movies={k: set(v) for k, v in self.plan_movies.items()},
            subscriptions=dict(self.subscriptions),
            payments=dict(self.payments),
            next_ids=dict(self.next_ids),
        )

    def new_id(self, kind: str) -> int:
        """The next id of a kind of row."""
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value


class InMemoryPlanRepository:
    """``PlanRepository`` over ``SubscriptionTables``."""

    def __init__(self, tables: SubscriptionTables) -> None:
        self._t = tables

    def add(self, data: PlanCreate, now: datetime) -> Plan:
        """Insert a plan; raises ``DuplicatePlanError``."""
        if self.get_by_name(data.name) is not None:
            raise DuplicatePlanError(data.name)
        plan = Plan(id=self._t.new_id("plan"), **data.model_dump(), created_at=now, updated_at=now)
        self._t.plans[plan.id] = plan
        self._t.plan_movies[plan.id] = set()
        return plan

    def get(self, plan_id: int, *, lock: RowLock | None = None) -> Plan | None:
        """The plan with this id (deleted ones are gone; writers hold every row already)."""
        return None if plan_id in self._t.deleted_plans else self._t.plans.get(plan_id)

    def get_by_name(self, name: str) -> Plan | None:
        """The plan with this name, any case."""
        key = plan_key(name)
        return next(
            (p for p in self._live() if plan_key(p.name) == key),
            None,
        )

    def save(self, plan: Plan) -> None:
        """Overwrite a plan's fields; raises ``DuplicatePlanError``."""
        other = self.get_by_name(plan.name)
        if other is not None and other.id != plan.id:
            raise DuplicatePlanError(plan.name)
        self._t.plans[plan.id] = plan

    def delete(self, plan_id: int, now: datetime) -> None:
        """Remove a plan from use."""
        self._t.deleted_plans.add(plan_id)

    def add_movie(self, plan_id: int, movie_id: int) -> bool:
        """Put a movie in a plan; False if it was there already."""
        members = self._t.plan_movies.setdefault(plan_id, set())
        if movie_id in members:
            return False
        members.add(movie_id)
        return True

    def remove_movie(self, plan_id: int, movie_id: int) -> bool:
        """Take a movie out of a plan; False if it was not there."""
        members = self._t.plan_movies.get(plan_id, set())
        if movie_id not in members:
            return False
        members.discard(movie_id)
        return True

    def add_to_new_movie_plans(self, movie_ids: Sequence[int]) -> list[int]:
        """Put movies in every active plan that takes new movies; return those plans' ids."""
        plan_ids = [p.id for p in self._live() if p.is_active and p.includes_new_movies]
        for plan_id in plan_ids:
            self._t.plan_movies.setdefault(plan_id, set()).update(movie_ids)
        return sorted(plan_ids)

    def _live(self) -> list[Plan]:
        return [p for i, p in self._t.plans.items() if i not in self._t.deleted_plans]

    def list(self, query: PlanQuery) -> tuple[list[Plan], int]:
        """One page of plans by id; inactive ones only if the query asks."""
        found = sorted(
            (p for p in self._live() if p.is_active or query.include_inactive), key=lambda p: p.id
        )
        return found[query.offset : query.offset + query.limit], len(found)


class InMemorySubscriptionRepository:
    """``SubscriptionRepository`` over ``SubscriptionTables``."""

    def __init__(self, tables: SubscriptionTables) -> None:
        self._t = tables

    def add(self, user_id: int, plan_id: int, now: datetime) -> SubscriptionRecord:
        """Insert a subscription; raises ``LiveSubscriptionExistsError`` if one is open."""
        if self.open_for_user(user_id):
            raise LiveSubscriptionExistsError(user_id)
        record = SubscriptionRecord(
            id=self._t.new_id("subscription"),
            user_id=user_id,
            plan_id=plan_id,
            paid_until=None,
            canceled_at=None,
            created_at=now,
            updated_at=now,
        )
        self._t.subscriptions[record.id] = record
        return record

    def get(
        self, subscription_id: int, *, lock: RowLock | None = None
    ) -> SubscriptionRecord | None:
        """The subscription with this id (writers hold every row already)."""
        return self._t.subscriptions.get(subscription_id)

    def open_for_user(self, user_id: int) -> list[SubscriptionRecord]:
        """The user's subscriptions that are neither canceled nor closed."""
        return [r for r in self._open() if r.user_id == user_id]

    def open_for_plan(self, plan_id: int) -> list[SubscriptionRecord]:
        """The plan's subscriptions that are neither canceled nor closed."""
        return [r for r in self._open() if r.plan_id == plan_id]

    def save(self, record: SubscriptionRecord) -> None:
        """Overwrite a subscription's fields."""
        self._t.subscriptions[record.id] = record

    def close(self, subscription_id: int, now: datetime) -> None:
        """Mark an expired subscription as superseded."""
        record = self._t.subscriptions[subscription_id]
        self._t.subscriptions[subscription_id] = record.model_copy(update={"closed_at": now})

    def _open(self) -> list[SubscriptionRecord]:
        return [
            r
            for r in self._t.subscriptions.values()
            if r.canceled_at is None and r.closed_at is None
        ]

    def list(self, query: SubscriptionQuery) -> tuple[list[SubscriptionRecord], int]:
        """One page of subscriptions, newest first."""
        found = sorted(
            (
                r
                for r in self._t.subscriptions.values()
                if query.user_id is None or r.user_id == query.user_id
            ),
            key=lambda r: r.id,
            reverse=True,
        )
        return found[query.offset : query.offset + query.limit], len(found)


class InMemoryPaymentRepository:
    """``PaymentRepository`` over ``SubscriptionTables``."""

    def __init__(self, tables: SubscriptionTables) -> None:
        self._t = tables

    def get_by_reference(self, reference: str) -> Payment | None:
        """The payment recorded with this provider reference."""
        return self._t.payments.get(reference)

    def add(self, payment: Payment) -> Payment:
        """Insert a payment; raises ``PaymentConflictError`` on a taken reference."""
        if payment.reference in self._t.payments:
            raise PaymentConflictError(payment.reference)
        stored = payment.model_copy(update={"id": self._t.new_id("payment")})
        self._t.payments[stored.reference] = stored
        return stored
