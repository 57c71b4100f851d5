"""Plans, subscriptions, payments and entitlement: the use cases of SPEC §3.3.

A use case that changes a row reads it with ``lock="update"``; one that only relies on a row
(subscribing relies on the plan and the user) reads it with ``lock="share"``. So a cancel and
a payment of one subscription, or a plan's deletion and a subscription to it, run one after the
other and neither undoes the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from streamcore.auth.permissions import Permission, Principal, allows, require
from streamcore.clock import Clock, utcnow
from streamcore.errors import InvalidInputError, PermissionDeniedError
from streamcore.events import (
    PaymentRecorded,
    PlanCreated,
    PlanDeleted,
    PlanUpdated,
    SubscriptionCanceled,
    SubscriptionCreated,
    SubscriptionUpdated,
)
from streamcore.movies.models import Movie, MovieQuery
from streamcore.paging import Page, PageQuery
from streamcore.subscriptions.errors import (
    LiveSubscriptionExistsError,
    PaymentConflictError,
    PlanInUseError,
    PlanNotFoundError,
    SubscriptionNotFoundError,
    SubscriptionStateError,
)
from streamcore.subscriptions.models import (
    Payment,
    PaymentCreate,
    PaymentResult,
    Plan,
    PlanChange,
    PlanCreate,
    PlanPatch,
    PlanQuery,
    Subscription,
    SubscriptionCreate,
    SubscriptionQuery,
    SubscriptionRecord,
)
from streamcore.subscriptions.periods import period_end, status_at
from streamcore.subscriptions.repository import SubscriptionsUnitOfWork, WatchWindow
from streamcore.uow import RowLock, UnitOfWorkFactory
from streamcore.validation import is_valid_id, text_problem

Uow = UnitOfWorkFactory[SubscriptionsUnitOfWork]
FUTURE_PAYMENT_SLACK = timedelta(minutes=5)
"""How far ahead of our clock a provider's ``paid_at`` may be (clocks differ a little)."""


