"""``/api/subscription``: one's own subscription (subscribers) or any (admins), and payments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from streamcore.api.auth import Core, MayHaveSubscription, MayRecordPayments
from streamcore.api.docs import errors
from streamcore.paging import Page
from streamcore.subscriptions.models import (
    Payment,
    PaymentCreate,
    PlanChange,
    Subscription,
    SubscriptionCreate,
    SubscriptionQuery,
)

router = APIRouter(prefix="/api/subscription", tags=["subscriptions"])

SubscriptionId = Annotated[int, Path(alias="id", description="The subscription's id.")]


@router.get("", responses=errors(401, 403, 422))
def list_subscriptions(
    query: Annotated[SubscriptionQuery, Query()], actor: MayHaveSubscription, core: Core
) -> Page[Subscription]:
    """Subscriptions, newest first: admins all (or one user's), subscribers their own."""
    return core.subscriptions.list(query, actor=actor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(401, 403, 404, 409, 422))
def subscribe(
    data: SubscriptionCreate, response: Response, actor: MayHaveSubscription, core: Core
) -> Subscription:
    """Subscribe oneself to a plan (admins: anyone, with ``user_id``)."""
    subscription = core.subscriptions.create(data, actor=actor)
    response.headers["Location"] = f"/api/subscription/{subscription.id}"
    return subscription


@router.get("/{id}", responses=errors(401, 403, 404, 422))
def get_subscription(
    subscription_id: SubscriptionId, actor: MayHaveSubscription, core: Core
) -> Subscription:
    """One subscription; another user's is not found."""
    return core.subscriptions.get(subscription_id, actor=actor)


@router.put("/{id}", responses=errors(401, 403, 404, 409, 422))
def change_plan(
    subscription_id: SubscriptionId, change: PlanChange, actor: MayHaveSubscription, core: Core
) -> Subscription:
    """Move to another plan, at once, without proration."""
    return core.subscriptions.change_plan(subscription_id, change, actor=actor)


@router.post("/{id}/cancel", responses=errors(401, 403, 404))
def cancel(subscription_id: SubscriptionId, actor: MayHaveSubscription, core: Core) -> Subscription:
    """Cancel; the movies stay watchable until ``paid_until``."""
    return core.subscriptions.cancel(subscription_id, actor=actor)


@router.post(
    "/{id}/payment",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "A replay of a known reference: the first payment.", "model": Payment},
        **errors(401, 403, 404, 409, 422),
    },
)
def record_payment(
    subscription_id: SubscriptionId,
    data: PaymentCreate,
    response: Response,
    actor: MayRecordPayments,
    core: Core,
) -> Payment:
    """Record a provider's payment: 201 when new, 200 when the reference is already known."""
    result = core.subscriptions.record_payment(subscription_id, data, actor=actor)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result.payment
