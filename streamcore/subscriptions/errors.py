"""Errors of the subscriptions domain: leaves of the categories in ``streamcore.errors``."""

from __future__ import annotations

from streamcore.errors import ConflictError, NotFoundError


class PlanNotFoundError(NotFoundError):
    """No plan with that id or name (or it is hidden from the caller)."""

    def __init__(self, plan: int | str) -> None:
        super().__init__(f"plan {plan} not found")


class DuplicatePlanError(ConflictError):
    """Another plan already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a plan named {name!r} already exists")


class PlanInUseError(ConflictError):
    """The plan has live subscriptions, so it cannot be deleted yet.

    The message says what is true and what to do, in words for any face (no option or field
    names): an active plan can be deactivated to take no new subscriptions; an inactive one
    can only wait until its subscriptions have ended.
    """

    def __init__(self, plan_id: int, *, active: bool = True) -> None:
        self.plan_id = plan_id
        self.active = active
        if active:
            message = (
                f"plan {plan_id} has live subscriptions; deactivate it to stop new ones, "
                "and delete it once they have ended"
            )
        else:
            message = (
                f"plan {plan_id} is inactive but still has live subscriptions: "
                "delete it once they have ended"
            )
        super().__init__(message)


class SubscriptionNotFoundError(NotFoundError):
    """No subscription with that id, or not one the caller may see."""

    def __init__(self, subscription_id: int) -> None:
        super().__init__(f"subscription {subscription_id} not found")


class LiveSubscriptionExistsError(ConflictError):
    """The user already has a live (not canceled, not expired) subscription."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} already has a live subscription")


class SubscriptionStateError(ConflictError):
    """The subscription's state does not allow this (e.g. paying a canceled one)."""


class PaymentConflictError(ConflictError):
    """The reference was recorded before with another amount, currency or subscription."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"payment reference {reference!r} was already recorded with other details")