class PlanService:
    """Plans and the movies they hold."""

    def __init__(self, uow: Uow, *, clock: Clock = utcnow, grace: timedelta) -> None:
        self._uow = uow
        self._clock = clock
        self._grace = grace

    def create(self, data: PlanCreate, *, actor: Principal) -> Plan:
        """Add a plan (administrators). Raises ``DuplicatePlanError``."""
        require(actor, Permission.MANAGE_PLANS)
        with self._uow() as uow:
            plan = uow.plans.add(data, self._clock())
            uow.collect(PlanCreated(occurred_at=plan.created_at, plan_id=plan.id, name=plan.name))
            uow.commit()
        return plan

    def get(self, plan_id: int, *, actor: Principal) -> Plan:
        """One plan; an inactive one only for administrators."""
        require(actor, Permission.READ_PLANS)
        with self._uow(readonly=True) as uow:
            return _visible_plan(uow, plan_id, actor)

    def find(self, ref: str, *, actor: Principal) -> Plan:
        """A plan by id or name (the CLI's PLAN); an inactive one only for administrators."""
        require(actor, Permission.READ_PLANS)
        ref = ref.strip()
        problem = text_problem(ref)  # a lone surrogate (a \xff byte in argv), NUL...: no plan
        if problem:
            raise InvalidInputError.single("plan", problem)
        with self._uow(readonly=True) as uow:
            plan = uow.plans.get(int(ref)) if _is_id(ref) else uow.plans.get_by_name(ref)
        if plan is None or not (plan.is_active or allows(actor, Permission.MANAGE_PLANS)):
            raise PlanNotFoundError(ref)
        return plan

    def replace(self, plan_id: int, data: PlanCreate, *, actor: Principal) -> Plan:
        """Full update (administrators)."""
        require(actor, Permission.MANAGE_PLANS)
        return self._change(plan_id, data.model_dump())

    def update(self, plan_id: int, patch: PlanPatch, *, actor: Principal) -> Plan:
        """Partial update (administrators); ``is_active=False`` stops new subscriptions."""
        require(actor, Permission.MANAGE_PLANS)
        return self._change(plan_id, patch.changes())

    def delete(self, plan_id: int, *, actor: Principal) -> None:
        """Delete a plan that no live subscription uses. Raises ``PlanInUseError``."""
        require(actor, Permission.MANAGE_PLANS)
        with self._uow() as uow:
            plan = _load_plan(uow, plan_id, lock="update")  # a subscription to it waits
            now = self._clock()
            if any(_is_live(r, now, self._grace) for r in uow.subscriptions.open_for_plan(plan_id)):
                raise PlanInUseError(plan_id, active=plan.is_active)
            uow.plans.delete(plan_id, now)
            uow.collect(PlanDeleted(occurred_at=now, plan_id=plan_id))
            uow.commit()

    def add_movie(self, plan_id: int, movie_id: int, *, actor: Principal) -> None:
        """Put a movie in a plan (editors); adding it twice changes nothing."""
        require(actor, Permission.WRITE_PLAN_MOVIES)
        with self._uow() as uow:
            _load_plan(uow, plan_id, lock="share")
            # Shared: the movie's deletion waits, so the row never keeps a stale live flag.
            live = is_valid_id(movie_id) and uow.entitlements.movie_is_live(movie_id, lock="share")
            if not live:
                raise InvalidInputError.single("movie_id", f"movie {movie_id} does not exist")
            if uow.plans.add_movie(plan_id, movie_id):
                uow.collect(_movies_changed(plan_id, self._clock(), added=(movie_id,)))
                uow.commit()

    def remove_movie(self, plan_id: int, movie_id: int, *, actor: Principal) -> None:
        """Take a movie out of a plan (editors); removing it twice changes nothing."""
        require(actor, Permission.WRITE_PLAN_MOVIES)
        with self._uow() as uow:
            _load_plan(uow, plan_id, lock="share")
            if is_valid_id(movie_id) and uow.plans.remove_movie(plan_id, movie_id):
                uow.collect(_movies_changed(plan_id, self._clock(), removed=(movie_id,)))
                uow.commit()

    def movies(
        self, plan_id: int, page: PageQuery | None = None, *, actor: Principal
    ) -> Page[Movie]:
        """One page of the plan's movies that are not deleted (logged-in callers)."""
        require(actor, Permission.READ_MOVIES)
        query = MovieQuery.model_validate((page or PageQuery()).model_dump())
        with self._uow(readonly=True) as uow:
            _visible_plan(uow, plan_id, actor)
            items, total = uow.entitlements.movies_in_plans([plan_id], query)
        return Page[Movie](items=tuple(items), total=total, limit=query.limit, offset=query.offset)

    def add_new_movies(self, movie_ids: Sequence[int]) -> list[int]:
        """Put new movies in every active plan that takes new movies; return those plans."""
        if not movie_ids:
            return []
        with self._uow() as uow:
            plan_ids = uow.plans.add_to_new_movie_plans(movie_ids)
            now = self._clock()
            for plan_id in plan_ids:
                uow.collect(_movies_changed(plan_id, now, added=tuple(movie_ids)))
            uow.commit()
        return plan_ids

    def _change(self, plan_id: int, changes: dict[str, object]) -> Plan:
        with self._uow() as uow:
            plan = _load_plan(uow, plan_id, lock="update")
            changed = tuple(k for k, v in changes.items() if v != getattr(plan, k))
            if not changed:
                return plan
            now = self._clock()
            updated = plan.model_copy(
                update={**{k: changes[k] for k in changed}, "updated_at": now}
            )
            uow.plans.save(updated)
            uow.collect(PlanUpdated(occurred_at=now, plan_id=plan_id, changed=changed))
            uow.commit()
        return updated

    def list(self, query: PlanQuery | None = None, *, actor: Principal) -> Page[Plan]:
        """Active plans; administrators may include inactive ones."""
        require(actor, Permission.READ_PLANS)
        query = query or PlanQuery()
        if query.include_inactive and not allows(actor, Permission.MANAGE_PLANS):
            query = query.model_copy(update={"include_inactive": False})
        with self._uow(readonly=True) as uow:
            items, total = uow.plans.list(query)
        return Page[Plan](items=tuple(items), total=total, limit=query.limit, offset=query.offset)


