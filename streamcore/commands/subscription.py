"""``streamcore subscription``: users' subscriptions and their payments."""

from datetime import datetime
from typing import Annotated

import typer

from streamcore.commands.options import CommandGroup, Limit, Offset, given
from streamcore.commands.output import show_message, show_page, show_record
from streamcore.commands.state import state_of

app = typer.Typer(
    cls=CommandGroup,
    help="Subscriptions: add, list, cancel, change plan, pay.",
    no_args_is_help=True,
)

LIST_COLUMNS = {
    "id": "id",
    "user_id": "user",
    "plan_id": "plan",
    "status": "status",
    "paid_until": "paid until",
    "canceled_at": "canceled",
    "created_at": "created",
}

SubscriptionId = Annotated[int, typer.Argument(metavar="ID", help="The subscription's id.")]
PlanRef = Annotated[str, typer.Argument(metavar="PLAN", help="The new plan's id or name.")]


def _aware(value: str | None) -> datetime | None:
    """``--paid-at``: an ISO 8601 date and time with a time zone, or None."""
    if value is None:
        return None
    from streamcore.errors import InvalidInputError

    example = "e.g. 2026-01-31T12:00:00Z"
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError.single(
            "--paid-at", f"must be an ISO 8601 date and time with a time zone, {example}"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInputError.single("--paid-at", f"must include a time zone, {example}")
    return moment


@app.command()
def add(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", metavar="USER", help="The user's id or email.")],
    plan: Annotated[str, typer.Option("--plan", metavar="PLAN", help="The plan's id or name.")],
) -> None:
    """Subscribe a user to an active plan (pending until the first payment)."""
    from streamcore.subscriptions.models import SubscriptionCreate

    state = state_of(ctx)
    core = state.core()
    subscriber = core.auth.find_user(user, actor=state.actor)
    chosen = core.plans.find(plan, actor=state.actor)
    data = SubscriptionCreate.model_validate({"user_id": subscriber.id, "plan_id": chosen.id})
    show_record(state, core.subscriptions.create(data, actor=state.actor))


@app.command("list")
def list_subscriptions(
    ctx: typer.Context,
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="USER", help="Only this user's (id or email)."),
    ] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> None:
    """List subscriptions, newest first."""
    from streamcore.subscriptions.models import SubscriptionQuery

    state = state_of(ctx)
    core = state.core()
    query: dict[str, object] = {"limit": limit, "offset": offset}
    if user is not None:  # a deleted user's (canceled) subscriptions can still be looked up
        query["user_id"] = core.auth.find_user(user, include_deleted=True, actor=state.actor).id
    page = core.subscriptions.list(SubscriptionQuery.model_validate(query), actor=state.actor)
    show_page(state, page, LIST_COLUMNS)


@app.command()
def show(ctx: typer.Context, subscription_id: SubscriptionId) -> None:
    """Show one subscription with its status now."""
    state = state_of(ctx)
    show_record(state, state.core().subscriptions.get(subscription_id, actor=state.actor))


@app.command()
def cancel(ctx: typer.Context, subscription_id: SubscriptionId) -> None:
    """Cancel a subscription; its user may watch until paid_until."""
    state = state_of(ctx)
    show_record(state, state.core().subscriptions.cancel(subscription_id, actor=state.actor))


@app.command("change-plan")
def change_plan(ctx: typer.Context, subscription_id: SubscriptionId, plan: PlanRef) -> None:
    """Move a subscription to another active plan, at once, without proration."""
    from streamcore.subscriptions.models import PlanChange

    state = state_of(ctx)
    core = state.core()
    change = PlanChange.model_validate({"plan_id": core.plans.find(plan, actor=state.actor).id})
    show_record(state, core.subscriptions.change_plan(subscription_id, change, actor=state.actor))


@app.command()
def pay(
    ctx: typer.Context,
    subscription_id: SubscriptionId,
    amount: Annotated[
        str,
        typer.Option("--amount", metavar="AMOUNT", help="The plan's price, e.g. 9.99."),
    ],
    currency: Annotated[
        str, typer.Option("--currency", metavar="CODE", help="The plan's currency (ISO 4217).")
    ],
    reference: Annotated[
        str,
        typer.Option("--reference", metavar="REF", help="The payment provider's id (unique)."),
    ],
    paid_at: Annotated[
        str | None,
        typer.Option(
            "--paid-at",
            metavar="ISO",
            help="When it was paid, with a time zone: 2026-01-31T12:00:00Z [default: now].",
        ),
    ] = None,
) -> None:
    """Record a payment; the same reference again is a replay that changes nothing."""
    from streamcore.subscriptions.models import PaymentCreate

    state = state_of(ctx)
    data = PaymentCreate.model_validate(
        given(amount=amount, currency=currency, reference=reference, paid_at=_aware(paid_at))
    )
    result = state.core().subscriptions.record_payment(subscription_id, data, actor=state.actor)
    if state.json:
        show_record(state, result)
        return
    show_record(state, result.payment)
    payment = result.payment.model_dump(mode="json")
    if result.created:
        text = f"Payment {payment['id']} recorded: paid until {payment['period_end']}."
    else:
        text = f"Payment {payment['id']} already recorded (replay): nothing changed."
    show_message(state, text)
