"""The subscriptions contract (SPEC §3.3) that every storage backend must pass.

Through ``core.subscriptions`` on the memory, SQLite and PostgreSQL backends: create (one live
subscription per user, also enforced by the storage past the service), change plan, cancel, get
and list with their ownership rules, and the derived status at the exact boundaries of the
clock: pending, active until ``paid_until``, past due for the grace days, then expired; a
canceled subscription watches until ``paid_until``.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest

from streamcore import (
    ConflictError,
    InvalidInputError,
    MovieQuery,
    NotAuthenticatedError,
    Settings,
    StreamCore,
)
from streamcore.auth.models import UserPatch
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import ANONYMOUS, SYSTEM, Role
from streamcore.subscriptions.errors import (
    LiveSubscriptionExistsError,
    SubscriptionNotFoundError,
    SubscriptionStateError,
)
from streamcore.subscriptions.models import (
    PlanChange,
    PlanPatch,
    Subscription,
    SubscriptionCreate,
    SubscriptionQuery,
)
from tests.conftest import FakeClock
from tests.contract.test_plans import (
    STATES,
    in_state,
    make_movie,
    make_plan,
    make_user,
    outcome,
    pay,
    subscribe,
)

LIVE = ("pending", "active", "past_due")
EVERY = SubscriptionQuery(limit=100)
MICRO = timedelta(microseconds=1)


def statuses(core: StreamCore, user_id: int) -> list[str]:
    """The user's subscriptions' statuses, oldest first."""
    page = core.subscriptions.list(SubscriptionQuery(user_id=user_id, limit=100), actor=SYSTEM)
    return [s.status for s in reversed(page.items)]


# --- create ---------------------------------------------------------------------------------


def test_a_subscriber_subscribes_itself(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")

    created = core.subscriptions.create(SubscriptionCreate(plan_id=plan.id), actor=ann.principal)

    assert created.model_dump() == {
        "id": created.id,
        "user_id": ann.id,
        "plan_id": plan.id,
        "status": "pending",
        "paid_until": None,
        "canceled_at": None,
        "created_at": clock.now,
        "updated_at": clock.now,
    }
    assert core.subscriptions.get(created.id, actor=ann.principal) == created
    assert core.subscriptions.get(created.id, actor=SYSTEM) == created
    # Naming oneself explicitly is the same; an editor subscribes itself too.
    bob = make_user(core, "Bob")
    mine = SubscriptionCreate(plan_id=plan.id, user_id=bob.id)
    assert core.subscriptions.create(mine, actor=bob.principal).user_id == bob.id
    ed = make_user(core, "Ed", Role.EDITOR)
    assert subscribe(core, ed, plan).user_id == ed.id


def test_an_administrator_subscribes_any_user(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    root = make_user(core, "Root", Role.ADMIN)
    ann = make_user(core, "Ann")

    created = core.subscriptions.create(
        SubscriptionCreate(plan_id=plan.id, user_id=ann.id), actor=root.principal
    )
    assert (created.user_id, created.status) == (ann.id, "pending")

    # The trusted caller (no actor) has no user of its own: it must say whom.
    with pytest.raises(InvalidInputError) as caught:
        core.subscriptions.create(SubscriptionCreate(plan_id=plan.id), actor=SYSTEM)
    assert caught.value.fields == ("user_id",)
    assert core.subscriptions.list(actor=SYSTEM).total == 1


def test_one_live_subscription_per_user(core: StreamCore, clock: FakeClock) -> None:
    old = make_plan(core, "Old")
    new = make_plan(core, "New")
    users = {state: make_user(core, state.replace("_", "")) for state in STATES}
    for state, user in users.items():
        in_state(core, old, user, state, clock.now)

    seen = {state: outcome(subscribe, core, user, new) for state, user in users.items()}

    # Pending, active and past due are live: a second one is a conflict. Expired and canceled
    # ones are not, and keep their own status next to the new pending one.
    assert seen == {
        "pending": "ConflictError",
        "active": "ConflictError",
        "past_due": "ConflictError",
        "expired": "ok",
        "canceled": "ok",
    }
    assert {state: statuses(core, user.id) for state, user in users.items()} == {
        "pending": ["pending"],
        "active": ["active"],
        "past_due": ["past_due"],
        "expired": ["expired", "pending"],
        "canceled": ["canceled", "pending"],
    }
    with pytest.raises(LiveSubscriptionExistsError):
        subscribe(core, users["active"], new)
    # The new pending subscription is live in its turn.
    with pytest.raises(LiveSubscriptionExistsError):
        subscribe(core, users["expired"], old)


def test_the_storage_enforces_one_live_subscription_past_the_service(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = make_plan(core, "Basic")
    ann, bob, cy = make_user(core, "Ann"), make_user(core, "Bob"), make_user(core, "Cy")
    subscribe(core, ann, plan)

    # Writers that skipped the service's check: the storage must refuse the second one.
    with (
        core.storage.unit_of_work() as uow,
        pytest.raises(LiveSubscriptionExistsError) as caught,
    ):
        uow.subscriptions.add(ann.id, plan.id, clock.now)
    assert isinstance(caught.value, ConflictError)

    with core.storage.unit_of_work() as uow:
        uow.subscriptions.add(bob.id, plan.id, clock.now)
        with pytest.raises(LiveSubscriptionExistsError):
            uow.subscriptions.add(bob.id, plan.id, clock.now)

    # A canceled subscription does not count: the storage takes a new one.
    canceled = subscribe(core, cy, plan)
    core.subscriptions.cancel(canceled.id, actor=SYSTEM)
    with core.storage.unit_of_work() as uow:
        uow.subscriptions.add(cy.id, plan.id, clock.now)
        uow.commit()

    assert statuses(core, ann.id) == ["pending"]
    assert statuses(core, bob.id) == []
    assert statuses(core, cy.id) == ["canceled", "pending"]


def test_subscribing_needs_an_active_plan_and_an_active_user(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    inactive = make_plan(core, "Inactive", is_active=False)
    deleted = make_plan(core, "Deleted")
    core.plans.delete(deleted.id, actor=SYSTEM)
    ann = make_user(core, "Ann")
    idle = make_user(core, "Idle", is_active=False)
    gone = make_user(core, "Gone")
    core.auth.delete_user(gone.id, actor=SYSTEM)

    cases = {
        "unknown plan": (SubscriptionCreate(plan_id=999, user_id=ann.id), ("plan_id",)),
        "inactive plan": (SubscriptionCreate(plan_id=inactive.id, user_id=ann.id), ("plan_id",)),
        "deleted plan": (SubscriptionCreate(plan_id=deleted.id, user_id=ann.id), ("plan_id",)),
        "unknown user": (SubscriptionCreate(plan_id=plan.id, user_id=999), ("user_id",)),
        "inactive user": (SubscriptionCreate(plan_id=plan.id, user_id=idle.id), ("user_id",)),
        "deleted user": (SubscriptionCreate(plan_id=plan.id, user_id=gone.id), ("user_id",)),
    }
    seen = {}
    for case, (data, _) in cases.items():
        try:
            core.subscriptions.create(data, actor=SYSTEM)
        except InvalidInputError as exc:
            seen[case] = exc.fields
        else:
            seen[case] = ()

    assert seen == {case: fields for case, (_, fields) in cases.items()}
    assert core.subscriptions.list(actor=SYSTEM).total == 0


# --- change plan and cancel -----------------------------------------------------------------


def test_changing_plan_takes_effect_at_once_without_proration(
    core: StreamCore, clock: FakeClock
) -> None:
    basic = make_plan(core, "Basic", price="5.00")
    premium = make_plan(core, "Premium", price="15.00", period="year")
    only_premium = make_movie(core, "Premium Only")
    core.plans.add_movie(premium.id, only_premium.id, actor=SYSTEM)
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, basic)
    paid_until = pay(core, subscription, basic, "ref-1").payment.period_end
    assert core.entitlements.may_watch(ann.id, only_premium.id) is False
    clock.advance(days=10)

    changed = core.subscriptions.change_plan(
        subscription.id, PlanChange(plan_id=premium.id), actor=ann.principal
    )

    assert changed.plan_id == premium.id
    assert (changed.paid_until, changed.status) == (paid_until, "active")
    assert changed.updated_at == clock.now
    assert core.subscriptions.get(subscription.id, actor=SYSTEM) == changed
    assert core.entitlements.may_watch(ann.id, only_premium.id) is True
    assert [m.id for m in core.entitlements.watchable(ann.id, actor=SYSTEM).items] == [
        only_premium.id
    ]

    # The same plan again changes nothing.
    clock.advance(days=1)
    assert core.subscriptions.change_plan(
        subscription.id, PlanChange(plan_id=premium.id), actor=SYSTEM
    ) == (changed)


def test_a_plan_change_needs_an_active_plan_and_an_open_subscription(core: StreamCore) -> None:
    basic = make_plan(core, "Basic")
    inactive = make_plan(core, "Inactive", is_active=False)
    premium = make_plan(core, "Premium")
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, basic)

    for plan_id in (inactive.id, 999):
        with pytest.raises(InvalidInputError) as caught:
            core.subscriptions.change_plan(
                subscription.id, PlanChange(plan_id=plan_id), actor=SYSTEM
            )
        assert caught.value.fields == ("plan_id",)

    canceled = core.subscriptions.cancel(subscription.id, actor=SYSTEM)
    with pytest.raises(SubscriptionStateError) as refused:
        core.subscriptions.change_plan(
            subscription.id, PlanChange(plan_id=premium.id), actor=SYSTEM
        )
    assert isinstance(refused.value, ConflictError)
    assert core.subscriptions.get(subscription.id, actor=SYSTEM) == canceled
    assert canceled.plan_id == basic.id


def test_cancel(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)
    clock.advance(hours=1)

    canceled = core.subscriptions.cancel(subscription.id, actor=ann.principal)

    assert (canceled.status, canceled.canceled_at, canceled.updated_at) == (
        "canceled",
        clock.now,
        clock.now,
    )
    assert core.subscriptions.get(subscription.id, actor=SYSTEM) == canceled
    # Canceling again changes nothing.
    clock.advance(hours=1)
    assert core.subscriptions.cancel(subscription.id, actor=SYSTEM) == canceled
    # A payment does not revive it.
    with pytest.raises(ConflictError):
        pay(core, canceled, plan, "late")
    assert core.subscriptions.get(subscription.id, actor=SYSTEM) == canceled


# --- get and list ---------------------------------------------------------------------------


def test_administrators_see_every_subscription_subscribers_their_own(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = make_plan(core, "Basic")
    root = make_user(core, "Root", Role.ADMIN)
    ann, bob = make_user(core, "Ann"), make_user(core, "Bob")
    first = subscribe(core, ann, plan)
    core.subscriptions.cancel(first.id, actor=SYSTEM)
    clock.advance(minutes=1)
    second = subscribe(core, ann, plan)
    clock.advance(minutes=1)
    bobs = subscribe(core, bob, plan)

    def ids(query: SubscriptionQuery = EVERY, **kw: object) -> tuple[list[int], int]:
        kw.setdefault("actor", SYSTEM)
        page = core.subscriptions.list(query, **kw)  # type: ignore[arg-type]
        return [s.id for s in page.items], page.total

    # Newest first.
    assert ids(actor=root.principal) == ([bobs.id, second.id, first.id], 3)
    assert ids() == ([bobs.id, second.id, first.id], 3)
    assert ids(SubscriptionQuery(user_id=ann.id), actor=root.principal) == (
        [second.id, first.id],
        2,
    )
    assert ids(SubscriptionQuery(limit=1, offset=1)) == ([second.id], 3)
    assert ids(actor=ann.principal) == ([second.id, first.id], 2)
    assert ids(SubscriptionQuery(user_id=bob.id), actor=ann.principal) == (
        [second.id, first.id],
        2,
    )
    assert ids(actor=bob.principal) == ([bobs.id], 1)

    # Another user's subscription reads as not found, for every verb.
    calls = {
        "get": lambda: core.subscriptions.get(bobs.id, actor=ann.principal),
        "cancel": lambda: core.subscriptions.cancel(bobs.id, actor=ann.principal),
        "change_plan": lambda: core.subscriptions.change_plan(
            bobs.id, PlanChange(plan_id=plan.id), actor=ann.principal
        ),
    }
    for verb, call in calls.items():
        with pytest.raises(SubscriptionNotFoundError):
            call()
        assert core.subscriptions.get(bobs.id, actor=SYSTEM) == bobs, verb
    assert core.subscriptions.get(bobs.id, actor=root.principal) == bobs


def test_an_unknown_subscription_is_not_found(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    for subscription_id in (1, 999, 0, -1, 2**31, 2**63):
        for call in (
            lambda i: core.subscriptions.get(i, actor=SYSTEM),
            lambda i: core.subscriptions.cancel(i, actor=SYSTEM),
            lambda i: core.subscriptions.change_plan(i, PlanChange(plan_id=plan.id), actor=SYSTEM),
        ):
            with pytest.raises(SubscriptionNotFoundError):
                call(subscription_id)


def test_who_may_do_what_to_subscriptions(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    other = make_user(core, "Other")
    theirs = subscribe(core, other, plan)
    actors = {
        "anonymous": None,
        "subscriber": make_user(core, "Sub"),
        "editor": make_user(core, "Ed", Role.EDITOR),
        "admin": make_user(core, "Root", Role.ADMIN),
    }
    seen: dict[str, dict[str, str]] = {}
    for name, user in actors.items():
        actor = ANONYMOUS if user is None else user.principal
        own: Subscription | None = None if user is None else subscribe(core, user, plan)
        own_id = theirs.id if own is None else own.id
        change = PlanChange(plan_id=plan.id)
        seen[name] = {
            "create own": outcome(
                core.subscriptions.create, SubscriptionCreate(plan_id=plan.id), actor=actor
            ),
            "create for another": outcome(
                core.subscriptions.create,
                SubscriptionCreate(plan_id=plan.id, user_id=other.id),
                actor=actor,
            ),
            "get own": outcome(core.subscriptions.get, own_id, actor=actor),
            "get another's": outcome(core.subscriptions.get, theirs.id, actor=actor),
            "list": outcome(core.subscriptions.list, actor=actor),
            "change another's": outcome(
                core.subscriptions.change_plan, theirs.id, change, actor=actor
            ),
            "cancel another's": outcome(core.subscriptions.cancel, theirs.id, actor=actor),
            "cancel own": outcome(core.subscriptions.cancel, own_id, actor=actor),
        }
        if name != "admin":
            assert core.subscriptions.get(theirs.id, actor=SYSTEM) == theirs, name

    anonymous = dict.fromkeys(seen["anonymous"], "NotAuthenticatedError")
    subscriber = {
        # The own subscription already exists: a second one is a conflict, not a refusal.
        "create own": "ConflictError",
        "create for another": "PermissionDeniedError",
        "get own": "ok",
        "get another's": "NotFoundError",
        "list": "ok",
        "change another's": "NotFoundError",
        "cancel another's": "NotFoundError",
        "cancel own": "ok",
    }
    admin = subscriber | {
        "create for another": "ConflictError",
        "get another's": "ok",
        "change another's": "ok",
        "cancel another's": "ok",
    }
    assert seen == {
        "anonymous": anonymous,
        "subscriber": subscriber,
        "editor": subscriber,
        "admin": admin,
    }
    with pytest.raises(NotAuthenticatedError):
        core.subscriptions.list(actor=ANONYMOUS)


# --- status at the boundaries ---------------------------------------------------------------


@pytest.mark.parametrize("canceled", [False, True], ids=["open", "canceled"])
def test_status_and_watching_at_the_exact_boundaries(
    core: StreamCore, clock: FakeClock, canceled: bool
) -> None:
    plan = make_plan(core, "Basic")
    movie = make_movie(core, "Alien")
    core.plans.add_movie(plan.id, movie.id, actor=SYSTEM)
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)
    start = clock.now
    paid_until = pay(core, subscription, plan, "ref-1").payment.period_end
    assert paid_until == start.replace(month=2)
    if canceled:
        core.subscriptions.cancel(subscription.id, actor=SYSTEM)
    grace = timedelta(days=3)  # Settings.grace_days, by default

    def seen_at(moment: object) -> tuple[str, bool, bool]:
        clock.now = moment  # type: ignore[assignment]
        status = core.subscriptions.get(subscription.id, actor=ann.principal).status
        listed = core.subscriptions.list(actor=ann.principal).items[0].status
        assert listed == status
        watchable = core.entitlements.watchable(ann.id, MovieQuery(), actor=ann.principal)
        return status, core.entitlements.may_watch(ann.id, movie.id), watchable.total == 1

    instants = {
        "at payment": start,
        "just before paid_until": paid_until - MICRO,
        "at paid_until": paid_until,
        "just before the grace ends": paid_until + grace - MICRO,
        "when the grace ends": paid_until + grace,
        "a year later": paid_until + timedelta(days=365),
    }
    seen = {name: seen_at(moment) for name, moment in instants.items()}

    if canceled:
        expected = {
            "at payment": ("canceled", True, True),
            "just before paid_until": ("canceled", True, True),
            "at paid_until": ("canceled", False, False),
            "just before the grace ends": ("canceled", False, False),
            "when the grace ends": ("canceled", False, False),
            "a year later": ("canceled", False, False),
        }
    else:
        expected = {
            "at payment": ("active", True, True),
            "just before paid_until": ("active", True, True),
            "at paid_until": ("past_due", True, True),
            "just before the grace ends": ("past_due", True, True),
            "when the grace ends": ("expired", False, False),
            "a year later": ("expired", False, False),
        }
    assert seen == expected


def test_a_pending_subscription_watches_nothing(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic")
    movie = make_movie(core, "Alien")
    core.plans.add_movie(plan.id, movie.id, actor=SYSTEM)
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)

    for days in (0, 40, 400):
        clock.now = subscription.created_at + timedelta(days=days)
        assert core.subscriptions.get(subscription.id, actor=SYSTEM).status == "pending"
        assert core.entitlements.may_watch(ann.id, movie.id) is False
        assert core.entitlements.watchable(ann.id, actor=SYSTEM).total == 0
    core.subscriptions.cancel(subscription.id, actor=SYSTEM)
    assert core.subscriptions.get(subscription.id, actor=SYSTEM).status == "canceled"
    assert core.entitlements.may_watch(ann.id, movie.id) is False


@pytest.mark.parametrize("grace_days", [0, 10])
def test_the_grace_period_comes_from_the_settings(
    database_url: str, clock: FakeClock, tmp_path: Path, grace_days: int
) -> None:
    settings = Settings(database_url=database_url, media_root=tmp_path / "m", grace_days=grace_days)
    with StreamCore.open(settings, clock=clock, hasher=Argon2Hasher(CHEAPEST)) as core:
        plan = make_plan(core, "Basic")
        ann = make_user(core, "Ann")
        subscription = subscribe(core, ann, plan)
        paid_until = pay(core, subscription, plan, "ref-1").payment.period_end
        grace = timedelta(days=grace_days)

        seen = {}
        for moment in (
            paid_until - MICRO,
            paid_until,
            paid_until + grace - MICRO,
            paid_until + grace,
        ):
            clock.now = moment
            seen[moment - paid_until] = core.subscriptions.get(subscription.id, actor=SYSTEM).status

    if grace_days == 0:
        assert seen == {-MICRO: "active", timedelta(0): "expired"}
    else:
        assert seen == {
            -MICRO: "active",
            timedelta(0): "past_due",
            grace - MICRO: "past_due",
            grace: "expired",
        }


# --- one live subscription, whatever happens later ------------------------------------------


def test_paying_a_superseded_subscription_never_makes_a_second_live_one(
    core: StreamCore, clock: FakeClock
) -> None:
    old_plan = make_plan(core, "Old")
    new_plan = make_plan(core, "New")
    ann = make_user(core, "Ann")
    old = in_state(core, old_plan, ann, "expired", clock.now)
    new = subscribe(core, ann, new_plan)  # the expired one is superseded
    pay(core, new, new_plan, "new-1")

    with contextlib.suppress(ConflictError):  # refusing it is one way to keep the rule
        pay(core, old, old_plan, "old-late")

    live = [s for s in statuses(core, ann.id) if s in LIVE]
    assert len(live) <= 1, statuses(core, ann.id)


def test_deactivating_the_user_or_the_plan_leaves_the_subscription_alone(
    core: StreamCore,
) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)
    core.auth.update_user(ann.id, UserPatch(is_active=False), actor=SYSTEM)
    core.plans.update(plan.id, PlanPatch(is_active=False), actor=SYSTEM)

    found = core.subscriptions.get(subscription.id, actor=SYSTEM)

    assert (found.status, found.plan_id, found.user_id) == ("pending", plan.id, ann.id)