class SubscriptionService:
    """Users' subscriptions and their payments."""

    def __init__(self, uow: Uow, *, clock: Clock = utcnow, grace: timedelta) -> None:
        self._uow = uow
        self._clock = clock
        self._grace = grace

    def create(self, data: SubscriptionCreate, *, actor: Principal) -> Subscription:
        """Subscribe a user to an active plan: a subscriber itself, an administrator anyone.

        Raises ``LiveSubscriptionExistsError``, ``PlanNotFoundError``, ``InvalidInputError``.
        """
        user_id = _subject(data.user_id, actor)
        with self._uow() as uow:
            # Shared locks: the plan's deletion or deactivation and the user's deletion wait
            # for this subscription (and then see it), or this waits for them.
            plan = _load_plan(uow, data.plan_id, field="plan_id", lock="share")
            if not plan.is_active:
                raise InvalidInputError.single("plan_id", f"plan {plan.id} is not active")
            viewer = uow.entitlements.viewer(user_id, lock="share")
            if viewer is None or not viewer.may_log_in:
                raise InvalidInputError.single("user_id", f"user {user_id} is not an active user")
            now = self._clock()
            for record in uow.subscriptions.open_for_user(user_id):
                if _is_live(record, now, self._grace):
                    raise LiveSubscriptionExistsError(user_id)
                uow.subscriptions.close(record.id, now)  # expired: superseded by the new one
            record = uow.subscriptions.add(user_id, plan.id, now)
            uow.collect(
                SubscriptionCreated(
                    occurred_at=now, subscription_id=record.id, user_id=user_id, plan_id=plan.id
                )
            )
            uow.commit()
        return self._view(record, now)

    def get(self, subscription_id: int, *, actor: Principal) -> Subscription:
        """One subscription: any for an administrator, one's own for a subscriber."""
        with self._uow(readonly=True) as uow:
            record = _load_subscription(uow, subscription_id, actor)
        return self._view(record, self._clock())

    def change_plan(
        self, subscription_id: int, change: PlanChange, *, actor: Principal
    ) -> Subscription:
        """Move to another active plan, at once, without proration (owner or administrator)."""
        with self._uow() as uow:
            record = _load_subscription(uow, subscription_id, actor, lock="update")
            _ensure_open(record)
            plan = _load_plan(uow, change.plan_id, field="plan_id", lock="share")
            if not plan.is_active:
                raise InvalidInputError.single("plan_id", f"plan {plan.id} is not active")
            now = self._clock()
            if plan.id == record.plan_id:
                return self._view(record, now)
            updated = record.model_copy(update={"plan_id": plan.id, "updated_at": now})
            uow.subscriptions.save(updated)
            uow.collect(_updated(updated, now, ("plan_id",)))
            uow.commit()
        return self._view(updated, now)

    def cancel(self, subscription_id: int, *, actor: Principal) -> Subscription:
        """Cancel (owner or administrator); it may still watch until ``paid_until``.

        Canceling a canceled subscription changes nothing.
        """
        with self._uow() as uow:
            record = _load_subscription(uow, subscription_id, actor, lock="update")
            now = self._clock()
            if record.canceled_at is not None:
                return self._view(record, now)
            canceled = cancel_record(uow, record, now)
            uow.commit()
        return self._view(canceled, now)

    def record_payment(
        self, subscription_id: int, data: PaymentCreate, *, actor: Principal
    ) -> PaymentResult:
        """Record a provider's payment (administrators), idempotent by ``reference``.

        A known reference with the same details returns the first payment (``created`` is
        False) and changes nothing; with other details it is a ``PaymentConflictError``.
        """
        require(actor, Permission.RECORD_PAYMENTS)
        try:
            return self._record_payment(subscription_id, data, actor)
        except PaymentConflictError:
            # Another process may have recorded this reference between our read and our
            # insert (the unique constraint said no): read again; its replay is no conflict.
            return self._record_payment(subscription_id, data, actor)

    def _record_payment(
        self, subscription_id: int, data: PaymentCreate, actor: Principal
    ) -> PaymentResult:
        with self._uow() as uow:
            known = uow.payments.get_by_reference(data.reference)
            if known is not None:
                return PaymentResult(payment=_replayed(known, subscription_id, data), created=False)
            # Held until commit: a cancel, a plan change or another payment waits its turn.
            record = _load_subscription(uow, subscription_id, actor, lock="update")
            payment = self._new_payment(uow, record, data)
            uow.commit()
        return PaymentResult(payment=payment, created=True)

    def _new_payment(
        self, uow: SubscriptionsUnitOfWork, record: SubscriptionRecord, data: PaymentCreate
    ) -> Payment:
        _ensure_open(record, ": no payments")
        plan = _load_plan(uow, record.plan_id)
        if data.currency != plan.currency:
            raise InvalidInputError.single("currency", f"must be the plan's, {plan.currency}")
        if data.amount != plan.price:
            raise InvalidInputError.single(
                "amount", f"must be the plan's price, {plan.price} {plan.currency}"
            )
        now = self._clock()
        if data.paid_at is not None and data.paid_at > now + FUTURE_PAYMENT_SLACK:
            raise InvalidInputError.single(
                "paid_at", "must not be more than 5 minutes in the future"
            )
        paid_at = data.paid_at or now
        start = max(record.paid_until or paid_at, paid_at)
        payment = uow.payments.add(
            Payment(
                id=0,
                subscription_id=record.id,
                amount=data.amount,
                currency=data.currency,
                reference=data.reference,
                paid_at=paid_at,
                period_start=start,
                period_end=period_end(start, plan.period),
            )
        )
        uow.subscriptions.save(
            record.model_copy(update={"paid_until": payment.period_end, "updated_at": now})
        )
        uow.collect(_updated(record, now, ("paid_until",)))
        uow.collect(
            PaymentRecorded(
                occurred_at=now,
                payment_id=payment.id,
                subscription_id=record.id,
                amount=payment.amount,
                currency=payment.currency,
                reference=payment.reference,
                period_end=payment.period_end,
            )
        )
        return payment

    def _view(self, record: SubscriptionRecord, now: datetime) -> Subscription:
        status = status_at(
            paid_until=record.paid_until, canceled_at=record.canceled_at, now=now, grace=self._grace
        )
        return Subscription(**record.model_dump(exclude={"closed_at"}), status=status)

    def list(
        self, query: SubscriptionQuery | None = None, *, actor: Principal
    ) -> Page[Subscription]:
        """Subscriptions, newest first: all for administrators, one's own otherwise."""
        query = query or SubscriptionQuery()
        if not allows(actor, Permission.MANAGE_SUBSCRIPTIONS):
            require(actor, Permission.MANAGE_OWN_SUBSCRIPTION)
            query = query.model_copy(update={"user_id": actor.user_id})
        with self._uow(readonly=True) as uow:
            records, total = uow.subscriptions.list(query)
        now = self._clock()
        items = tuple(self._view(r, now) for r in records)
        return Page[Subscription](items=items, total=total, limit=query.limit, offset=query.offset)


