"""No lost update (SPEC §2): two use cases that change one row, started at the same instant in
real threads, each in its own connection, apply one after the other.

Each race is repeated ``ROUNDS`` times on fresh rows: before the services held the rows they read
(``RowLock``), PostgreSQL under READ COMMITTED lost most of these races within a few rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streamcore import StreamCore
from streamcore.auth.models import ProfilePatch, UserCreate, UserPatch
from streamcore.auth.permissions import SYSTEM
from streamcore.errors import ConflictError, InvalidInputError
from streamcore.movies.models import MovieCreate, MoviePatch
from streamcore.subscriptions.errors import PlanInUseError, SubscriptionStateError
from streamcore.subscriptions.models import PaymentCreate, PlanCreate, SubscriptionCreate
from tests.integration.races import run_together, shared_core

__all__ = ["shared_core"]  # the fixture, imported for pytest

ROUNDS = 12
PASSWORD = "correct horse battery"


def make_user(core: StreamCore, name: str) -> Any:
    data = UserCreate(email=f"{name}@example.org", password=PASSWORD, name=name)
    return core.auth.create_user(data, actor=SYSTEM)


def make_plan(core: StreamCore, name: str) -> Any:
    data = PlanCreate(name=name, price="9.99", currency="EUR", period="month")
    return core.plans.create(data, actor=SYSTEM)


def payment(reference: str) -> PaymentCreate:
    return PaymentCreate(amount="9.99", currency="EUR", reference=reference)


def rounds(race: Callable[[int], None]) -> None:
    for n in range(ROUNDS):
        race(n)


def test_a_cancel_is_never_undone_by_a_concurrent_payment(shared_core: StreamCore) -> None:
    core = shared_core
    plan = make_plan(core, "Basic")

    def race(n: int) -> None:
        user = make_user(core, f"u{n}")
        sub = core.subscriptions.create(SubscriptionCreate(plan_id=plan.id), actor=user.principal)
        canceled, paid = run_together(
            [
                lambda: core.subscriptions.cancel(sub.id, actor=user.principal),
                lambda: core.subscriptions.record_payment(sub.id, payment(f"r{n}"), actor=SYSTEM),
            ]
        )
        assert canceled.status == "canceled"
        after = core.subscriptions.get(sub.id, actor=SYSTEM)
        assert after.canceled_at is not None, f"round {n}: the payment undid the cancel"
        if isinstance(paid, Exception):  # the payment came second: refused, nothing recorded
            assert isinstance(paid, SubscriptionStateError), paid
            assert after.paid_until is None
        else:  # the payment came first: the cancel kept what it paid for
            assert after.paid_until == paid.payment.period_end

    rounds(race)


def test_two_payments_of_one_subscription_both_extend_it(shared_core: StreamCore) -> None:
    core = shared_core
    plan = make_plan(core, "Basic")

    def race(n: int) -> None:
        user = make_user(core, f"u{n}")
        sub = core.subscriptions.create(SubscriptionCreate(plan_id=plan.id), actor=user.principal)
        first, second = run_together(
            [
                lambda: core.subscriptions.record_payment(sub.id, payment(f"a{n}"), actor=SYSTEM),
                lambda: core.subscriptions.record_payment(sub.id, payment(f"b{n}"), actor=SYSTEM),
            ]
        )
        later = max(first.payment.period_end, second.payment.period_end)
        assert first.payment.period_end != second.payment.period_end  # one followed the other
        assert core.subscriptions.get(sub.id, actor=SYSTEM).paid_until == later

    rounds(race)


def test_a_profile_update_never_undoes_a_deactivation(shared_core: StreamCore) -> None:
    core = shared_core

    def race(n: int) -> None:
        user = make_user(core, f"u{n}")
        _, deactivated = run_together(
            [
                lambda: core.auth.update_profile(
                    ProfilePatch(name="Renamed"), actor=user.principal
                ),
                lambda: core.auth.update_user(user.id, UserPatch(is_active=False), actor=SYSTEM),
            ]
        )
        assert not deactivated.is_active
        after = core.auth.get_user(user.id, actor=SYSTEM)
        assert not after.is_active, f"round {n}: the profile update reactivated the user"
        assert after.name == "Renamed", f"round {n}: the deactivation undid the rename"

    rounds(race)


def test_a_subscription_never_lands_on_a_plan_being_deleted(shared_core: StreamCore) -> None:
    core = shared_core

    def race(n: int) -> None:
        user = make_user(core, f"u{n}")
        plan = make_plan(core, f"Plan {n}x")
        subscribed, deleted = run_together(
            [
                lambda: core.subscriptions.create(
                    SubscriptionCreate(plan_id=plan.id), actor=user.principal
                ),
                lambda: core.plans.delete(plan.id, actor=SYSTEM),
            ]
        )
        if isinstance(deleted, Exception):  # the subscription came first: the plan stays
            assert isinstance(deleted, PlanInUseError), deleted
            assert core.plans.get(plan.id, actor=SYSTEM).id == plan.id
            assert subscribed.plan_id == plan.id
        else:  # the deletion came first: the subscription was refused
            assert isinstance(subscribed, InvalidInputError), f"round {n}: {subscribed!r}"
            assert core.subscriptions.list(actor=user.principal).total == 0

    rounds(race)


def test_two_partial_updates_of_one_movie_both_stay(shared_core: StreamCore) -> None:
    core = shared_core

    def race(n: int) -> None:
        movie = core.movies.create(MovieCreate(title=f"Film {n}", year=2000), actor=SYSTEM)
        run_together(
            [
                lambda: core.movies.update(
                    movie.id, MoviePatch(title=f"Retitled {n}"), actor=SYSTEM
                ),
                lambda: core.movies.update(
                    movie.id, MoviePatch(description="New words."), actor=SYSTEM
                ),
            ]
        )
        after = core.movies.get(movie.id, actor=SYSTEM)
        assert (after.title, after.description) == (f"Retitled {n}", "New words."), f"round {n}"

    rounds(race)


def test_a_deleted_movie_never_comes_back_live_through_a_plan(shared_core: StreamCore) -> None:
    core = shared_core
    plan = make_plan(core, "Basic")
    user = make_user(core, "viewer")
    sub = core.subscriptions.create(SubscriptionCreate(plan_id=plan.id), actor=user.principal)
    core.subscriptions.record_payment(sub.id, payment("paid"), actor=SYSTEM)

    def race(n: int) -> None:
        movie = core.movies.create(MovieCreate(title=f"Film {n}", year=2000), actor=SYSTEM)
        added, _ = run_together(
            [
                lambda: core.plans.add_movie(plan.id, movie.id, actor=SYSTEM),
                lambda: core.movies.delete(movie.id, actor=SYSTEM),
            ]
        )
        assert added is None or isinstance(added, InvalidInputError), added
        assert not core.entitlements.may_watch(user.id, movie.id), f"round {n}"

    rounds(race)


@pytest.mark.parametrize("title", ["Same Title"])
def test_two_creates_of_one_title_make_one_movie(shared_core: StreamCore, title: str) -> None:
    core = shared_core
    for n in range(ROUNDS):
        results = run_together(
            [
                lambda n=n: core.movies.create(
                    MovieCreate(title=title, year=1900 + n), actor=SYSTEM
                )
                for _ in range(2)
            ]
        )
        assert sorted(type(r).__name__ for r in results) == ["DuplicateMovieError", "Movie"]
        assert isinstance(next(r for r in results if isinstance(r, Exception)), ConflictError)
