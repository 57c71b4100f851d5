"""The plans contract (SPEC §3.3) that every storage backend must pass.

Everything goes through ``core.plans`` (``PlanService``) on the memory, SQLite and PostgreSQL
backends: create, get, list, full and partial update, deactivate, delete (refused while a live
subscription uses the plan), the plan's movies, ``includes_new_movies``, and who may do each.
Names are unique case-insensitively, and the storage enforces that past the service. Money is
``Decimal`` and exact after a round trip through the backend.

The helpers at the top are shared by the other subscription contract modules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from streamcore import (
    ConflictError,
    InvalidInputError,
    Movie,
    MovieCreate,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    StreamCore,
    StreamcoreError,
)
from streamcore.auth.models import User, UserCreate
from streamcore.auth.permissions import ANONYMOUS, SYSTEM, Principal, Role
from streamcore.subscriptions.errors import DuplicatePlanError, PlanInUseError, PlanNotFoundError
from streamcore.subscriptions.models import (
    PaymentCreate,
    PaymentResult,
    Plan,
    PlanChange,
    PlanCreate,
    PlanPatch,
    PlanQuery,
    Subscription,
    SubscriptionCreate,
)
from streamcore.subscriptions.periods import add_months
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
ALL_PLANS = PlanQuery(include_inactive=True, limit=100)

# --- helpers shared by the subscription contract modules ------------------------------------


def plan_data(name: str = "Basic", **fields: Any) -> PlanCreate:
    """A monthly 9.99 EUR plan unless ``fields`` say otherwise."""
    values: dict[str, Any] = {"name": name, "price": "9.99", "currency": "EUR", "period": "month"}
    return PlanCreate(**(values | fields))


def make_plan(core: StreamCore, name: str = "Basic", **fields: Any) -> Plan:
    return core.plans.create(plan_data(name, **fields), actor=SYSTEM)


def make_user(core: StreamCore, name: str, role: Role = Role.SUBSCRIBER, **fields: Any) -> User:
    email = f"{name.lower()}@example.org"
    return core.auth.create_user(
        UserCreate(email=email, password=PASSWORD, name=name, role=role, **fields), actor=SYSTEM
    )


def make_movie(core: StreamCore, title: str, year: int = 2000, **fields: Any) -> Movie:
    return core.movies.create(MovieCreate(title=title, year=year, **fields), actor=SYSTEM)


def subscribe(core: StreamCore, user: User, plan: Plan) -> Subscription:
    """Subscribe ``user`` to ``plan`` as the user itself."""
    return core.subscriptions.create(SubscriptionCreate(plan_id=plan.id), actor=user.principal)


def pay(
    core: StreamCore,
    subscription: Subscription,
    plan: Plan,
    reference: str,
    paid_at: datetime | None = None,
) -> PaymentResult:
    """Record one payment of the plan's price (as the trusted caller)."""
    data = PaymentCreate(
        amount=str(plan.price), currency=plan.currency, reference=reference, paid_at=paid_at
    )
    return core.subscriptions.record_payment(subscription.id, data, actor=SYSTEM)


STATES = ("pending", "active", "past_due", "expired", "canceled")


def in_state(
    core: StreamCore, plan: Plan, user: User, state: str, now: datetime, reference: str = ""
) -> Subscription:
    """A new subscription of ``user`` on ``plan`` whose status is ``state`` at ``now``.

    Payments with an earlier ``paid_at`` age it without moving the clock: paid a month and
    a day ago is past due (inside the grace days), a month and ten days ago is expired.
    """
    subscription = subscribe(core, user, plan)
    back = {"active": 0, "canceled": 0, "past_due": 1, "expired": 10}
    if state != "pending":
        months = 0 if state in ("active", "canceled") else -1
        paid_at = add_months(now - timedelta(days=back[state]), months)
        pay(core, subscription, plan, reference or f"ref-{subscription.id}", paid_at)
    if state == "canceled":
        core.subscriptions.cancel(subscription.id, actor=SYSTEM)
    found = core.subscriptions.get(subscription.id, actor=SYSTEM)
    assert found.status == state
    return found


