"""The plain peer of ``streamcore movie import``: csv + sqlite3 + pydantic, nothing else.

    python benchmarks/import_reference.py DB.sqlite movies.csv

Writes what streamcore's import writes into a database streamcore has migrated (the same
``movies`` table with all its indexes, and the ``movie_genres`` / ``movie_countries`` rows),
in one transaction, after validating every row against a pydantic model of its own that holds
the rules of ``MovieCreate`` (SPEC §3.2): the same field rules, ``(title, year)`` unique within
the file (and, through the partial unique index, against the live movies stored), the first bad
line named, nothing written when a row is bad. It prints one JSON object: rows, seconds and CPU
seconds (from opening the file to the commit; interpreter start-up and imports excluded).

It is what a competent user would write by hand: per-row ``INSERT`` for the movie (its
``lastrowid`` names the tag rows), ``executemany`` for the tags, the same pragmas as streamcore
(WAL, ``synchronous=NORMAL``, foreign keys on). It borrows only streamcore's table of ISO
country codes (data, not logic), so both check countries against the same list.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from streamcore.iso import COUNTRY_CODES

LAST_YEAR = datetime.now(UTC).year + 5
SLUG = re.compile(r"[a-z0-9-]+")
BREAKS = re.compile(r"[\r\n\t\v\f]")
BATCH = 5000


def _one_line(text: str) -> str:
    if BREAKS.search(text):
        raise ValueError("must be one line")
    return text


def _genres(values: list[str]) -> list[str]:
    out = list(dict.fromkeys(v.strip().lower() for v in values))
    for genre in out:
        if not SLUG.fullmatch(genre) or len(genre) > 50:
            raise ValueError(f"{genre!r} is not a slug")
    if len(out) > 10:
        raise ValueError("at most 10 genres")
    return out


def _countries(values: list[str]) -> list[str]:
    out = list(dict.fromkeys(v.strip().upper() for v in values))
    for code in out:
        if code not in COUNTRY_CODES:
            raise ValueError(f"{code!r} is not a country code")
    if len(out) > 20:
        raise ValueError("at most 20 countries")
    return out


def _media_path(path: str) -> str:
    if not path or "\\" in path or path.startswith("/"):
        raise ValueError("must be a relative path")
    if any(part in {"", ".", ".."} for part in path.split("/")):
        raise ValueError("must be normalized")
    return path


class Row(BaseModel):
    """One movie of the file, with the rules of streamcore's ``MovieCreate``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    title: Annotated[
        str, StringConstraints(min_length=1, max_length=200), AfterValidator(_one_line)
    ]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    year: Annotated[int, Field(ge=1888, le=LAST_YEAR)]
    duration_minutes: Annotated[int, Field(ge=1, le=1000)] | None = None
    genres: Annotated[list[str], AfterValidator(_genres)] = Field(default_factory=list)
    countries: Annotated[list[str], AfterValidator(_countries)] = Field(default_factory=list)
    media_path: Annotated[str, AfterValidator(_media_path)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(
            isinstance(v, str) and "\x00" in v for v in data.values()
        ):
            raise ValueError("must not contain NUL")
        return data


MOVIE_SQL = (
    "INSERT INTO movies (title, title_key, description, year, duration_minutes, genres,"
    " countries, media_path, created_at, updated_at, deleted_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
)
GENRE_SQL = "INSERT INTO movie_genres (movie_id, genre, live) VALUES (?, ?, 1)"
COUNTRY_SQL = "INSERT INTO movie_countries (movie_id, country, live) VALUES (?, ?, 1)"
LISTS = ("genres", "countries")


def rows_of(path: Path) -> Any:
    """``(line, cells)`` of each non-blank record after the header."""
    handle = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(handle)
    names = [name.strip() for name in next(reader)]
    start = 2
    for cells in reader:
        if any(cells):
            row: dict[str, object] = {}
            for name, cell in zip(names, cells, strict=True):
                if name in LISTS:
                    row[name] = [p for p in cell.split(";") if p.strip()]
                elif cell or name in ("title", "year"):
                    row[name] = cell
            yield start, row
        start = reader.line_num + 1


def insert(cur: sqlite3.Cursor, batch: list[Row], now: str) -> None:
    """Write one batch: a movie row each, then its tag rows."""
    genres: list[tuple[int, str]] = []
    countries: list[tuple[int, str]] = []
    for m in batch:
        cur.execute(
            MOVIE_SQL,
            (
                m.title,
                m.title.casefold(),
                m.description,
                m.year,
                m.duration_minutes,
                json.dumps(m.genres),
                json.dumps(m.countries),
                m.media_path,
                now,
                now,
            ),
        )
        movie_id = cur.lastrowid
        genres.extend((movie_id, g) for g in m.genres)  # type: ignore[misc]
        countries.extend((movie_id, c) for c in m.countries)  # type: ignore[misc]
    cur.executemany(GENRE_SQL, genres)
    cur.executemany(COUNTRY_SQL, countries)


def main(db: Path, path: Path) -> int:
    """Import ``path`` into ``db``; print ``{"rows": N, "seconds": S}`` or the first error."""
    started, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("busy_timeout = 10000", "journal_mode = WAL", "synchronous = NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("PRAGMA foreign_keys = ON")
    cur = conn.cursor()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    seen: set[tuple[str, int]] = set()
    batch: list[Row] = []
    count = 0
    cur.execute("BEGIN IMMEDIATE")
    try:
        for line, raw in rows_of(path):
            try:
                movie = Row.model_validate(raw)
            except ValidationError as exc:
                raise SystemExit(f"line {line}: {exc.errors()[0]['msg']}") from None
            key = (movie.title.casefold(), movie.year)
            if key in seen:
                raise SystemExit(f"line {line}: duplicate title and year")
            seen.add(key)
            batch.append(movie)
            if len(batch) == BATCH:
                insert(cur, batch, now)
                count, batch = count + len(batch), []
        insert(cur, batch, now)
        count += len(batch)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    conn.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"rows": count, "seconds": seconds, "import_cpu_s": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
