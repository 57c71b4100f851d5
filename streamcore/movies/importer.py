"""Reading bulk-import files into ``(line, row)`` pairs for ``MovieService.import_movies``.

CSV: a header row of field names (line 1), list fields separated by ``;``, empty optional cells
mean "not given". JSON Lines: one JSON object per line, blank lines skipped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streamcore.errors import FieldError, InvalidInputError
from streamcore.movies.models import MovieCreate

LIST_FIELDS = frozenset({"genres", "countries"})
FORMATS = (".csv", ".jsonl")

Row = tuple[int, dict[str, object]]


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a ``.csv`` or ``.jsonl`` file, each with the line it starts on."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError.single("file", f"must end in {' or '.join(FORMATS)}")
    name = repr(str(path))  # quoted: a name with a newline still makes one line of error
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from (_csv_rows(handle) if suffix == ".csv" else _jsonl_rows(handle))
    except FileNotFoundError:
        raise InvalidInputError.single("file", f"{name} does not exist") from None
    except UnicodeDecodeError:
        raise InvalidInputError.single("file", f"{name} is not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInputError.single("file", f"{name} cannot be read: {exc.strerror}") from None


def _csv_rows(lines: Iterator[str]) -> Iterator[Row]:
    reader = csv.reader(lines)
    header = _next_record(reader, 1)
    if not header:
        raise InvalidInputError.single("file", "line 1: a CSV file needs a header row")
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in MovieCreate.model_fields]
    if unknown:
        known = ", ".join(MovieCreate.model_fields)
        raise InvalidInputError(
            [FieldError("", f"unknown column {unknown[0]!r} (columns: {known})")], prefix="line 1: "
        )
    start = reader.line_num + 1
    while (cells := _next_record(reader, start)) is not None:
        if any(cell.strip() for cell in cells):
            yield start, _csv_row(start, names, cells)
        start = reader.line_num + 1


def _next_record(reader: Any, line: int) -> list[str] | None:
    """The next CSV record; a malformed one is an error naming the line it starts on."""
    try:
        record: list[str] | None = next(reader, None)
    except csv.Error as exc:
        raise InvalidInputError(
            [FieldError("", f"is not valid CSV ({exc})")], prefix=f"line {line}: "
        ) from None
    return record


def _csv_row(line: int, names: list[str], cells: list[str]) -> dict[str, object]:
    if len(cells) != len(names):
        raise InvalidInputError(
            [FieldError("", f"has {len(cells)} cells, the header has {len(names)}")],
            prefix=f"line {line}: ",
        )
    row: dict[str, object] = {}
    for name, cell in zip(names, cells, strict=True):
        if name in LIST_FIELDS:
            row[name] = [part for part in cell.split(";") if part.strip()]
        elif cell.strip() or name in {"title", "year"}:
            row[name] = cell
    return row


def _jsonl_rows(lines: Iterator[str]) -> Iterator[Row]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                [FieldError("", f"is not valid JSON ({exc.msg})")], prefix=f"line {number}: "
            ) from None
        if not isinstance(row, dict):
            raise InvalidInputError(
                [FieldError("", "must be a JSON object")], prefix=f"line {number}: "
            )
        yield number, row
