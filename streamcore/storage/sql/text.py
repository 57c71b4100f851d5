"""Text matching shared by the SQL repositories."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

_ESCAPE = "\\"


def contains(column: sa.ColumnElement[Any], needle: str) -> sa.ColumnElement[bool]:
    """``column LIKE '%needle%'`` with ``%``, ``_`` and ``\\`` in ``needle`` taken literally."""
    for char in (_ESCAPE, "%", "_"):
        needle = needle.replace(char, _ESCAPE + char)
    return column.like(f"%{needle}%", escape=_ESCAPE)
