"""Reading bulk-import files into ``(line, row)`` pairs for ``MovieService.import_movies``.

CSV: a header row of field names (line 1), list fields separated by ``;``, empty optional cells
mean "not given". JSON Lines: one JSON object per line, blank lines skipped. Rows are read one
at a time (an import streams them), and whatever is wrong with the file is an
``InvalidInputError`` naming the line, never another exception.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from streamcore.errors import FieldError, InvalidInputError
from streamcore.movies.models import MovieCreate

LIST_FIELDS = frozenset({"genres", "countries"})
ALWAYS_GIVEN = frozenset({"title", "year"})
FORMATS = (".csv", ".jsonl")
OVERSIZED_SAMPLE = 10_000
"""Characters of a cell too large for the csv module that are validated in its stead: more
than any field's rule allows (the longest, description, is 5,000), so its rule still fails."""

Row = tuple[int, dict[str, object]]

# Bytes that are not UTF-8 are decoded to lone surrogates (errors="surrogateescape"), so that
# the line holding them can be named; no valid UTF-8 text decodes to these.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a ``.csv`` or ``.jsonl`` file, each with the line it starts on."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError.single("file", f"must end in {' or '.join(FORMATS)}")
    name = repr(str(path))  # quoted: a name with a newline still makes one line of error
    try:
        with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            if suffix == ".csv":
                yield from _csv_rows(handle, name)
            else:
                yield from _jsonl_rows(handle)
    except FileNotFoundError:
        raise InvalidInputError.single("file", f"{name} does not exist") from None
    except OSError as exc:
        raise InvalidInputError.single("file", f"{name} cannot be read: {exc.strerror}") from None


def _line_error(line: int, message: str, field: str = "") -> InvalidInputError:
    return InvalidInputError([FieldError(field, message)], prefix=f"line {line}: ")


# --- CSV --------------------------------------------------------------------------------------


def _csv_rows(handle: TextIO, name: str) -> Iterator[Row]:
    reader = csv.reader(handle)
    names = _header(reader, handle, name)
    columns = _Columns.of(names)
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            raise _csv_error(exc, handle, start, names) from None
        if cells is None:
            return
        joined = "".join(cells)
        if joined.strip():
            if _NOT_UTF8.search(joined):
                raise _line_error(start, "is not UTF-8 text")
            yield start, columns.row(start, cells)
        start = reader.line_num + 1


def _header(reader: Any, handle: TextIO, name: str) -> list[str]:
    """The column names of line 1; refused unless each is a known field, given once."""
    try:
        header: list[str] | None = next(reader, None)
    except csv.Error as exc:
        raise _csv_error(exc, handle, 1, []) from None
    if header is None:
        raise InvalidInputError.single("file", f"{name} is empty (a CSV file starts with a header)")
    if not header:
        raise _line_error(1, "must be the header row (field names), not a blank line")
    names = [column.strip() for column in header]
    if _NOT_UTF8.search("".join(names)):
        raise _line_error(1, "is not UTF-8 text")
    unknown = [column for column in names if column not in MovieCreate.model_fields]
    if unknown:
        known = ", ".join(MovieCreate.model_fields)
        raise _line_error(1, f"unknown column {unknown[0]!r} (columns: {known})")
    seen: set[str] = set()
    for column in names:
        if column in seen:
            raise _line_error(1, f"column {column!r} appears more than once")
        seen.add(column)
    return names


@dataclass(frozen=True)
class _Columns:
    """The header's columns, sorted by how a cell of each becomes a value."""

    names: list[str]
    lists: list[str]
    """List fields: the cell split on ``;``, empty parts dropped."""
    optional: list[str]
    """Other fields but title and year: an empty cell means "not given"."""

    @classmethod
    def of(cls, names: list[str]) -> _Columns:
        lists = [n for n in names if n in LIST_FIELDS]
        optional = [n for n in names if n not in LIST_FIELDS and n not in ALWAYS_GIVEN]
        return cls(names, lists, optional)

    def row(self, line: int, cells: list[str]) -> dict[str, object]:
        """One record's cells as a row (one C-level zip, then only the cells that change)."""
        if len(cells) != len(self.names):
            raise _line_error(line, f"has {len(cells)} cells, the header has {len(self.names)}")
        row: dict[str, object] = dict(zip(self.names, cells, strict=True))
        for name in self.lists:
            cell: Any = row[name]
            row[name] = list(filter(str.strip, cell.split(";")))
        for name in self.optional:
            cell = row[name]
            if not cell.strip():
                del row[name]
        return row


