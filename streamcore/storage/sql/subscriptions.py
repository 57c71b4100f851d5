"""SQL repositories of the subscriptions domain, and the entitlement read model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from streamcore.auth.permissions import Role
from streamcore.movies.models import Movie, MovieQuery
from streamcore.storage.sql.bulk import insert_rows
from streamcore.storage.sql.locks import lock_variants, locked
from streamcore.storage.sql.movies import SqlMovieRepository
from streamcore.storage.sql.schema import (
    movies,
    payments,
    plan_movies,
    plans,
    subscriptions,
    users,
)
from streamcore.storage.sql.violations import integrity_failure
from streamcore.subscriptions.models import (
    Payment,
    Plan,
    PlanCreate,
    PlanQuery,
    SubscriptionQuery,
    SubscriptionRecord,
)
from streamcore.subscriptions.repository import Viewer, WatchWindow, plan_key
from streamcore.uow import RowLock

CENTS = Decimal(100)
_PLAN_COLUMNS = [c for c in plans.c if c.name not in {"name_key", "deleted_at"}]
_SUBSCRIPTION_COLUMNS = list(subscriptions.c)
_OPEN = sa.and_(subscriptions.c.canceled_at.is_(None), subscriptions.c.closed_at.is_(None))


def _cents(amount: Decimal) -> int:
    return int(amount * CENTS)


def _amount(cents: int) -> Decimal:
    return (Decimal(cents) / CENTS).quantize(Decimal("0.01"))


class SqlPlanRepository:
    """``PlanRepository`` over SQLAlchemy Core; never commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, data: PlanCreate, now: datetime) -> Plan:
        """Insert a plan; raises ``DuplicatePlanError``."""
        values = _plan_values(data.model_dump()) | {"created_at": now, "updated_at": now}
        try:
            plan_id = self._conn.execute(
                sa.insert(plans).values(values).returning(plans.c.id)
            ).scalar_one()
        except IntegrityError as exc:
            raise integrity_failure(exc, plans, values, self._conn) from exc
        return Plan(id=plan_id, **data.model_dump(), created_at=now, updated_at=now)

    def get(self, plan_id: int, *, lock: RowLock | None = None) -> Plan | None:
        """The plan with this id (deleted ones are gone); ``lock`` holds its row until commit."""
        return self._one(plans.c.id == plan_id, lock=lock)

    def get_by_name(self, name: str) -> Plan | None:
        """The plan with this name, any case."""
        return self._one(plans.c.name_key == plan_key(name))

    def save(self, plan: Plan) -> None:
        """Overwrite a plan's fields; raises ``DuplicatePlanError``."""
        values = _plan_values(plan.model_dump(exclude={"id", "created_at"}))
        try:
            self._conn.execute(sa.update(plans).where(plans.c.id == plan.id).values(values))
        except IntegrityError as exc:
            raise integrity_failure(exc, plans, values, self._conn) from exc

    def delete(self, plan_id: int, now: datetime) -> None:
        """Remove a plan from use (soft)."""
        self._conn.execute(
            sa.update(plans).where(plans.c.id == plan_id).values(deleted_at=now, updated_at=now)
        )

    def add_movie(self, plan_id: int, movie_id: int) -> bool:
        """Put a movie in a plan (with the movie's live flag); False if it was there."""
        exists = sa.select(plan_movies.c.movie_id).where(
            plan_movies.c.plan_id == plan_id, plan_movies.c.movie_id == movie_id
        )
        if self._conn.execute(exists).first() is not None:
            return False
        self._conn.execute(
            sa.insert(plan_movies).from_select(
                ["plan_id", "movie_id", "live"],
                sa.select(sa.literal(plan_id), movies.c.id, movies.c.deleted_at.is_(None)).where(
                    movies.c.id == movie_id
                ),
            )
        )
        return True

    def remove_movie(self, plan_id: int, movie_id: int) -> bool:
        """Take a movie out of a plan; False if it was not there."""
        result = self._conn.execute(
            sa.delete(plan_movies).where(
                plan_movies.c.plan_id == plan_id, plan_movies.c.movie_id == movie_id
            )
        )
        return result.rowcount > 0

    def add_to_new_movie_plans(self, movie_ids: Sequence[int]) -> list[int]:
        """Put movies in every active plan that takes new movies; return those plans' ids."""
        taking = sa.select(plans.c.id).where(
            plans.c.is_active == sa.true(),
            plans.c.includes_new_movies == sa.true(),
            plans.c.deleted_at.is_(None),
        )
        plan_ids = list(self._conn.execute(taking.order_by(plans.c.id)).scalars())
        rows = [
            {"plan_id": plan_id, "movie_id": movie_id, "live": True}
            for plan_id in plan_ids
            for movie_id in movie_ids
        ]
        insert_rows(self._conn, plan_movies, rows)  # an import may bring 100,000 movies
        return plan_ids

    def _one(
        self, condition: sa.ColumnElement[bool], *, lock: RowLock | None = None
    ) -> Plan | None:
        stmt = sa.select(*_PLAN_COLUMNS).where(condition, plans.c.deleted_at.is_(None))
        if lock is not None:
            stmt = locked(stmt, lock)
        row = self._conn.execute(stmt).mappings().first()
        return None if row is None else _plan(row)

    def list(self, query: PlanQuery) -> tuple[list[Plan], int]:
        """One page of plans by id; inactive ones only if the query asks."""
        conditions: list[sa.ColumnElement[bool]] = [plans.c.deleted_at.is_(None)]
        if not query.include_inactive:
            conditions.append(plans.c.is_active == sa.true())
        page = (
            sa.select(*_PLAN_COLUMNS)
            .where(*conditions)
            .order_by(plans.c.id)
            .limit(query.limit)
            .offset(query.offset)
        )
        items = [_plan(row) for row in self._conn.execute(page).mappings()]
        count = sa.select(sa.func.count()).select_from(plans).where(*conditions)
        return items, self._conn.execute(count).scalar_one()


