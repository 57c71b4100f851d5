"""The one output helper: JSON in the REST shapes with ``--json``, rich tables otherwise."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel

    from streamcore.commands.state import CliState


def emit_json(data: object) -> None:
    """Print ``data`` as indented JSON on stdout."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def show_record(state: CliState, record: BaseModel) -> None:
    """One object: JSON, or a two-column table of its fields."""
    data = record.model_dump(mode="json")
    if state.json:
        emit_json(data)
        return
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in data.items():
        table.add_row(name, _cell(value))
    _console().print(table)


Columns = Mapping[str, str]
"""A listing's columns: each field shown, and its header (short: the table fits 80 columns)."""

MOVIE_COLUMNS: Columns = {
    "id": "id",
    "title": "title",
    "year": "year",
    "genres": "genres",
    "countries": "countries",
    "duration_minutes": "minutes",
}
"""The columns of every listing of movies (``movie list``, ``user movies``, ``plan movies``)."""

DELETED_COLUMN: Columns = {"deleted_at": "deleted"}
"""Added to a listing that may hold deleted rows (``--trashed with`` or ``only``)."""


def show_page(state: CliState, page: BaseModel, columns: Columns) -> None:
    """A page of a listing: JSON ``{items,total,limit,offset}``, or a table and a footer.

    The table fits the terminal without splitting a word while it can: a column that must
    narrow wraps its cells at spaces, never below its longest word (an email, a date, a header).
    A time is shown to the second as ``2026-01-15 12:00:00Z``, so it wraps between date and time.
    """
    data = page.model_dump(mode="json")
    if state.json:
        emit_json(data)
        return
    from rich import box
    from rich.table import Table

    items: list[dict[str, Any]] = data["items"]
    models: Sequence[BaseModel] = getattr(page, "items", ())
    rows = [
        [_listed(model, name, item) for name in columns]
        for model, item in zip(models, items, strict=True)
    ]
    cells = [
        [header, *(row[index] for row in rows)] for index, header in enumerate(columns.values())
    ]
    console = _console()
    # A rule under the header and two spaces between columns: 2 per column less than boxes.
    table = Table(
        *columns.values(),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    room = console.width - 2 * (len(columns) - 1)
    for column, width in zip(table.columns, _widths(cells, room), strict=True):
        column.width = width
        column.overflow = "fold"  # only a word wider than its column: when nothing else fits
    for row in rows:
        table.add_row(*(_text(cell) for cell in row))
    console.print(table)
    if items:
        first, last = data["offset"] + 1, data["offset"] + len(items)
        console.print(f"{first}-{last} of {data['total']}", highlight=False)
    else:
        console.print(f"none shown of {data['total']}", highlight=False)


def _widths(cells: list[list[str]], room: int) -> list[int]:
    """Column widths within ``room``: the widest wrappable column gives up one at a time."""
    widths = [max(len(text) for text in column) for column in cells]
    longest_word = [
        max(len(word) for text in column for word in text.split() or [""]) for column in cells
    ]
    floors = [max(1, word) for word in longest_word]
    for floor in (floors, [1] * len(widths)):  # words kept whole; then, if need be, folded
        while sum(widths) > room:
            narrowable = [i for i, width in enumerate(widths) if width > floor[i]]
            if not narrowable:
                break
            widths[max(narrowable, key=widths.__getitem__)] -= 1
    return widths


def _listed(model: BaseModel, name: str, item: dict[str, Any]) -> str:
    """One cell of a listing as text; a time to the second, with a space between date and time."""
    value = getattr(model, name, None)
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"
    return _plain(item.get(name))


def show_message(state: CliState, text: str, data: object | None = None) -> None:
    """A confirmation: ``data`` as JSON (nothing if None), or ``text`` for people."""
    if state.json:
        if data is not None:
            emit_json(data)
        return
    typer.echo(text)


def _plain(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _cell(value: object) -> Any:
    return _text(_plain(value))


def _text(text: str) -> Any:
    from rich.text import Text

    return Text(text)  # Text, not markup: a stored "[b]" stays "[b]"


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)
