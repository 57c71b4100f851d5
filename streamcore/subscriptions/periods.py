"""Calendar arithmetic for billing periods and the status rule of a subscription."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Literal

Period = Literal["month", "year"]
Status = Literal["pending", "active", "past_due", "expired", "canceled"]
MONTHS = {"month": 1, "year": 12}


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months; a day past the month's end clamps.

    Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year).
    """
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(start: datetime, period: Period) -> datetime:
    """The end of one billing period that starts at ``start``."""
    return add_months(start, MONTHS[period])


def status_at(
    *, paid_until: datetime | None, canceled_at: datetime | None, now: datetime, grace: timedelta
) -> Status:
    """The derived status of a subscription (SPEC §3.3's table)."""
    if canceled_at is not None:
        return "canceled"
    if paid_until is None:
        return "pending"
    if now < paid_until:
        return "active"
    return "past_due" if now < paid_until + grace else "expired"


def may_watch_at(
    *, paid_until: datetime | None, canceled_at: datetime | None, now: datetime, grace: timedelta
) -> bool:
    """Whether a subscription lets its user watch at ``now``: active, past due, or canceled
    but still paid for."""
    if paid_until is None:
        return False
    if canceled_at is not None:
        return now < paid_until
    return now < paid_until + grace
