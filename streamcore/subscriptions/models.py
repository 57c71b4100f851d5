"""Plan, subscription and payment models (SPEC §3.3). Money is ``Decimal``, never a float."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, model_validator

from streamcore.iso import CURRENCY_CODES
from streamcore.paging import PageQuery
from streamcore.subscriptions.periods import Period, Status
from streamcore.validation import MAX_ID, InputModel, OutputModel

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _money(value: object) -> Decimal:
    # A float has already lost the exact value: refuse it rather than round it.
    if isinstance(value, float | bool):
        raise ValueError("must be a decimal string like '9.99', not a float")
    text = format(value, "f") if isinstance(value, Decimal) else str(value).strip()
    if not isinstance(value, str | int | Decimal) or not _NUMBER.fullmatch(text):
        raise ValueError("must be a decimal number like '9.99'")
    amount = Decimal(text)
    if amount < 0:
        raise ValueError("must be a number >= 0")
    if amount != amount.quantize(CENT):
        raise ValueError("must have at most 2 decimals")
    if amount > MAX_AMOUNT:
        raise ValueError(f"must be at most {MAX_AMOUNT}")
    return abs(amount.quantize(CENT))  # abs: "-0" is 0.00, not -0.00


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in CURRENCY_CODES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("must include a time zone (e.g. 2026-01-31T12:00:00Z)")
    return moment.astimezone(UTC)  # periods are counted in UTC, whatever zone it came in


Money = Annotated[Decimal, BeforeValidator(_money)]
Currency = Annotated[str, AfterValidator(_currency)]


def _not_only_digits(name: str) -> str:
    # A reference made only of digits is read as an id (the CLI's PLAN), so no name may be one.
    if name.isdigit():
        raise ValueError("must not be only digits (PLAN can be an id)")
    return name


PlanName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_not_only_digits),
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class PlanCreate(InputModel):
    """A new plan, or every field of a full update."""

    name: PlanName
    description: Description = ""
    price: Money
    currency: Currency
    period: Period
    includes_new_movies: bool = False
    is_active: bool = True


class PlanPatch(InputModel):
    """A partial update of a plan: only the fields given change."""

    name: PlanName | None = None
    description: Description | None = None
    price: Money | None = None
    currency: Currency | None = None
    period: Period | None = None
    includes_new_movies: bool | None = None
    is_active: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> PlanPatch:
        self.reject_nulls(type(self).model_fields)  # every field of a plan has a value
        return self


class PlanQuery(PageQuery):
    """A page of plans; ``include_inactive`` is for administrators."""

    include_inactive: bool = False


class Plan(OutputModel):
    """A plan as stored."""

    id: int
    name: str
    description: str
    price: Decimal
    currency: str
    period: Period
    includes_new_movies: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime


class SubscriptionCreate(InputModel):
    """Subscribe a user (oneself, unless an administrator says whom) to a plan."""

    plan_id: Id
    user_id: Id | None = None


class PlanChange(InputModel):
    """Move a subscription to another plan, at once and without proration."""

    plan_id: Id


class SubscriptionQuery(PageQuery):
    """A page of subscriptions, newest first; ``user_id`` filters (administrators)."""

    user_id: Id | None = None


class SubscriptionRecord(OutputModel):
    """A subscription as stored: its status is derived, never stored.

    ``closed_at`` marks an expired subscription that a newer one replaced; it stays expired.
    """

    id: int
    user_id: int
    plan_id: int
    paid_until: datetime | None
    canceled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


class Subscription(OutputModel):
    """A subscription with its status at the time it was read."""

    id: int
    user_id: int
    plan_id: int
    status: Status
    paid_until: datetime | None
    canceled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PaymentCreate(InputModel):
    """A payment reported by the payment provider; ``reference`` is its id there."""

    amount: Money
    currency: Currency
    reference: Reference
    paid_at: AwareDatetime | None = None


class Payment(OutputModel):
    """A recorded payment and the period it paid for."""

    id: int
    subscription_id: int
    amount: Decimal
    currency: str
    reference: str
    paid_at: datetime
    period_start: datetime
    period_end: datetime


class PaymentResult(OutputModel):
    """The payment, and whether this call recorded it (False: a replay of a known reference)."""

    payment: Payment
    created: bool
