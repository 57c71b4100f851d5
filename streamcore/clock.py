"""Time, injectable: services take a ``Clock`` so tests control ``now``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def in_utc(clock: Clock) -> Clock:
    """``clock`` with its readings converted to UTC, whatever zone it reports in."""

    def now() -> datetime:
        return clock().astimezone(UTC)

    return now