class EntitlementService:
    """The one rule of who may watch what, asked two ways (SPEC §3.3).

    The viewer's role says how, through the permission table: ``PLAY_ANY`` watches every
    movie that is not deleted, ``PLAY_ENTITLED`` the movies of a plan it has paid for.
    """

    def __init__(self, uow: Uow, *, clock: Clock = utcnow, grace: timedelta) -> None:
        self._uow = uow
        self._clock = clock
        self._grace = grace

    def may_watch(self, user_id: int, movie_id: int) -> bool:
        """Whether the user may watch the movie now."""
        if not (is_valid_id(user_id) and is_valid_id(movie_id)):
            return False
        with self._uow(readonly=True) as uow:
            viewer = _viewer(uow, user_id)
            if viewer is None:
                return False
            if viewer.may(Permission.PLAY_ANY):
                return uow.entitlements.movie_is_live(movie_id)
            if viewer.may(Permission.PLAY_ENTITLED):
                return uow.entitlements.in_watchable_plan(user_id, movie_id, self._window())
            return False

    def watchable(
        self, user_id: int, query: MovieQuery | None = None, *, actor: Principal
    ) -> Page[Movie]:
        """The movies the user may watch now, with the catalogue's filters, sort and page."""
        _require_self_or_admin(actor, user_id, Permission.LIST_WATCHABLE)
        query = (query or MovieQuery()).model_copy(update={"trashed": "without"})
        with self._uow(readonly=True) as uow:
            items, total = self._watchable(uow, user_id, query)
        return Page[Movie](items=tuple(items), total=total, limit=query.limit, offset=query.offset)

    def _watchable(
        self, uow: SubscriptionsUnitOfWork, user_id: int, query: MovieQuery
    ) -> tuple[list[Movie], int]:
        viewer = _viewer(uow, user_id) if is_valid_id(user_id) else None
        if viewer is None:
            return [], 0
        if viewer.may(Permission.PLAY_ANY):
            return uow.entitlements.movies_in_plans([], query)  # [] with no plans: all live
        if not viewer.may(Permission.PLAY_ENTITLED):
            return [], 0
        plan_ids = uow.entitlements.watchable_plan_ids(user_id, self._window())
        if not plan_ids:
            return [], 0
        return uow.entitlements.movies_in_plans(plan_ids, query)

    def _window(self) -> WatchWindow:
        now = self._clock()
        return WatchWindow(open_after=now - self._grace, canceled_after=now)


