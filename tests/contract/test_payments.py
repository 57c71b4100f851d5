"""The payments contract (SPEC §3.3) that every storage backend must pass.

``core.subscriptions.record_payment`` on the memory, SQLite and PostgreSQL backends: the amount
and currency must be the plan's; a reference is recorded once (a replay returns the first
payment and changes nothing, other details are a conflict; the storage enforces the unique
reference past the service); each payment extends ``paid_until`` by one calendar period from
max(paid_until, paid_at); no payment on a canceled subscription; money stays ``Decimal``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from streamcore import (
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    StreamCore,
)
from streamcore.auth.permissions import ANONYMOUS, SYSTEM, Role
from streamcore.subscriptions.errors import PaymentConflictError, SubscriptionStateError
from streamcore.subscriptions.models import Payment, PaymentCreate, PaymentResult
from tests.conftest import FakeClock
from tests.contract.test_plans import in_state, make_plan, make_user, pay, subscribe


def payment(
    reference: str, amount: object = "9.99", currency: str = "EUR", **kw: object
) -> PaymentCreate:
    return PaymentCreate(amount=amount, currency=currency, reference=reference, **kw)


def test_a_payment_pays_one_period_from_now(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)
    clock.advance(minutes=1)

    result = core.subscriptions.record_payment(
        subscription.id, payment(" ref-1 ", "9.99", "eur"), actor=SYSTEM
    )

    assert result.created is True
    assert result.payment.model_dump() == {
        "id": result.payment.id,
        "subscription_id": subscription.id,
        "amount": Decimal("9.99"),
        "currency": "EUR",
        "reference": "ref-1",
        "paid_at": clock.now,
        "period_start": clock.now,
        "period_end": datetime(2026, 2, 15, 12, 1, tzinfo=UTC),
    }
    assert isinstance(result.payment.amount, Decimal)
    paid = core.subscriptions.get(subscription.id, actor=SYSTEM)
    assert (paid.status, paid.paid_until, paid.updated_at) == (
        "active",
        result.payment.period_end,
        clock.now,
    )


def test_amount_and_currency_must_be_the_plans(core: StreamCore) -> None:
    plan = make_plan(core, "Basic", price="9.99", currency="EUR")
    subscription = subscribe(core, make_user(core, "Ann"), plan)
    wrong = {
        "amount": payment("r", "10.00"),
        "zero": payment("r", "0"),
        "currency": payment("r", "9.99", "USD"),
    }

    seen = {}
    for case, data in wrong.items():
        with pytest.raises(InvalidInputError) as caught:
            core.subscriptions.record_payment(subscription.id, data, actor=SYSTEM)
        seen[case] = caught.value.fields

    # Each refusal names the field that differs from the plan.
    assert seen == {"amount": ("amount",), "zero": ("amount",), "currency": ("currency",)}
    assert core.subscriptions.get(subscription.id, actor=SYSTEM) == subscription
    # Nothing was recorded under the reference: the right payment still goes through.
    assert (
        core.subscriptions.record_payment(subscription.id, payment("r"), actor=SYSTEM).created
        is True
    )


def test_a_float_amount_and_an_unknown_currency_are_refused(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    subscription = subscribe(core, make_user(core, "Ann"), plan)
    cases = {
        "float": (lambda: payment("r", 9.99), ("amount",)),
        "bool": (lambda: payment("r", True), ("amount",)),
        "too precise": (lambda: payment("r", "9.991"), ("amount",)),
        "not a number": (lambda: payment("r", "9,99"), ("amount",)),
        "unknown currency": (lambda: payment("r", "9.99", "EUX"), ("currency",)),
        "not a code": (lambda: payment("r", "9.99", "euro"), ("currency",)),
    }

    seen = {}
    for case, (build, _) in cases.items():
        try:
            core.subscriptions.record_payment(subscription.id, build(), actor=SYSTEM)
        except InvalidInputError as exc:
            seen[case] = exc.fields
        else:
            seen[case] = ()

    assert seen == {case: fields for case, (_, fields) in cases.items()}
    assert core.subscriptions.get(subscription.id, actor=SYSTEM) == subscription
    recorded = core.subscriptions.record_payment(
        subscription.id, payment("r", " 9.99 "), actor=SYSTEM
    )
    assert (recorded.created, str(recorded.payment.amount)) == (True, "9.99")


@pytest.mark.parametrize("price", ["9.99", "0.10", "0", "1234567.89", "99999999.99"])
def test_money_is_exact_after_a_round_trip(core: StreamCore, price: str) -> None:
    plan = make_plan(core, "Basic", price=price, currency="CHF")
    subscription = subscribe(core, make_user(core, "Ann"), plan)

    first = core.subscriptions.record_payment(
        subscription.id, payment("r", price, "chf"), actor=SYSTEM
    )
    # The replay reads the payment back from the storage.
    again = core.subscriptions.record_payment(
        subscription.id, payment("r", Decimal(price), "CHF"), actor=SYSTEM
    )

    stored = again.payment
    assert (first.created, again.created) == (True, False)
    assert isinstance(stored.amount, Decimal)
    assert stored.amount == Decimal(price)
    assert str(stored.amount) == str(Decimal(price).quantize(Decimal("0.01")))
    assert stored == first.payment
    assert str(core.plans.get(plan.id, actor=SYSTEM).price) == str(stored.amount)


# --- idempotent by reference ----------------------------------------------------------------


def test_a_replayed_reference_returns_the_first_payment_and_changes_nothing(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = make_plan(core, "Basic")
    subscription = subscribe(core, make_user(core, "Ann"), plan)
    first = core.subscriptions.record_payment(subscription.id, payment("ref-1"), actor=SYSTEM)
    after_first = core.subscriptions.get(subscription.id, actor=SYSTEM)
    clock.advance(days=2)

    replays = [
        core.subscriptions.record_payment(subscription.id, payment("ref-1"), actor=SYSTEM),
        core.subscriptions.record_payment(
            subscription.id, payment(" ref-1", Decimal("9.99"), "eur"), actor=SYSTEM
        ),
        core.subscriptions.record_payment(
            subscription.id, payment("ref-1", paid_at=clock.now - timedelta(days=1)), actor=SYSTEM
        ),
    ]

    assert replays == [PaymentResult(payment=first.payment, created=False)] * 3
    assert core.subscriptions.get(subscription.id, actor=SYSTEM) == after_first
    assert (
        core.subscriptions.get(subscription.id, actor=SYSTEM).paid_until == first.payment.period_end
    )


def test_a_reference_with_other_details_is_a_conflict(core: StreamCore) -> None:
    plan = make_plan(core, "Basic", price="9.99")
    dear = make_plan(core, "Dear", price="20.00")
    ann_s = subscribe(core, make_user(core, "Ann"), plan)
    bob_s = subscribe(core, make_user(core, "Bob"), plan)
    cy_s = subscribe(core, make_user(core, "Cy"), dear)
    first = core.subscriptions.record_payment(ann_s.id, payment("ref-1"), actor=SYSTEM)
    before = [core.subscriptions.get(s.id, actor=SYSTEM) for s in (ann_s, bob_s, cy_s)]

    conflicts = [
        (ann_s.id, payment("ref-1", "20.00")),  # another amount
        (ann_s.id, payment("ref-1", "9.99", "USD")),  # another currency
        (bob_s.id, payment("ref-1")),  # another subscription
        (cy_s.id, payment("ref-1", "20.00")),  # another subscription and amount
        (999, payment("ref-1")),  # a subscription that does not exist
    ]
    for subscription_id, data in conflicts:
        with pytest.raises(PaymentConflictError) as caught:
            core.subscriptions.record_payment(subscription_id, data, actor=SYSTEM)
        assert isinstance(caught.value, ConflictError)

    assert [core.subscriptions.get(s.id, actor=SYSTEM) for s in (ann_s, bob_s, cy_s)] == before
    replay = core.subscriptions.record_payment(ann_s.id, payment("ref-1"), actor=SYSTEM)
    assert replay == PaymentResult(payment=first.payment, created=False)


def test_the_storage_enforces_unique_references_past_the_service(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = make_plan(core, "Basic")
    subscription = subscribe(core, make_user(core, "Ann"), plan)
    recorded = core.subscriptions.record_payment(
        subscription.id, payment("ref-1"), actor=SYSTEM
    ).payment
    fresh = recorded.model_copy(update={"id": 0, "paid_at": clock.now + timedelta(days=1)})

    # A writer that skipped the service's look-up: the storage must refuse the reference.
    with core.storage.unit_of_work() as uow, pytest.raises(PaymentConflictError):
        uow.payments.add(fresh)

    with core.storage.unit_of_work() as uow:
        uow.payments.add(fresh.model_copy(update={"reference": "ref-2"}))
        with pytest.raises(PaymentConflictError):
            uow.payments.add(fresh.model_copy(update={"reference": "ref-2"}))

    with core.storage.unit_of_work(readonly=True) as uow:
        assert uow.payments.get_by_reference("ref-1") == recorded
        assert uow.payments.get_by_reference("ref-2") is None


# --- how far a payment extends paid_until ---------------------------------------------------

JAN_31 = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("paid_at", "period", "period_end"),
    [
        (JAN_31, "month", datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
        (
            datetime(2028, 1, 31, 9, 30, tzinfo=UTC),
            "month",
            datetime(2028, 2, 29, 9, 30, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
            "month",
            datetime(2027, 1, 31, 23, 59, tzinfo=UTC),
        ),
        (datetime(2026, 3, 31, 0, 0, tzinfo=UTC), "month", datetime(2026, 4, 30, 0, 0, tzinfo=UTC)),
        (
            datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
            "year",
            datetime(2029, 2, 28, 12, 0, tzinfo=UTC),
        ),
        (JAN_31, "year", datetime(2027, 1, 31, 9, 30, tzinfo=UTC)),
    ],
)
def test_a_payment_extends_by_one_calendar_period(
    core: StreamCore,
    clock: FakeClock,
    paid_at: datetime,
    period: str,
    period_end: datetime,
) -> None:
    clock.now = paid_at
    plan = make_plan(core, "Basic", period=period)
    subscription = subscribe(core, make_user(core, "Ann"), plan)

    recorded = pay(core, subscription, plan, "ref-1").payment

    assert (recorded.period_start, recorded.period_end) == (paid_at, period_end)
    assert core.subscriptions.get(subscription.id, actor=SYSTEM).paid_until == period_end


def test_paying_early_stacks_periods(core: StreamCore, clock: FakeClock) -> None:
    clock.now = JAN_31
    plan = make_plan(core, "Basic")
    subscription = subscribe(core, make_user(core, "Ann"), plan)

    first = pay(core, subscription, plan, "ref-1").payment
    clock.advance(days=3)
    second = pay(core, subscription, plan, "ref-2").payment
    third = pay(core, subscription, plan, "ref-3").payment

    assert [(p.period_start, p.period_end) for p in (first, second, third)] == [
        (JAN_31, datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2026, 2, 28, 9, 30, tzinfo=UTC), datetime(2026, 3, 28, 9, 30, tzinfo=UTC)),
        (datetime(2026, 3, 28, 9, 30, tzinfo=UTC), datetime(2026, 4, 28, 9, 30, tzinfo=UTC)),
    ]
    assert second.paid_at == third.paid_at == clock.now
    assert core.subscriptions.get(subscription.id, actor=SYSTEM).paid_until == third.period_end


@pytest.mark.parametrize("state", ["past_due", "expired"])
def test_paying_late_starts_from_the_payment(
    core: StreamCore, clock: FakeClock, state: str
) -> None:
    plan = make_plan(core, "Basic")
    late = in_state(core, plan, make_user(core, "Ann"), state, clock.now)
    assert late.paid_until is not None
    assert late.paid_until < clock.now

    recorded = pay(core, late, plan, "late").payment

    assert (recorded.period_start, recorded.period_end) == (clock.now, clock.now.replace(month=2))
    found = core.subscriptions.get(late.id, actor=SYSTEM)
    assert (found.status, found.paid_until) == ("active", recorded.period_end)


def test_paid_at_given_by_the_provider_counts(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic")
    subscription = subscribe(core, make_user(core, "Ann"), plan)
    paid_at = clock.now - timedelta(days=5)

    first = pay(core, subscription, plan, "ref-1", paid_at=paid_at).payment
    # Reported later but paid earlier: still from max(paid_until, paid_at).
    second = pay(core, subscription, plan, "ref-2", paid_at=paid_at).payment

    assert (first.paid_at, first.period_start) == (paid_at, paid_at)
    assert first.period_end == paid_at.replace(month=2)
    assert (second.period_start, second.period_end) == (
        first.period_end,
        paid_at.replace(month=3),
    )


@pytest.mark.parametrize("hours", [0, 9, -5])
def test_paid_at_in_any_time_zone_is_the_same_utc_instant(
    core: StreamCore, clock: FakeClock, hours: int
) -> None:
    clock.now = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)
    plan = make_plan(core, "Basic")
    subscription = subscribe(core, make_user(core, "Ann"), plan)
    instant = datetime(2026, 1, 30, 20, 0, tzinfo=UTC)  # Jan 31 05:00 in Tokyo (+9)
    local = instant.astimezone(timezone(timedelta(hours=hours)))

    recorded = pay(core, subscription, plan, "ref-1", paid_at=local).payment
    with core.storage.unit_of_work(readonly=True) as uow:
        stored = uow.payments.get_by_reference("ref-1")

    # Times are UTC (SPEC §3), and calendar months are counted in UTC: the same instant
    # reported in another zone pays for the same period.
    end = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)
    assert (recorded.paid_at, recorded.period_start, recorded.period_end) == (instant, instant, end)
    assert core.subscriptions.get(subscription.id, actor=SYSTEM).paid_until == end
    assert stored == recorded
    for moment in (recorded.paid_at, recorded.period_start, recorded.period_end):
        assert moment.utcoffset() == timedelta(0), moment


def test_no_payment_on_a_canceled_subscription(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic")
    for state in ("canceled", "pending"):
        subscription = in_state(core, plan, make_user(core, state), state, clock.now)
        if state == "pending":
            subscription = core.subscriptions.cancel(subscription.id, actor=SYSTEM)

        with pytest.raises(SubscriptionStateError) as caught:
            pay(core, subscription, plan, f"after-{state}")

        assert isinstance(caught.value, ConflictError)
        assert core.subscriptions.get(subscription.id, actor=SYSTEM) == subscription
        with core.storage.unit_of_work(readonly=True) as uow:
            assert uow.payments.get_by_reference(f"after-{state}") is None


def test_a_payment_for_an_unknown_subscription_is_not_found(core: StreamCore) -> None:
    for subscription_id in (1, 999, 0, 2**40):
        with pytest.raises(NotFoundError):
            core.subscriptions.record_payment(
                subscription_id, payment(f"r{subscription_id}"), actor=SYSTEM
            )


def test_only_administrators_record_payments(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)
    refused = {
        "anonymous": (ANONYMOUS, NotAuthenticatedError),
        "the subscriber itself": (ann.principal, PermissionDeniedError),
        "an editor": (make_user(core, "Ed", Role.EDITOR).principal, PermissionDeniedError),
    }
    for who, (actor, error) in refused.items():
        with pytest.raises(error):
            core.subscriptions.record_payment(subscription.id, payment("ref-1"), actor=actor)
        assert core.subscriptions.get(subscription.id, actor=SYSTEM) == subscription, who

    root = make_user(core, "Root", Role.ADMIN)
    result = core.subscriptions.record_payment(
        subscription.id, payment("ref-1"), actor=root.principal
    )
    assert isinstance(result.payment, Payment)
    assert result.created
    # A replay is refused to a subscriber too: it would tell whether the reference exists.
    with pytest.raises(PermissionDeniedError):
        core.subscriptions.record_payment(subscription.id, payment("ref-1"), actor=ann.principal)


def test_paid_at_may_be_at_most_five_minutes_ahead(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core)
    user = make_user(core, "Ann")
    sub = subscribe(core, user, plan)

    with pytest.raises(InvalidInputError) as refused:
        pay(core, sub, plan, "too-early", clock.now + timedelta(minutes=5, seconds=1))
    assert refused.value.fields == ("paid_at",)
    assert core.subscriptions.get(sub.id, actor=SYSTEM).paid_until is None  # nothing recorded

    on_the_edge = pay(core, sub, plan, "clock-skew", clock.now + timedelta(minutes=5))
    assert on_the_edge.created
    assert on_the_edge.payment.paid_at == clock.now + timedelta(minutes=5)
