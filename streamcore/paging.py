"""What every listing shares: the page request and the page of results."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

from pydantic import Field

from streamcore.validation import MAX_ID, InputModel, OutputModel

Trashed = Literal["without", "with", "only"]
"""Whether a listing leaves out soft-deleted rows (default), adds them, or shows only them."""


class PageQuery(InputModel):
    """``limit`` 1..100 (default 20) and ``offset`` >= 0."""

    limit: Annotated[int, Field(ge=1, le=100)] = 20
    offset: Annotated[int, Field(ge=0, le=MAX_ID)] = 0


T = TypeVar("T", bound=OutputModel)


class Page(OutputModel, Generic[T]):
    """One page of a listing: ``total`` counts every match, not just ``items``."""

    items: tuple[T, ...]
    total: int
    limit: int
    offset: int