def _csv_error(exc: csv.Error, handle: TextIO, line: int, names: list[str]) -> InvalidInputError:
    """The error for a record the csv module refused, starting on ``line``."""
    if "field larger than field limit" in str(exc) and names:
        return _oversized_cell(handle, line, names)
    return _line_error(line, f"is not valid CSV ({exc})")


def _oversized_cell(handle: TextIO, line: int, names: list[str]) -> InvalidInputError:
    """The error for a record holding a cell beyond the csv module's size limit.

    Only that field's own rule says what is wrong with it, so the record is read again by
    hand to find the cell's column, and the cell's first characters are validated.
    """
    found = _find_oversized(handle, line, csv.field_size_limit())
    if found is None or found[0] >= len(names):
        return _line_error(line, f"has more cells than the header's {len(names)}")
    column, sample = found
    name = names[column]
    value: object = [p for p in sample.split(";") if p.strip()] if name in LIST_FIELDS else sample
    try:
        MovieCreate.model_validate({name: value})
    except InvalidInputError as exc:
        errors = [e for e in exc.errors if e.field.split(".")[0] == name]
        if errors:
            return InvalidInputError(errors, prefix=f"line {line}: ")
    return _line_error(line, f"is longer than {csv.field_size_limit()} characters", name)


def _find_oversized(handle: TextIO, line: int, limit: int) -> tuple[int, str] | None:
    """Column and first characters of the first cell longer than ``limit`` in the record
    starting on ``line`` (CSV's default dialect: ``,`` between cells, ``"`` quoting)."""
    handle.seek(0)
    for _ in range(line - 1):
        handle.readline()
    column, length, quoted, closing, start = 0, 0, False, False, True
    sample: list[str] = []
    while chunk := handle.read(65536):
        for char in chunk:
            if quoted:
                if char == '"':
                    quoted, closing = False, True
                    continue
            elif closing and char == '"':  # a doubled quote inside a quoted cell
                quoted, closing = True, False
            elif char == ",":
                column, length, closing, start = column + 1, 0, False, True
                sample.clear()
                continue
            elif char in "\r\n":
                return None
            elif char == '"' and start:
                quoted, start = True, False
                continue
            start = closing = False
            length += 1
            if len(sample) < OVERSIZED_SAMPLE:
                sample.append(char)
            if length > limit:
                return column, "".join(sample)
    return None


# --- JSON Lines -------------------------------------------------------------------------------


def _jsonl_rows(lines: Iterator[str]) -> Iterator[Row]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        if _NOT_UTF8.search(text):
            raise _line_error(number, "is not UTF-8 text")
        row = _json_object(number, text)
        yield number, row


def _json_object(number: int, text: str) -> dict[str, object]:
    """The JSON object on one line; anything else is an error naming the line."""
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("["):
            raise _not_an_object(number) from None
        raise _line_error(number, f"is not valid JSON ({exc.msg})") from None
    except ValueError:  # an integer beyond Python's digit limit for int(str)
        digits = sys.get_int_max_str_digits()
        raise _line_error(number, f"holds a number of more than {digits} digits") from None
    except RecursionError:
        raise _line_error(number, "nests arrays or objects too deeply") from None
    if isinstance(row, list):
        raise _not_an_object(number)
    if not isinstance(row, dict):
        raise _line_error(number, "must be a JSON object")
    return row


def _not_an_object(number: int) -> InvalidInputError:
    return _line_error(
        number, "must be a JSON object (a .jsonl file holds one object per line, not an array)"
    )