def outcome(call: Callable[..., object], *args: Any, **kwargs: Any) -> str:
    """``"ok"``, or the name of the error's category: tables of cases compare as a whole."""
    try:
        call(*args, **kwargs)
    except StreamcoreError as exc:
        return _category(exc)
    return "ok"


def _category(exc: Exception) -> str:
    for category in (
        NotAuthenticatedError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        InvalidInputError,
    ):
        if isinstance(exc, category):
            return category.__name__
    raise AssertionError(f"unexpected {exc!r}")  # pragma: no cover


def principals(core: StreamCore) -> dict[str, Principal]:
    """One caller of each kind: anonymous, subscriber, editor, admin."""
    return {
        "anonymous": ANONYMOUS,
        "subscriber": make_user(core, "Sub").principal,
        "editor": make_user(core, "Ed", Role.EDITOR).principal,
        "admin": make_user(core, "Root", Role.ADMIN).principal,
    }


def plan_names(core: StreamCore, query: PlanQuery = ALL_PLANS, **kw: Any) -> list[str]:
    kw.setdefault("actor", SYSTEM)
    return [p.name for p in core.plans.list(query, **kw).items]


# --- create and get -------------------------------------------------------------------------


def test_create_stores_every_field_and_get_reads_it_back(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = core.plans.create(
        PlanCreate(
            name="  Premium  ",
            description=" Everything. ",
            price="19.90",
            currency=" usd ",
            period="year",
            includes_new_movies=True,
        ),
        actor=SYSTEM,
    )

    assert plan.id >= 1
    assert (plan.name, plan.description, plan.currency, plan.period) == (
        "Premium",
        "Everything.",
        "USD",
        "year",
    )
    assert (plan.includes_new_movies, plan.is_active) == (True, True)
    assert isinstance(plan.price, Decimal)
    assert (plan.price, str(plan.price)) == (Decimal("19.90"), "19.90")
    assert plan.created_at == plan.updated_at == clock.now
    assert core.plans.get(plan.id, actor=SYSTEM) == plan
    assert core.plans.get(plan.id, actor=ANONYMOUS) == plan

    plain = core.plans.create(
        PlanCreate(name="Basic", price="5", currency="EUR", period="month"), actor=SYSTEM
    )
    assert (plain.description, plain.includes_new_movies, plain.is_active) == ("", False, True)
    assert (str(plain.price), plain.period) == ("5.00", "month")


def test_prices_are_exact_decimals_after_a_round_trip(core: StreamCore) -> None:
    cases = {
        "0": "0.00",
        "0.5": "0.50",
        "9.99": "9.99",
        "10": "10.00",
        "0.01": "0.01",
        "1234567.89": "1234567.89",
        "99999999.99": "99999999.99",
        " 4.20 ": "4.20",
        Decimal("7.1"): "7.10",
    }
    created = {raw: make_plan(core, f"Plan {i}", price=raw) for i, raw in enumerate(cases)}

    for raw, expected in cases.items():
        stored = core.plans.get(created[raw].id, actor=SYSTEM)
        assert isinstance(stored.price, Decimal)
        assert (str(created[raw].price), str(stored.price)) == (expected, expected), raw
        assert stored.price == Decimal(expected)
    listed = {p.id: str(p.price) for p in core.plans.list(ALL_PLANS, actor=SYSTEM).items}
    assert sorted(listed.values()) == sorted(cases.values())


def test_a_float_price_is_refused_naming_the_field(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    for price in (9.99, 10.0, True):
        with pytest.raises(InvalidInputError) as caught:
            core.plans.create(plan_data("Other", price=price), actor=SYSTEM)
        assert caught.value.fields == ("price",)
        with pytest.raises(InvalidInputError) as caught:
            core.plans.update(plan.id, PlanPatch(price=price), actor=SYSTEM)
        assert caught.value.fields == ("price",)

    assert core.plans.list(ALL_PLANS, actor=SYSTEM).items == (plan,)


def test_an_unknown_plan_is_not_found_everywhere(core: StreamCore) -> None:
    movie = make_movie(core, "Alien")
    deleted = make_plan(core, "Gone")
    core.plans.delete(deleted.id, actor=SYSTEM)
    calls: list[Callable[[int], object]] = [
        lambda i: core.plans.get(i, actor=SYSTEM),
        lambda i: core.plans.update(i, PlanPatch(name="X"), actor=SYSTEM),
        lambda i: core.plans.replace(i, plan_data("X"), actor=SYSTEM),
        lambda i: core.plans.delete(i, actor=SYSTEM),
        lambda i: core.plans.add_movie(i, movie.id, actor=SYSTEM),
        lambda i: core.plans.remove_movie(i, movie.id, actor=SYSTEM),
        lambda i: core.plans.movies(i, actor=SYSTEM),
    ]

    for plan_id in (deleted.id, 999, 0, -1, 2**31, 2**63):
        for call in calls:
            with pytest.raises(PlanNotFoundError):
                call(plan_id)
    assert core.plans.list(ALL_PLANS, actor=SYSTEM).total == 0


# --- unique names ---------------------------------------------------------------------------


def test_names_are_unique_case_insensitively(core: StreamCore) -> None:
    basic = make_plan(core, "Basic")
    premium = make_plan(core, "Premium")

    with pytest.raises(DuplicatePlanError) as caught:
        make_plan(core, " bASIC ", price="1.00")
    assert isinstance(caught.value, ConflictError)

    with pytest.raises(DuplicatePlanError):
        core.plans.update(premium.id, PlanPatch(name="BASIC"), actor=SYSTEM)
    with pytest.raises(DuplicatePlanError):
        core.plans.replace(premium.id, plan_data("basic"), actor=SYSTEM)

    assert plan_names(core) == ["Basic", "Premium"]
    assert core.plans.get(premium.id, actor=SYSTEM) == premium
    # A plan may change the case of its own name.
    assert core.plans.update(basic.id, PlanPatch(name="BASIC"), actor=SYSTEM).name == "BASIC"


def test_the_storage_enforces_unique_names_past_the_service(
    core: StreamCore, clock: FakeClock
) -> None:
    make_plan(core, "Basic")

    # A second writer that skipped the service's check: the database must refuse it.
    with core.storage.unit_of_work() as uow, pytest.raises(DuplicatePlanError):
        uow.plans.add(plan_data("BASIC"), clock.now)

    # Two adds in one transaction: the second is refused as well.
    with core.storage.unit_of_work() as uow:
        uow.plans.add(plan_data("Gold"), clock.now)
        with pytest.raises(DuplicatePlanError):
            uow.plans.add(plan_data("gold"), clock.now)

    assert plan_names(core) == ["Basic"]


def test_a_deleted_plans_name_may_be_used_again(core: StreamCore) -> None:
    old = make_plan(core, "Basic")
    core.plans.delete(old.id, actor=SYSTEM)

    new = make_plan(core, "BASIC")

    assert new.id != old.id
    assert plan_names(core) == ["BASIC"]
    with pytest.raises(PlanNotFoundError):
        core.plans.get(old.id, actor=SYSTEM)


# --- list -----------------------------------------------------------------------------------


def test_list_shows_active_plans_and_inactive_ones_only_to_administrators(
    core: StreamCore,
) -> None:
    who = principals(core)
    make_plan(core, "A")
    make_plan(core, "B", is_active=False)
    make_plan(core, "C")
    make_plan(core, "D", is_active=False)
    make_plan(core, "E")

    seen = {
        (name, include): plan_names(core, PlanQuery(include_inactive=include), actor=actor)
        for name, actor in [*who.items(), ("trusted", SYSTEM)]
        for include in (False, True)
    }

    everything, active = ["A", "B", "C", "D", "E"], ["A", "C", "E"]
    assert seen == {
        ("anonymous", False): active,
        ("anonymous", True): active,
        ("subscriber", False): active,
        ("subscriber", True): active,
        ("editor", False): active,
        ("editor", True): active,
        ("admin", False): active,
        ("admin", True): everything,
        ("trusted", False): active,
        ("trusted", True): everything,
    }
    page = core.plans.list(PlanQuery(limit=2, offset=1), actor=ANONYMOUS)
    assert ([p.name for p in page.items], page.total, page.limit, page.offset) == (
        ["C", "E"],
        3,
        2,
        1,
    )
    page = core.plans.list(PlanQuery(include_inactive=True, limit=2, offset=3), actor=SYSTEM)
    assert ([p.name for p in page.items], page.total) == (["D", "E"], 5)


def test_an_inactive_plan_reads_as_not_found_except_for_administrators(core: StreamCore) -> None:
    who = principals(core)
    plan = make_plan(core, "Old", is_active=False)

    seen = {name: outcome(core.plans.get, plan.id, actor=actor) for name, actor in who.items()}

    assert seen == {
        "anonymous": "NotFoundError",
        "subscriber": "NotFoundError",
        "editor": "NotFoundError",
        "admin": "ok",
    }


# --- update ---------------------------------------------------------------------------------


def test_replace_sets_every_field(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic", description="Some.", includes_new_movies=True)
    clock.advance(hours=1)

    replaced = core.plans.replace(
        plan.id,
        PlanCreate(name="Yearly", price="99.00", currency="gbp", period="year"),
        actor=SYSTEM,
    )

    assert replaced.model_dump() == {
        "id": plan.id,
        "name": "Yearly",
        "description": "",
        "price": Decimal("99.00"),
        "currency": "GBP",
        "period": "year",
        "includes_new_movies": False,
        "is_active": True,
        "created_at": plan.created_at,
        "updated_at": clock.now,
    }
    assert core.plans.get(plan.id, actor=SYSTEM) == replaced


def test_update_changes_only_the_fields_given(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic", description="Some.")
    clock.advance(minutes=5)

    updated = core.plans.update(
        plan.id, PlanPatch(price="12.50", includes_new_movies=True), actor=SYSTEM
    )

    assert updated == plan.model_copy(
        update={"price": Decimal("12.50"), "includes_new_movies": True, "updated_at": clock.now}
    )
    assert core.plans.get(plan.id, actor=SYSTEM) == updated
    assert str(core.plans.get(plan.id, actor=SYSTEM).price) == "12.50"


def test_an_update_that_changes_nothing_keeps_updated_at(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = make_plan(core, "Basic")
    clock.advance(minutes=5)

    assert core.plans.update(plan.id, PlanPatch(name="Basic", price="9.99"), actor=SYSTEM) == plan
    assert core.plans.update(plan.id, PlanPatch(), actor=SYSTEM) == plan
    assert core.plans.get(plan.id, actor=SYSTEM).updated_at == plan.created_at


def test_a_deactivated_plan_takes_no_new_subscriptions(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    other = make_plan(core, "Other")
    ann, bob = make_user(core, "Ann"), make_user(core, "Bob")
    kept = subscribe(core, bob, other)

    core.plans.update(plan.id, PlanPatch(is_active=False), actor=SYSTEM)

    with pytest.raises(InvalidInputError) as caught:
        subscribe(core, ann, plan)
    assert caught.value.fields == ("plan_id",)
    with pytest.raises(InvalidInputError) as caught:
        core.subscriptions.change_plan(kept.id, PlanChange(plan_id=plan.id), actor=bob.principal)
    assert caught.value.fields == ("plan_id",)
    assert core.subscriptions.list(actor=SYSTEM).total == 1

    # Existing subscriptions on it go on, and watch its movies.
    movie = make_movie(core, "Alien")
    core.plans.add_movie(other.id, movie.id, actor=SYSTEM)
    pay(core, kept, other, "ref-1")
    core.plans.update(other.id, PlanPatch(is_active=False), actor=SYSTEM)
    assert core.subscriptions.get(kept.id, actor=SYSTEM).status == "active"
    assert core.entitlements.may_watch(bob.id, movie.id) is True

    core.plans.update(plan.id, PlanPatch(is_active=True), actor=SYSTEM)
    assert subscribe(core, ann, plan).plan_id == plan.id


# --- delete ---------------------------------------------------------------------------------


def test_a_plan_cannot_be_deleted_while_a_live_subscription_uses_it(
    core: StreamCore, clock: FakeClock
) -> None:
    plans = {state: make_plan(core, state) for state in STATES}
    for state, plan in plans.items():
        in_state(core, plan, make_user(core, state.replace("_", "")), state, clock.now)
    unused = make_plan(core, "Unused")

    seen = {
        state: outcome(core.plans.delete, plan.id, actor=SYSTEM) for state, plan in plans.items()
    }

    assert seen == {
        "pending": "ConflictError",
        "active": "ConflictError",
        "past_due": "ConflictError",
        "expired": "ok",
        "canceled": "ok",
    }
    with pytest.raises(PlanInUseError):
        core.plans.delete(plans["active"].id, actor=SYSTEM)
    core.plans.delete(unused.id, actor=SYSTEM)
    assert plan_names(core) == ["pending", "active", "past_due"]
    for state in ("expired", "canceled"):
        with pytest.raises(PlanNotFoundError):
            core.plans.get(plans[state].id, actor=SYSTEM)
    # The subscriptions keep their history.
    assert sorted(s.plan_id for s in core.subscriptions.list(actor=SYSTEM).items) == sorted(
        p.id for p in plans.values()
    )


# --- the plan's movies ----------------------------------------------------------------------


def _movie_ids(core: StreamCore, plan: Plan) -> list[int]:
    return [m.id for m in core.plans.movies(plan.id, actor=SYSTEM).items]


def test_adding_and_removing_movies_is_idempotent(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    other = make_plan(core, "Other")
    alien, brazil = make_movie(core, "Alien"), make_movie(core, "Brazil")

    core.plans.add_movie(plan.id, alien.id, actor=SYSTEM)
    core.plans.add_movie(plan.id, alien.id, actor=SYSTEM)
    core.plans.add_movie(plan.id, brazil.id, actor=SYSTEM)
    assert _movie_ids(core, plan) == [alien.id, brazil.id]
    assert core.plans.movies(plan.id, actor=SYSTEM).total == 2
    assert _movie_ids(core, other) == []

    core.plans.remove_movie(plan.id, alien.id, actor=SYSTEM)
    core.plans.remove_movie(plan.id, alien.id, actor=SYSTEM)
    assert _movie_ids(core, plan) == [brazil.id]


def test_an_unknown_or_deleted_movie_cannot_join_a_plan(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    gone = make_movie(core, "Gone")
    core.movies.delete(gone.id, actor=SYSTEM)

    for movie_id in (gone.id, 999, 0, 2**40):
        with pytest.raises(InvalidInputError) as caught:
            core.plans.add_movie(plan.id, movie_id, actor=SYSTEM)
        assert caught.value.fields == ("movie_id",), movie_id
    assert core.plans.movies(plan.id, actor=SYSTEM).total == 0


def test_a_plans_movie_list_leaves_deleted_movies_out_until_restored(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    alien, brazil = make_movie(core, "Alien"), make_movie(core, "Brazil")
    core.plans.add_movie(plan.id, alien.id, actor=SYSTEM)
    core.plans.add_movie(plan.id, brazil.id, actor=SYSTEM)

    core.movies.delete(alien.id, actor=SYSTEM)
    assert (_movie_ids(core, plan), core.plans.movies(plan.id, actor=SYSTEM).total) == (
        [brazil.id],
        1,
    )

    core.movies.restore(alien.id, actor=SYSTEM)
    assert _movie_ids(core, plan) == [alien.id, brazil.id]


def test_new_movies_join_every_active_plan_that_includes_new_movies(core: StreamCore) -> None:
    takes = make_plan(core, "Takes", includes_new_movies=True)
    also = make_plan(core, "Also", includes_new_movies=True)
    plain = make_plan(core, "Plain")
    inactive = make_plan(core, "Inactive", includes_new_movies=True, is_active=False)
    deleted = make_plan(core, "Deleted", includes_new_movies=True)
    core.plans.delete(deleted.id, actor=SYSTEM)

    alien = make_movie(core, "Alien")
    imported = core.movies.import_movies(
        [(2, {"title": "Brazil", "year": 1985}), (3, {"title": "Heat", "year": 1995})], actor=SYSTEM
    )

    expected = [alien.id, *imported]
    assert _movie_ids(core, takes) == expected
    assert _movie_ids(core, also) == expected
    assert _movie_ids(core, plain) == []
    assert _movie_ids(core, inactive) == []


# --- permissions ----------------------------------------------------------------------------

OPERATIONS: dict[str, dict[str, str]] = {
    # operation: the outcome for anonymous, subscriber, editor, admin
    "create": {
        "anonymous": "NotAuthenticatedError",
        "subscriber": "PermissionDeniedError",
        "editor": "PermissionDeniedError",
        "admin": "ok",
    },
    "replace": {
        "anonymous": "NotAuthenticatedError",
        "subscriber": "PermissionDeniedError",
        "editor": "PermissionDeniedError",
        "admin": "ok",
    },
    "update": {
        "anonymous": "NotAuthenticatedError",
        "subscriber": "PermissionDeniedError",
        "editor": "PermissionDeniedError",
        "admin": "ok",
    },
    "delete": {
        "anonymous": "NotAuthenticatedError",
        "subscriber": "PermissionDeniedError",
        "editor": "PermissionDeniedError",
        "admin": "ok",
    },
    "add_movie": {
        "anonymous": "NotAuthenticatedError",
        "subscriber": "PermissionDeniedError",
        "editor": "ok",
        "admin": "ok",
    },
    "remove_movie": {
        "anonymous": "NotAuthenticatedError",
        "subscriber": "PermissionDeniedError",
        "editor": "ok",
        "admin": "ok",
    },
    "get": {"anonymous": "ok", "subscriber": "ok", "editor": "ok", "admin": "ok"},
    "list": {"anonymous": "ok", "subscriber": "ok", "editor": "ok", "admin": "ok"},
}


def _state(core: StreamCore, plan: Plan) -> tuple[int, str, list[int]]:
    """How many plans there are, and the target plan with its movies."""
    total = core.plans.list(ALL_PLANS, actor=SYSTEM).total
    try:
        return total, repr(core.plans.get(plan.id, actor=SYSTEM)), _movie_ids(core, plan)
    except PlanNotFoundError:
        return total, "deleted", []


def test_who_may_do_what_to_plans(core: StreamCore) -> None:
    who = principals(core)
    movie = make_movie(core, "Alien")
    spare = make_movie(core, "Brazil")
    seen: dict[str, dict[str, str]] = {}

    for operation in OPERATIONS:
        for name, actor in who.items():
            plan = make_plan(core, f"{operation} of {name}")
            core.plans.add_movie(plan.id, movie.id, actor=SYSTEM)
            calls: dict[str, Callable[[], object]] = {
                "create": lambda a=actor, p=plan: core.plans.create(
                    plan_data(f"New {p.name}"), actor=a
                ),
                "replace": lambda a=actor, p=plan: core.plans.replace(
                    p.id, plan_data(f"R {p.name}"), actor=a
                ),
                "update": lambda a=actor, p=plan: core.plans.update(
                    p.id, PlanPatch(price="1"), actor=a
                ),
                "delete": lambda a=actor, p=plan: core.plans.delete(p.id, actor=a),
                "add_movie": lambda a=actor, p=plan: core.plans.add_movie(p.id, spare.id, actor=a),
                "remove_movie": lambda a=actor, p=plan: core.plans.remove_movie(
                    p.id, movie.id, actor=a
                ),
                "get": lambda a=actor, p=plan: core.plans.get(p.id, actor=a),
                "list": lambda a=actor: core.plans.list(actor=a),
            }
            before = _state(core, plan)
            result = seen.setdefault(operation, {})[name] = outcome(calls[operation])
            changed = _state(core, plan) != before
            writes = operation not in ("get", "list")
            assert changed == (writes and result == "ok"), (operation, name)

    assert seen == OPERATIONS
