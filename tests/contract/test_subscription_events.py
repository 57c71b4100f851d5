"""Plan, subscription and payment events on every backend (SPEC §3.4).

Each committed change sends its typed, frozen event, after the commit (a receiver reads the
new state through the core); a refused change, a replayed payment or a change that changes
nothing sends none; a failing receiver neither fails nor undoes the write.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from blinker import NamedSignal

from streamcore import ConflictError, InvalidInputError, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.events import (
    Event,
    PaymentRecorded,
    PlanCreated,
    PlanDeleted,
    PlanUpdated,
    SubscriptionCanceled,
    SubscriptionCreated,
    SubscriptionUpdated,
    payment_recorded,
    plan_created,
    plan_deleted,
    plan_updated,
    subscription_canceled,
    subscription_created,
    subscription_updated,
)
from streamcore.subscriptions.models import PaymentCreate, PlanChange, PlanPatch
from tests.conftest import FakeClock
from tests.contract.test_plans import (
    in_state,
    make_movie,
    make_plan,
    make_user,
    pay,
    plan_data,
    subscribe,
)

SIGNALS = (
    plan_created,
    plan_updated,
    plan_deleted,
    subscription_created,
    subscription_updated,
    subscription_canceled,
    payment_recorded,
)
Heard = list[tuple[str, Event]]


@contextmanager
def listening(core: StreamCore, *signals: NamedSignal) -> Iterator[Heard]:
    """Record ``(signal name, event)`` for every send of ``core`` on ``signals`` while open."""
    heard: Heard = []
    with ExitStack() as stack:
        for signal in signals or SIGNALS:

            def receiver(sender: object, *, event: Event, name: str = signal.name) -> None:
                assert sender is core
                heard.append((name, event))

            stack.enter_context(signal.connected_to(receiver, sender=core))
        yield heard


def test_plan_events(core: StreamCore, clock: FakeClock) -> None:
    movie = make_movie(core, "Alien")

    with listening(core) as created:
        plan = make_plan(core, "Basic")
    clock.advance(minutes=1)
    with listening(core) as updated:
        core.plans.update(plan.id, PlanPatch(price="5.00", description="Cheap."), actor=SYSTEM)
    clock.advance(minutes=1)
    with listening(core) as replaced:
        core.plans.replace(plan.id, plan_data("Basic", price="5.00", period="year"), actor=SYSTEM)
    clock.advance(minutes=1)
    with listening(core) as added:
        core.plans.add_movie(plan.id, movie.id, actor=SYSTEM)
    clock.advance(minutes=1)
    with listening(core) as removed:
        core.plans.remove_movie(plan.id, movie.id, actor=SYSTEM)
    clock.advance(minutes=1)
    with listening(core) as deleted:
        core.plans.delete(plan.id, actor=SYSTEM)

    t0 = plan.created_at
    at = [t0 + timedelta(minutes=n) for n in range(6)]
    assert created == [("plan_created", PlanCreated(occurred_at=t0, plan_id=plan.id, name="Basic"))]
    ((name, event),) = updated
    assert (name, type(event), event.occurred_at) == ("plan_updated", PlanUpdated, at[1])
    assert isinstance(event, PlanUpdated)
    assert (event.plan_id, sorted(event.changed)) == (plan.id, ["description", "price"])
    ((name, event),) = replaced
    assert isinstance(event, PlanUpdated)
    # The full update resets the description to its default and changes the period.
    assert (event.occurred_at, sorted(event.changed)) == (at[2], ["description", "period"])
    assert added == [
        (
            "plan_updated",
            PlanUpdated(
                occurred_at=at[3], plan_id=plan.id, changed=("movies",), movie_ids_added=(movie.id,)
            ),
        )
    ]
    assert removed == [
        (
            "plan_updated",
            PlanUpdated(
                occurred_at=at[4],
                plan_id=plan.id,
                changed=("movies",),
                movie_ids_removed=(movie.id,),
            ),
        )
    ]
    assert deleted == [("plan_deleted", PlanDeleted(occurred_at=at[5], plan_id=plan.id))]


def test_no_plan_event_for_a_refused_change_or_one_that_changes_nothing(
    core: StreamCore,
) -> None:
    movie = make_movie(core, "Alien")
    plan = make_plan(core, "Basic")
    make_plan(core, "Premium")
    core.plans.add_movie(plan.id, movie.id, actor=SYSTEM)
    subscribe(core, make_user(core, "Ann"), plan)

    with listening(core) as heard:
        with pytest.raises(ConflictError):
            make_plan(core, "basic")
        with pytest.raises(ConflictError):
            core.plans.update(plan.id, PlanPatch(name="PREMIUM"), actor=SYSTEM)
        with pytest.raises(ConflictError):
            core.plans.delete(plan.id, actor=SYSTEM)  # a pending subscription uses it
        with pytest.raises(InvalidInputError):
            core.plans.add_movie(plan.id, 999, actor=SYSTEM)
        core.plans.update(plan.id, PlanPatch(name="Basic"), actor=SYSTEM)
        core.plans.add_movie(plan.id, movie.id, actor=SYSTEM)  # already there
        core.plans.remove_movie(plan.id, 999, actor=SYSTEM)  # never there

    assert heard == []


def test_a_new_movie_joining_a_plan_sends_plan_updated(core: StreamCore, clock: FakeClock) -> None:
    takes = make_plan(core, "Takes", includes_new_movies=True)
    make_plan(core, "Plain")

    with listening(core, plan_updated) as heard:
        movie = make_movie(core, "Alien")

    assert heard == [
        (
            "plan_updated",
            PlanUpdated(
                occurred_at=clock.now,
                plan_id=takes.id,
                changed=("movies",),
                movie_ids_added=(movie.id,),
            ),
        )
    ]


def test_subscription_events(core: StreamCore, clock: FakeClock) -> None:
    basic, premium = make_plan(core, "Basic"), make_plan(core, "Premium", price="20.00")
    ann = make_user(core, "Ann")

    with listening(core) as created:
        subscription = subscribe(core, ann, basic)
    clock.advance(minutes=1)
    with listening(core) as changed:
        core.subscriptions.change_plan(
            subscription.id, PlanChange(plan_id=premium.id), actor=SYSTEM
        )
    clock.advance(minutes=1)
    with listening(core) as canceled:
        core.subscriptions.cancel(subscription.id, actor=ann.principal)

    sid, t0 = subscription.id, subscription.created_at
    assert created == [
        (
            "subscription_created",
            SubscriptionCreated(
                occurred_at=t0, subscription_id=sid, user_id=ann.id, plan_id=basic.id
            ),
        )
    ]
    assert changed == [
        (
            "subscription_updated",
            SubscriptionUpdated(
                occurred_at=t0 + timedelta(minutes=1),
                subscription_id=sid,
                user_id=ann.id,
                changed=("plan_id",),
            ),
        )
    ]
    assert canceled == [
        (
            "subscription_canceled",
            SubscriptionCanceled(
                occurred_at=t0 + timedelta(minutes=2), subscription_id=sid, user_id=ann.id
            ),
        )
    ]


def test_no_subscription_event_for_a_refused_change_or_one_that_changes_nothing(
    core: StreamCore,
) -> None:
    basic = make_plan(core, "Basic")
    inactive = make_plan(core, "Inactive", is_active=False)
    ann, bob = make_user(core, "Ann"), make_user(core, "Bob")
    live = subscribe(core, ann, basic)
    canceled = subscribe(core, bob, basic)
    core.subscriptions.cancel(canceled.id, actor=SYSTEM)

    with listening(core) as heard:
        with pytest.raises(ConflictError):
            subscribe(core, ann, basic)
        with pytest.raises(InvalidInputError):
            subscribe(core, make_user(core, "Cy"), inactive)
        with pytest.raises(InvalidInputError):
            core.subscriptions.change_plan(live.id, PlanChange(plan_id=inactive.id), actor=SYSTEM)
        with pytest.raises(ConflictError):
            core.subscriptions.change_plan(canceled.id, PlanChange(plan_id=basic.id), actor=SYSTEM)
        core.subscriptions.change_plan(
            live.id, PlanChange(plan_id=basic.id), actor=SYSTEM
        )  # the same plan
        core.subscriptions.cancel(canceled.id, actor=SYSTEM)  # canceled already

    assert heard == []


def test_deleting_a_user_sends_subscription_canceled(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)
    clock.advance(minutes=1)

    with listening(core) as heard:
        core.auth.delete_user(ann.id, actor=SYSTEM)

    assert heard == [
        (
            "subscription_canceled",
            SubscriptionCanceled(
                occurred_at=clock.now, subscription_id=subscription.id, user_id=ann.id
            ),
        )
    ]


def test_deleting_a_user_cancels_only_its_live_subscription(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = make_plan(core, "Basic")
    ann, bob = make_user(core, "Ann"), make_user(core, "Bob")
    expired = in_state(core, plan, ann, "expired", clock.now)
    canceled = in_state(core, plan, bob, "canceled", clock.now)
    clock.advance(minutes=1)

    with listening(core) as heard:
        core.auth.delete_user(ann.id, actor=SYSTEM)
        core.auth.delete_user(bob.id, actor=SYSTEM)

    # SPEC §3.1: deletion cancels the *live* subscription; an expired or canceled one is over
    # already and keeps its status, with no event.
    assert heard == []
    assert core.subscriptions.get(expired.id, actor=SYSTEM) == expired
    assert core.subscriptions.get(canceled.id, actor=SYSTEM) == canceled


def test_payment_events(core: StreamCore, clock: FakeClock) -> None:
    plan = make_plan(core, "Basic", price="9.99")
    ann = make_user(core, "Ann")
    subscription = subscribe(core, ann, plan)
    clock.advance(minutes=1)

    with listening(core) as heard:
        recorded = pay(core, subscription, plan, "ref-1").payment

    assert heard == [
        (
            "subscription_updated",
            SubscriptionUpdated(
                occurred_at=clock.now,
                subscription_id=subscription.id,
                user_id=ann.id,
                changed=("paid_until",),
            ),
        ),
        (
            "payment_recorded",
            PaymentRecorded(
                occurred_at=clock.now,
                payment_id=recorded.id,
                subscription_id=subscription.id,
                amount=Decimal("9.99"),
                currency="EUR",
                reference="ref-1",
                period_end=recorded.period_end,
            ),
        ),
    ]
    event = heard[1][1]
    assert isinstance(event, PaymentRecorded)
    assert isinstance(event.amount, Decimal)
    assert str(event.amount) == "9.99"


def test_no_payment_event_for_a_replay_a_conflict_or_a_refusal(
    core: StreamCore, clock: FakeClock
) -> None:
    plan = make_plan(core, "Basic", price="9.99")
    ann_s = subscribe(core, make_user(core, "Ann"), plan)
    bob_s = subscribe(core, make_user(core, "Bob"), plan)
    pay(core, ann_s, plan, "ref-1")
    core.subscriptions.cancel(bob_s.id, actor=SYSTEM)
    clock.advance(days=1)

    def record(subscription_id: int, amount: str, reference: str) -> object:
        data = PaymentCreate(amount=amount, currency="EUR", reference=reference)
        return core.subscriptions.record_payment(subscription_id, data, actor=SYSTEM)

    with listening(core) as heard:
        assert pay(core, ann_s, plan, "ref-1").created is False  # a replay
        with pytest.raises(ConflictError):
            record(ann_s.id, "10.00", "ref-1")  # another amount
        with pytest.raises(ConflictError):
            record(bob_s.id, "9.99", "ref-1")  # another subscription
        with pytest.raises(InvalidInputError):
            record(ann_s.id, "10.00", "ref-2")  # not the plan's price
        with pytest.raises(ConflictError):
            record(bob_s.id, "9.99", "ref-3")  # canceled

    assert heard == []


def test_events_go_out_after_the_commit(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")
    seen: list[object] = []

    def on_created(sender: object, *, event: SubscriptionCreated) -> None:
        seen.append(core.subscriptions.get(event.subscription_id, actor=SYSTEM).status)

    def on_paid(sender: object, *, event: PaymentRecorded) -> None:
        seen.append(
            core.subscriptions.get(event.subscription_id, actor=SYSTEM).paid_until
            == event.period_end
        )

    def on_canceled(sender: object, *, event: SubscriptionCanceled) -> None:
        seen.append(core.subscriptions.get(event.subscription_id, actor=SYSTEM).status)

    def on_plan(sender: object, *, event: PlanUpdated) -> None:
        seen.append(core.plans.get(event.plan_id, actor=SYSTEM).price)

    with ExitStack() as stack:
        stack.enter_context(subscription_created.connected_to(on_created, sender=core))
        stack.enter_context(payment_recorded.connected_to(on_paid, sender=core))
        stack.enter_context(subscription_canceled.connected_to(on_canceled, sender=core))
        stack.enter_context(plan_updated.connected_to(on_plan, sender=core))
        subscription = subscribe(core, ann, plan)
        pay(core, subscription, plan, "ref-1")
        core.subscriptions.cancel(subscription.id, actor=SYSTEM)
        core.plans.update(plan.id, PlanPatch(price="1.50"), actor=SYSTEM)

    assert seen == ["pending", True, "canceled", Decimal("1.50")]


def test_a_failing_receiver_neither_fails_nor_undoes_the_payment(
    core: StreamCore, caplog: pytest.LogCaptureFixture
) -> None:
    plan = make_plan(core, "Basic")
    subscription = subscribe(core, make_user(core, "Ann"), plan)

    def broken(sender: object, *, event: Event) -> None:
        raise RuntimeError("listener bug")

    with (
        caplog.at_level(logging.ERROR, logger="streamcore.events"),
        payment_recorded.connected_to(broken, sender=core),
    ):
        result = pay(core, subscription, plan, "ref-1")

    assert result.created is True
    assert (
        core.subscriptions.get(subscription.id, actor=SYSTEM).paid_until
        == result.payment.period_end
    )
    assert "listener bug" in caplog.text


def test_events_are_frozen(core: StreamCore) -> None:
    plan = make_plan(core, "Basic")
    ann = make_user(core, "Ann")

    with listening(core) as heard:
        subscription = subscribe(core, ann, plan)
        pay(core, subscription, plan, "ref-1")
        core.subscriptions.cancel(subscription.id, actor=SYSTEM)

    assert [name for name, _ in heard] == [
        "subscription_created",
        "subscription_updated",
        "payment_recorded",
        "subscription_canceled",
    ]
    for _, event in heard:
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.occurred_at = event.occurred_at  # type: ignore[misc]
