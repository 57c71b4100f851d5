"""The one output helper: JSON in the REST shapes with ``--json``, rich tables otherwise."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
        table.add_row(name, _cell(value))  # Text, not markup: stored "[b]" stays "[b]"
    _console().print(table)


def show_page(state: CliState, page: BaseModel, columns: Sequence[str]) -> None:
    """A page of a listing: JSON ``{items,total,limit,offset}``, or a table and a footer."""
    data = page.model_dump(mode="json")
    if state.json:
        emit_json(data)
        return
    from rich.table import Table

    items: list[dict[str, Any]] = data["items"]
    table = Table(*columns, show_lines=False)
    for column in table.columns:
        column.overflow = "fold"
    for item in items:
        table.add_row(*(_cell(item.get(c)) for c in columns))
    console = _console()
    console.print(table)
    if items:
        first, last = data["offset"] + 1, data["offset"] + len(items)
        console.print(f"{first}-{last} of {data['total']}", highlight=False)
    else:
        console.print(f"none shown of {data['total']}", highlight=False)


def show_message(state: CliState, text: str, data: object | None = None) -> None:
    """A confirmation: ``data`` as JSON (nothing if None), or ``text`` for people."""
    if state.json:
        if data is not None:
            emit_json(data)
        return
    typer.echo(text)


def _cell(value: object) -> Any:
    from rich.text import Text

    if value is None:
        return Text("-")
    if isinstance(value, list):
        return Text(", ".join(str(v) for v in value))
    return Text(str(value))


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)
