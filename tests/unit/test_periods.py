"""Calendar arithmetic of billing periods and the status rule, as properties (hypothesis).

``add_months`` never runs past the end of a month, keeps the day when the month has it, and is
monotonic; a year period is twelve months. The status rule of SPEC §3.3 holds at every instant.
Last, on the memory backend, "may user U watch movie M" agrees with "M is in the list of the
movies U may watch", and both with the rule as the spec words it, over generated plans,
memberships, subscription histories and times.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamcore import MovieCreate, MovieQuery, StreamCore
from streamcore.auth.models import UserCreate, UserPatch, UserQuery
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.subscriptions.errors import LiveSubscriptionExistsError
from streamcore.subscriptions.models import (
    PaymentCreate,
    PlanCreate,
    SubscriptionCreate,
    SubscriptionQuery,
)
from streamcore.subscriptions.periods import add_months, may_watch_at, period_end, status_at
from tests.conftest import FakeClock

moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)
months = st.integers(min_value=0, max_value=1200)


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_index(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


# --- add_months and period_end --------------------------------------------------------------


@given(moments, months)
def test_add_months_moves_by_whole_months_and_clamps_the_day(start: datetime, n: int) -> None:
    end = add_months(start, n)

    assert month_index(end) - month_index(start) == n
    assert end.day == min(start.day, last_day(end.year, end.month))
    assert end.day <= last_day(end.year, end.month)
    assert (end.hour, end.minute, end.second, end.microsecond) == (
        start.hour,
        start.minute,
        start.second,
        start.microsecond,
    )
    assert end.tzinfo is start.tzinfo


@given(moments, months)
def test_add_months_keeps_the_day_when_the_month_has_it(start: datetime, n: int) -> None:
    end = add_months(start, n)

    if start.day <= last_day(end.year, end.month):
        assert end.day == start.day
    else:
        assert end.day == last_day(end.year, end.month)  # the month's end, never past it


@given(moments)
def test_a_year_period_is_twelve_months_and_a_month_period_one(start: datetime) -> None:
    assert period_end(start, "year") == add_months(start, 12)
    assert period_end(start, "month") == add_months(start, 1)
    assert period_end(start, "month") > start
    assert period_end(start, "year") > period_end(start, "month")
    assert 28 <= (period_end(start, "month") - start).days <= 31
    assert 365 <= (period_end(start, "year") - start).days <= 366


@given(moments, moments, months, months)
def test_add_months_is_monotonic(a: datetime, b: datetime, m: int, n: int) -> None:
    early, late = min(a, b), max(a, b)
    few, many = min(m, n), max(m, n)

    assert add_months(early, m) <= add_months(late, m)
    assert add_months(a, few) <= add_months(a, many)
    if few < many:
        assert add_months(a, few) < add_months(a, many)


@given(moments, months, months)
def test_adding_in_steps_never_overshoots_adding_at_once(start: datetime, m: int, n: int) -> None:
    stepped = add_months(add_months(start, m), n)

    assert stepped <= add_months(start, m + n)
    if start.day <= 28:
        assert stepped == add_months(start, m + n)


@given(st.integers(min_value=1900, max_value=2200), st.integers(min_value=29, max_value=31))
def test_late_january_plus_a_month_is_the_end_of_february(year: int, day: int) -> None:
    start = datetime(year, 1, day, 12, 30, tzinfo=UTC)
    end = add_months(start, 1)

    assert (end.year, end.month, end.day) == (year, 2, 29 if calendar.isleap(year) else 28)
    assert (end.hour, end.minute) == (12, 30)


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), "month", datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), "month", datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), "month", datetime(2026, 4, 30, tzinfo=UTC)),
        (datetime(2026, 12, 15, tzinfo=UTC), "month", datetime(2027, 1, 15, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), "year", datetime(2029, 2, 28, tzinfo=UTC)),
        (
            datetime(2026, 5, 31, 23, 59, tzinfo=UTC),
            "year",
            datetime(2027, 5, 31, 23, 59, tzinfo=UTC),
        ),
    ],
)
def test_period_end_examples(start: datetime, period: Any, end: datetime) -> None:
    assert period_end(start, period) == end


# --- the status rule ------------------------------------------------------------------------

graces = st.integers(min_value=0, max_value=30).map(lambda d: timedelta(days=d))
offsets = st.integers(min_value=-(10**12), max_value=10**12).map(
    lambda us: timedelta(microseconds=us)
)


@given(moments, st.one_of(st.none(), offsets), st.one_of(st.none(), offsets), graces)
def test_status_follows_the_table_of_the_spec(
    now: datetime, paid: timedelta | None, canceled: timedelta | None, grace: timedelta
) -> None:
    paid_until = None if paid is None else now + paid
    canceled_at = None if canceled is None else now + canceled

    status = status_at(paid_until=paid_until, canceled_at=canceled_at, now=now, grace=grace)
    watches = may_watch_at(paid_until=paid_until, canceled_at=canceled_at, now=now, grace=grace)

    if canceled_at is not None:
        expected = "canceled"
    elif paid_until is None:
        expected = "pending"
    elif now < paid_until:
        expected = "active"
    elif now < paid_until + grace:
        expected = "past_due"
    else:
        expected = "expired"
    assert status == expected
    assert watches == (
        status in ("active", "past_due")
        or (status == "canceled" and paid_until is not None and now < paid_until)
    )


@pytest.mark.parametrize(
    ("delta", "status", "watches"),
    [
        (timedelta(days=-1), "active", True),
        (-timedelta(microseconds=1), "active", True),
        (timedelta(0), "past_due", True),
        (timedelta(days=3) - timedelta(microseconds=1), "past_due", True),
        (timedelta(days=3), "expired", False),
    ],
)
def test_status_at_its_boundaries(delta: timedelta, status: str, watches: bool) -> None:
    paid_until = datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    now = paid_until + delta
    grace = timedelta(days=3)

    assert status_at(paid_until=paid_until, canceled_at=None, now=now, grace=grace) == status
    assert may_watch_at(paid_until=paid_until, canceled_at=None, now=now, grace=grace) == watches
    canceled = {"paid_until": paid_until, "canceled_at": paid_until - timedelta(days=9)}
    assert status_at(**canceled, now=now, grace=grace) == "canceled"
    assert may_watch_at(**canceled, now=now, grace=grace) == (delta < timedelta(0))


# --- may_watch agrees with the watchable list, on the memory backend ------------------------

START = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
GRACE = timedelta(days=3)  # Settings.grace_days by default
MICRO = timedelta(microseconds=1)

subscription_specs = st.fixed_dictionaries(
    {
        "plan": st.integers(min_value=0, max_value=2),
        # Mostly paid (a quarter never is), a quarter canceled.
        "paid_days_ago": st.integers(min_value=-13, max_value=40).map(
            lambda d: None if d < 0 else d
        ),
        "payments": st.integers(min_value=1, max_value=3),
        "canceled": st.integers(min_value=0, max_value=3).map(lambda n: n == 0),
    }
)
scenarios = st.fixed_dictionaries(
    {
        "movies": st.integers(min_value=2, max_value=6),
        "deleted_movies": st.sets(st.integers(min_value=0, max_value=5), max_size=2),
        "plans": st.lists(
            st.sets(st.integers(min_value=0, max_value=5), min_size=1, max_size=3),
            min_size=3,
            max_size=3,
        ),
        "users": st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from([Role.SUBSCRIBER] * 4 + [Role.EDITOR, Role.ADMIN]),
                    "inactive": st.integers(0, 5).map(lambda n: n == 0),
                    "deleted": st.integers(0, 5).map(lambda n: n == 0),
                    "subscriptions": st.lists(subscription_specs, min_size=1, max_size=2),
                }
            ),
            min_size=1,
            max_size=3,
        ),
        # Whole days, give or take a microsecond: payments are made at noon, so this lands
        # on the boundaries of paid_until and of the grace period often.
        "later": st.builds(
            lambda days, nudge: timedelta(days=days) + nudge,
            st.integers(min_value=0, max_value=45),
            st.sampled_from([timedelta(0), MICRO, -MICRO, timedelta(hours=12)]),
        ),
    }
)


def build(core: StreamCore, clock: FakeClock, scenario: dict[str, Any]) -> dict[int, set[int]]:
    """Make the scenario's world; return each plan's movie ids."""
    movie_ids = [
        core.movies.create(MovieCreate(title=f"Movie {i}", year=2000), actor=SYSTEM).id
        for i in range(scenario["movies"])
    ]
    members: dict[int, set[int]] = {}
    for n, wanted in enumerate(scenario["plans"]):
        plan = core.plans.create(
            PlanCreate(name=f"Plan {n}", price="1.00", currency="EUR", period="month"), actor=SYSTEM
        )
        members[plan.id] = {movie_ids[i] for i in wanted if i < len(movie_ids)}
        for movie_id in sorted(members[plan.id]):
            core.plans.add_movie(plan.id, movie_id, actor=SYSTEM)
    plan_ids = sorted(members)
    reference = 0
    for u, spec in enumerate(scenario["users"]):
        user = core.auth.create_user(
            UserCreate(
                email=f"u{u}@example.org", password="correct horse", name=f"U{u}", role=spec["role"]
            ),
            actor=SYSTEM,
        )
        for sub in spec["subscriptions"]:
            try:
                subscription = core.subscriptions.create(
                    SubscriptionCreate(plan_id=plan_ids[sub["plan"]], user_id=user.id), actor=SYSTEM
                )
            except LiveSubscriptionExistsError:
                continue
            if sub["paid_days_ago"] is not None:
                for _ in range(sub["payments"]):
                    reference += 1
                    core.subscriptions.record_payment(
                        subscription.id,
                        PaymentCreate(
                            amount="1.00",
                            currency="EUR",
                            reference=f"r{reference}",
                            paid_at=clock.now - timedelta(days=sub["paid_days_ago"]),
                        ),
                        actor=SYSTEM,
                    )
            if sub["canceled"]:
                core.subscriptions.cancel(subscription.id, actor=SYSTEM)
        if spec["inactive"]:
            core.auth.update_user(user.id, UserPatch(is_active=False), actor=SYSTEM)
        if spec["deleted"]:
            core.auth.delete_user(user.id, actor=SYSTEM)
    for i in scenario["deleted_movies"]:
        if i < len(movie_ids):
            core.movies.delete(movie_ids[i], actor=SYSTEM)
    return members


def rule(core: StreamCore, user_id: int, members: dict[int, set[int]], now: datetime) -> set[int]:
    """SPEC §3.3's entitlement rule, worded directly over the stored rows."""
    user = core.auth.get_user(user_id, include_deleted=True, actor=SYSTEM)
    live = {m.id for m in core.movies.list(MovieQuery(limit=100), actor=SYSTEM).items}
    if not user.is_active or user.deleted_at is not None:
        return set()
    if user.role in (Role.ADMIN, Role.EDITOR):
        return live
    allowed: set[int] = set()
    for s in core.subscriptions.list(
        SubscriptionQuery(user_id=user_id, limit=100), actor=SYSTEM
    ).items:
        if s.paid_until is None:
            continue
        end = s.paid_until if s.canceled_at is not None else s.paid_until + GRACE
        if now < end:
            allowed |= members[s.plan_id]
    return allowed & live


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios)
def test_may_watch_agrees_with_the_watchable_list(scenario: dict[str, Any]) -> None:
    clock = FakeClock(now=START)
    with StreamCore.open("memory://", clock=clock, hasher=Argon2Hasher(CHEAPEST)) as core:
        members = build(core, clock, scenario)
        clock.now += scenario["later"]
        movie_ids = [
            m.id
            for m in core.movies.list(MovieQuery(trashed="with", limit=100), actor=SYSTEM).items
        ]
        users = core.auth.list_users(UserQuery(trashed="with", limit=100), actor=SYSTEM).items

        for user in users:
            listed = core.entitlements.watchable(user.id, MovieQuery(limit=100), actor=SYSTEM)
            listed_ids = [m.id for m in listed.items]
            asked = {m for m in movie_ids if core.entitlements.may_watch(user.id, m)}

            assert len(listed_ids) == len(set(listed_ids)) == listed.total
            assert set(listed_ids) == asked, user
            assert asked == rule(core, user.id, members, clock.now), user
            # Paging through the list in small pages gives the same movies, once each.
            paged = [
                m.id
                for offset in range(0, max(listed.total, 1), 2)
                for m in core.entitlements.watchable(
                    user.id, MovieQuery(limit=2, offset=offset), actor=SYSTEM
                ).items
            ]
            assert paged == listed_ids
