"""Plan, subscription and payment models (SPEC §3.3). Money is ``Decimal``, never a float."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, model_validator

from streamcore.iso import CURRENCY_CODES
from streamcore.paging import PageQuery
from streamcore.subscriptions.periods import Period, Status
from streamcore.validation import (
    MAX_ID,
    MULTI_LINE,
    ONE_LINE,
    InputModel,
    OutputModel,
    short_repr,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")
"""At most 10 integer digits and 2 decimals (SPEC §3.3): 999,999,999,999 cents fit a bigint."""
FIRST_PAYMENT = datetime(2000, 1, 1, tzinfo=UTC)
LAST_PAYMENT = datetime(9000, 1, 1, tzinfo=UTC)
"""``paid_at`` lies in [FIRST_PAYMENT, LAST_PAYMENT): far enough from datetime's limits that
converting it to UTC or adding billing periods to it never overflows."""

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_MONEY_FORMAT = "must be a decimal number like '9.99'"
_EXACT = Context(prec=28, traps=[InvalidOperation])  # not the caller's thread context
_MONEY_TEXT = 40  # longer than any amount we take, even with leading zeros: not parsed at all


def _money(value: object) -> Decimal:
    amount = _decimal(value)
    if amount < 0:
        raise ValueError("must be a number >= 0")
    if amount > MAX_AMOUNT:
        raise ValueError(f"must be at most {MAX_AMOUNT}")
    # Only now, with at most 10 integer digits, does quantizing stay within the precision.
    cents = amount.quantize(CENT, context=_EXACT)
    if amount != cents:
        raise ValueError("must have at most 2 decimals")
    return cents.copy_abs()  # "-0" is 0.00, not -0.00


def _decimal(value: object) -> Decimal:
    """A finite ``Decimal`` from a decimal string, an int or a Decimal; never from a float."""
    if isinstance(value, float):  # it has already lost the exact value: refuse, do not round
        raise ValueError("must be a decimal string like '9.99', not a float")
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= _MONEY_TEXT and _NUMBER.fullmatch(text):
            return Decimal(text)
    raise ValueError(_MONEY_FORMAT)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in CURRENCY_CODES:
        raise ValueError(f"{short_repr(value)} is not an ISO 4217 currency code")
    return code


def _moment(value: object) -> object:
    # SPEC §3: times are ISO 8601 text (or a datetime from Python), not Unix timestamps.
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be a date and time with a time zone, like 2026-01-31T12:00:00Z")


def _aware(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError("must include a time zone (e.g. 2026-01-31T12:00:00Z)")
    # The year first: converting year 1 or 9999 with an offset would overflow.
    if not FIRST_PAYMENT.year - 1 <= moment.year <= LAST_PAYMENT.year:
        raise ValueError(_PAID_AT_RANGE)
    utc = moment.astimezone(UTC)  # periods are counted in UTC, whatever zone it came in
    if not FIRST_PAYMENT <= utc < LAST_PAYMENT:
        raise ValueError(_PAID_AT_RANGE)
    return utc


_PAID_AT_RANGE = (
    f"must be between {FIRST_PAYMENT.year}-01-01 and {LAST_PAYMENT.year - 1}-12-31 (UTC)"
)


Money = Annotated[Decimal, BeforeValidator(_money)]
Currency = Annotated[str, ONE_LINE, AfterValidator(_currency)]


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
Description = Annotated[str, MULTI_LINE, StringConstraints(strip_whitespace=True, max_length=5000)]
Reference = Annotated[
    str, ONE_LINE, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
AwareDatetime = Annotated[datetime, BeforeValidator(_moment), AfterValidator(_aware)]


class PlanCreate(InputModel):
    """A new plan, or every field of a full update."""

    name: Annotated[PlanName, ONE_LINE]  # ONE_LINE here, not in PlanName: decision 40
    description: Description = ""
    price: Money
    currency: Currency
    period: Period
    includes_new_movies: bool = False
    is_active: bool = True


class PlanPatch(InputModel):
    """A partial update of a plan: only the fields given change."""

    name: Annotated[PlanName, ONE_LINE] | None = None
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