def _viewer(uow: SubscriptionsUnitOfWork, user_id: int) -> Principal | None:
    """The user as a principal, if it may log in (an inactive or deleted user watches nothing)."""
    viewer = uow.entitlements.viewer(user_id)
    if viewer is None or not viewer.may_log_in:
        return None
    return Principal(user_id=user_id, role=viewer.role)


def cancel_record(
    uow: SubscriptionsUnitOfWork, record: SubscriptionRecord, now: datetime
) -> SubscriptionRecord:
    """Cancel a subscription inside the caller's unit of work (also used on user deletion)."""
    canceled = record.model_copy(update={"canceled_at": now, "updated_at": now})
    uow.subscriptions.save(canceled)
    uow.collect(
        SubscriptionCanceled(occurred_at=now, subscription_id=record.id, user_id=record.user_id)
    )
    return canceled


def cancel_live_subscriptions(
    uow: SubscriptionsUnitOfWork, user_id: int, now: datetime, *, grace: timedelta
) -> None:
    """Cancel the user's live subscription (an expired one stays expired): the hook run when
    a user is deleted."""
    for record in uow.subscriptions.open_for_user(user_id):
        if _is_live(record, now, grace):
            cancel_record(uow, record, now)


def _is_live(record: SubscriptionRecord, now: datetime, grace: timedelta) -> bool:
    """Not canceled and not expired (pending counts: it may still be paid)."""
    status = status_at(
        paid_until=record.paid_until, canceled_at=record.canceled_at, now=now, grace=grace
    )
    return status in ("pending", "active", "past_due")