class SqlSubscriptionRepository:
    """``SubscriptionRepository`` over SQLAlchemy Core; never commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, user_id: int, plan_id: int, now: datetime) -> SubscriptionRecord:
        """Insert a subscription; raises ``LiveSubscriptionExistsError`` if one is open."""
        values = {"user_id": user_id, "plan_id": plan_id, "created_at": now, "updated_at": now}
        try:
            subscription_id = self._conn.execute(
                sa.insert(subscriptions).values(values).returning(subscriptions.c.id)
            ).scalar_one()
        except IntegrityError as exc:
            raise integrity_failure(exc, subscriptions, values, self._conn) from exc
        return SubscriptionRecord(id=subscription_id, paid_until=None, canceled_at=None, **values)

    def get(
        self, subscription_id: int, *, lock: RowLock | None = None
    ) -> SubscriptionRecord | None:
        """The subscription with this id; ``lock`` holds its row until commit."""
        rows = self._select(subscriptions.c.id == subscription_id, lock=lock)
        return rows[0] if rows else None

    def open_for_user(self, user_id: int) -> list[SubscriptionRecord]:
        """The user's subscriptions that are neither canceled nor closed."""
        return self._select(subscriptions.c.user_id == user_id, _OPEN)

    def open_for_plan(self, plan_id: int) -> list[SubscriptionRecord]:
        """The plan's subscriptions that are neither canceled nor closed."""
        return self._select(subscriptions.c.plan_id == plan_id, _OPEN)

    def save(self, record: SubscriptionRecord) -> None:
        """Overwrite a subscription's fields."""
        values = record.model_dump(exclude={"id", "created_at"})
        self._conn.execute(
            sa.update(subscriptions).where(subscriptions.c.id == record.id).values(values)
        )

    def close(self, subscription_id: int, now: datetime) -> None:
        """Mark an expired subscription as superseded, so a new one may open."""
        self._conn.execute(
            sa.update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(closed_at=now)
        )

    def _select(
        self, *conditions: sa.ColumnElement[bool], lock: RowLock | None = None
    ) -> list[SubscriptionRecord]:
        stmt = sa.select(*_SUBSCRIPTION_COLUMNS).where(*conditions).order_by(subscriptions.c.id)
        if lock is not None:
            stmt = locked(stmt, lock)
        return [
            SubscriptionRecord.model_validate(dict(row))
            for row in self._conn.execute(stmt).mappings()
        ]

    def list(self, query: SubscriptionQuery) -> tuple[list[SubscriptionRecord], int]:
        """One page of subscriptions, newest first."""
        conditions = [] if query.user_id is None else [subscriptions.c.user_id == query.user_id]
        page = (
            sa.select(*_SUBSCRIPTION_COLUMNS)
            .where(*conditions)
            .order_by(subscriptions.c.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        items = [
            SubscriptionRecord.model_validate(dict(row))
            for row in self._conn.execute(page).mappings()
        ]
        count = sa.select(sa.func.count()).select_from(subscriptions).where(*conditions)
        return items, self._conn.execute(count).scalar_one()


class SqlPaymentRepository:
    """``PaymentRepository`` over SQLAlchemy Core; never commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get_by_reference(self, reference: str) -> Payment | None:
        """The payment recorded with this provider reference."""
        stmt = sa.select(payments).where(payments.c.reference == reference)
        row = self._conn.execute(stmt).mappings().first()
        return None if row is None else _payment(row)

    def add(self, payment: Payment) -> Payment:
        """Insert a payment; raises ``PaymentConflictError`` on a taken reference."""
        values = payment.model_dump(exclude={"id", "amount"})
        values["amount_cents"] = _cents(payment.amount)
        try:
            payment_id = self._conn.execute(
                sa.insert(payments).values(values).returning(payments.c.id)
            ).scalar_one()
        except IntegrityError as exc:
            raise integrity_failure(exc, payments, values, self._conn) from exc
        return payment.model_copy(update={"id": payment_id})


class SqlEntitlementRepository:
    """``EntitlementRepository``: one indexed query per question, across the domains' tables."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def viewer(self, user_id: int, *, lock: RowLock | None = None) -> Viewer | None:
        """The user's role and whether it is active and not deleted; ``lock`` holds the user."""
        row = self._conn.execute(_VIEWER_LOCKED[lock], {"user_id": user_id}).first()
        if row is None:
            return None
        return Viewer(role=Role(row.role), may_log_in=row.is_active and row.deleted_at is None)

    def movie_is_live(self, movie_id: int, *, lock: RowLock | None = None) -> bool:
        """Whether the movie exists and is not deleted; ``lock`` holds the movie's row."""
        params = {"movie_id": movie_id}
        return self._conn.execute(_MOVIE_LIVE_LOCKED[lock], params).first() is not None

    def in_watchable_plan(self, user_id: int, movie_id: int, window: WatchWindow) -> bool:
        """Whether a subscription of the user that may watch now has a plan holding the movie."""
        params = {"user_id": user_id, "movie_id": movie_id, **_cutoffs(window)}
        return self._conn.execute(_IN_WATCHABLE_PLAN, params).first() is not None

    def watchable_plan_ids(self, user_id: int, window: WatchWindow) -> list[int]:
        """The plans of the user's subscriptions that may watch now."""
        params = {"user_id": user_id, **_cutoffs(window)}
        return list(self._conn.execute(_WATCHABLE_PLANS, params).scalars())

    def movies_in_plans(
        self, plan_ids: Sequence[int], query: MovieQuery
    ) -> tuple[list[Movie], int]:
        """One page of live movies in any of the plans (all live movies for no plans)."""
        return SqlMovieRepository(self._conn).list(query, plan_ids=plan_ids or None)


def _cutoffs(window: WatchWindow) -> dict[str, datetime]:
    return {"open_after": window.open_after, "canceled_after": window.canceled_after}


# The SQL form of ``periods.may_watch_at``; the cut-offs come from Python (no date arithmetic
# in SQL). Statements are built once: building them costs more than running these lookups.
_WATCHING = sa.or_(
    sa.and_(
        subscriptions.c.canceled_at.is_(None),
        subscriptions.c.paid_until > sa.bindparam("open_after"),
    ),
    sa.and_(
        subscriptions.c.canceled_at.is_not(None),
        subscriptions.c.paid_until > sa.bindparam("canceled_after"),
    ),
)
_VIEWER = sa.select(users.c.role, users.c.is_active, users.c.deleted_at).where(
    users.c.id == sa.bindparam("user_id")
)
_MOVIE_LIVE = sa.select(movies.c.id).where(
    movies.c.id == sa.bindparam("movie_id"), movies.c.deleted_at.is_(None)
)
_VIEWER_LOCKED = lock_variants(_VIEWER)
_MOVIE_LIVE_LOCKED = lock_variants(_MOVIE_LIVE)
_IN_WATCHABLE_PLAN = (
    sa.select(sa.literal(1))
    .select_from(subscriptions)
    .join(
        plan_movies,
        sa.and_(
            plan_movies.c.plan_id == subscriptions.c.plan_id,
            plan_movies.c.movie_id == sa.bindparam("movie_id"),
            plan_movies.c.live == sa.true(),
        ),
    )
    .where(subscriptions.c.user_id == sa.bindparam("user_id"), _WATCHING)
    .limit(1)
)
_WATCHABLE_PLANS = (
    sa.select(subscriptions.c.plan_id)
    .where(subscriptions.c.user_id == sa.bindparam("user_id"), _WATCHING)
    .distinct()
    .order_by(subscriptions.c.plan_id)
)


def _plan_values(fields: dict[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    if "price" in values:
        values["price_cents"] = _cents(values.pop("price"))
    if "name" in values:
        values["name_key"] = plan_key(values["name"])
    return values


def _plan(row: RowMapping) -> Plan:
    values = dict(row)
    values["price"] = _amount(values.pop("price_cents"))
    return Plan.model_validate(values)


def _payment(row: RowMapping) -> Payment:
    values = dict(row)
    values["amount"] = _amount(values.pop("amount_cents"))
    return Payment.model_validate(values)