def _ensure_open(record: SubscriptionRecord, refusal: str = "") -> None:
    """Payments and plan changes are for subscriptions neither canceled nor replaced."""
    if record.canceled_at is not None:
        raise SubscriptionStateError(f"subscription {record.id} is canceled{refusal}")
    if record.closed_at is not None:
        raise SubscriptionStateError(
            f"subscription {record.id} expired and was replaced by a newer one"
        )


def _is_id(ref: str) -> bool:
    return ref.isascii() and ref.isdigit() and is_valid_id(int(ref))


def _subject(user_id: int | None, actor: Principal) -> int:
    """Whom a new subscription is for: oneself, or anyone for an administrator."""
    if allows(actor, Permission.MANAGE_SUBSCRIPTIONS):
        chosen = user_id if user_id is not None else actor.user_id
        if chosen is None:
            raise InvalidInputError.single("user_id", "is required")
        return chosen
    require(actor, Permission.MANAGE_OWN_SUBSCRIPTION)
    assert actor.user_id is not None  # only users hold MANAGE_OWN_SUBSCRIPTION
    if user_id is not None and user_id != actor.user_id:
        raise PermissionDeniedError("a subscriber may only subscribe itself")
    return actor.user_id


def _require_self_or_admin(actor: Principal, user_id: int, own: Permission) -> None:
    if allows(actor, Permission.MANAGE_USERS):
        return
    require(actor, own)
    if actor.user_id != user_id:
        raise PermissionDeniedError("you may only list your own movies")


def _load_plan(
    uow: SubscriptionsUnitOfWork,
    plan_id: int,
    *,
    field: str = "",
    lock: RowLock | None = None,
) -> Plan:
    plan = uow.plans.get(plan_id, lock=lock) if is_valid_id(plan_id) else None
    if plan is None:
        if field:
            raise InvalidInputError.single(field, f"plan {plan_id} does not exist")
        raise PlanNotFoundError(plan_id)
    return plan


def _visible_plan(uow: SubscriptionsUnitOfWork, plan_id: int, actor: Principal) -> Plan:
    plan = _load_plan(uow, plan_id)
    if not plan.is_active and not allows(actor, Permission.MANAGE_PLANS):
        raise PlanNotFoundError(plan_id)
    return plan


def _load_subscription(
    uow: SubscriptionsUnitOfWork,
    subscription_id: int,
    actor: Principal,
    *,
    lock: RowLock | None = None,
) -> SubscriptionRecord:
    """The subscription, if the caller may see it; another user's reads as not found."""
    sees_all = allows(actor, Permission.MANAGE_SUBSCRIPTIONS)
    if not sees_all:
        require(actor, Permission.MANAGE_OWN_SUBSCRIPTION)
    valid = is_valid_id(subscription_id)
    record = uow.subscriptions.get(subscription_id, lock=lock) if valid else None
    if record is None or not (sees_all or record.user_id == actor.user_id):
        raise SubscriptionNotFoundError(subscription_id)
    return record


def _replayed(known: Payment, subscription_id: int, data: PaymentCreate) -> Payment:
    """The first payment, if this call repeats it exactly; else a conflict."""
    same = (known.subscription_id, known.amount, known.currency) == (
        subscription_id,
        data.amount,
        data.currency,
    )
    if not same:
        raise PaymentConflictError(data.reference)
    return known


def _updated(
    record: SubscriptionRecord, now: datetime, changed: tuple[str, ...]
) -> SubscriptionUpdated:
    return SubscriptionUpdated(
        occurred_at=now, subscription_id=record.id, user_id=record.user_id, changed=changed
    )


def _movies_changed(
    plan_id: int, now: datetime, *, added: tuple[int, ...] = (), removed: tuple[int, ...] = ()
) -> PlanUpdated:
    return PlanUpdated(
        occurred_at=now,
        plan_id=plan_id,
        changed=("movies",),
        movie_ids_added=added,
        movie_ids_removed=removed,
    )
