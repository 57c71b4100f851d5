"""Bulk import at scale, on every backend: batches, linear time, races (SPEC §3.2).

``import_movies`` reads its rows as a stream and writes them ``IMPORT_BATCH`` at a time inside
one transaction. Each test here crosses batch boundaries, so a rule that holds for one batch
is seen to hold for the file: every row checked as a single create would be, the first bad line
named, nothing written when any row is bad. Races run real threads, each with its own core
(its own connection) on the SQL backends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from streamcore import ConflictError, InvalidInputError, MovieCreate, MovieQuery, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.events import Event, MovieCreated, movie_created
from streamcore.movies.errors import DuplicateMovieError
from streamcore.movies.importer import read_rows
from streamcore.movies.service import IMPORT_BATCH

EVERYTHING = MovieQuery(trashed="with", limit=1)
Rows = list[tuple[int, dict[str, Any]]]


def numbered(titles: list[str], *, year: int = 2000, first_line: int = 2) -> Rows:
    return [(first_line + n, {"title": t, "year": year}) for n, t in enumerate(titles)]


def many(count: int, prefix: str = "Movie", **kwargs: Any) -> Rows:
    return numbered([f"{prefix} {n:06d}" for n in range(count)], **kwargs)


def stored(core: StreamCore) -> int:
    """How many movies are stored, deleted ones included."""
    return core.movies.list(EVERYTHING, actor=SYSTEM).total


def refusal(core: StreamCore, rows: Rows) -> Exception:
    with pytest.raises((ConflictError, InvalidInputError)) as caught:
        core.movies.import_movies(rows, actor=SYSTEM)
    return caught.value


# --- rules across batches ---------------------------------------------------------------------


def test_a_file_of_several_batches_is_imported_whole_in_row_order(core: StreamCore) -> None:
    rows = many(2 * IMPORT_BATCH + 7)
    heard: list[Event] = []

    def receiver(sender: object, *, event: Event) -> None:
        heard.append(event)

    with movie_created.connected_to(receiver):
        ids = core.movies.import_movies(rows, actor=SYSTEM)

    assert len(ids) == len(rows)
    assert list(ids) == sorted(ids)
    assert [(e.movie_id, e.title) for e in heard if isinstance(e, MovieCreated)] == [
        (movie_id, row["title"]) for movie_id, (_, row) in zip(ids, rows, strict=True)
    ]
    last = core.movies.get(ids[-1], actor=SYSTEM)
    assert (last.title, last.year) == (rows[-1][1]["title"], 2000)


def test_a_repeat_of_a_row_of_an_earlier_batch_names_both_lines(core: StreamCore) -> None:
    rows = many(IMPORT_BATCH + 500)
    rows[IMPORT_BATCH + 400] = (
        rows[IMPORT_BATCH + 400][0],
        {"title": "MOVIE 000003 ", "year": 2000},
    )

    error = refusal(core, rows)

    assert isinstance(error, DuplicateMovieError)
    assert str(error).startswith(f"line {IMPORT_BATCH + 402} (same as line 5): ")
    assert stored(core) == 0


@pytest.mark.parametrize(
    ("bad", "fields"),
    [({"title": "Bad", "year": 1700}, ("year",)), ({"year": 2000}, ("title",))],
)
def test_an_invalid_row_in_a_later_batch_leaves_nothing_written(
    core: StreamCore, bad: dict[str, Any], fields: tuple[str, ...]
) -> None:
    core.movies.create(MovieCreate(title="Kept", year=1999), actor=SYSTEM)
    rows = many(2 * IMPORT_BATCH + 10)
    line = rows[2 * IMPORT_BATCH + 3][0]
    rows[2 * IMPORT_BATCH + 3] = (line, bad)

    error = refusal(core, rows)

    assert isinstance(error, InvalidInputError)
    assert (str(error)[: len(f"line {line}: ")], error.fields) == (f"line {line}: ", fields)
    assert stored(core) == 1


def test_a_stored_duplicate_in_a_later_batch_names_its_line_and_writes_nothing(
    core: StreamCore,
) -> None:
    core.movies.create(MovieCreate(title="Movie 001800", year=2000), actor=SYSTEM)

    error = refusal(core, many(2 * IMPORT_BATCH))

    assert str(error) == "line 1802: a movie titled 'Movie 001800' from 2000 already exists"
    assert stored(core) == 1


def test_a_stored_duplicate_before_a_bad_row_of_the_same_batch_is_named_first(
    core: StreamCore,
) -> None:
    core.movies.create(MovieCreate(title="Movie 001100", year=2000), actor=SYSTEM)
    rows = many(IMPORT_BATCH + 300)
    rows[IMPORT_BATCH + 200] = (rows[IMPORT_BATCH + 200][0], {"title": "", "year": 2000})

    assert str(refusal(core, rows)).startswith("line 1102: ")


def test_the_rows_are_read_as_a_stream_not_all_at_once(core: StreamCore) -> None:
    pulled = 0

    def source() -> Iterator[tuple[int, dict[str, Any]]]:
        nonlocal pulled
        for line, row in many(10 * IMPORT_BATCH):
            pulled += 1
            yield line, row if line != 1500 else {"title": "Bad", "year": 1700}

    with pytest.raises(InvalidInputError):
        core.movies.import_movies(source(), actor=SYSTEM)

    assert pulled <= 2 * IMPORT_BATCH  # not the whole file before the first batch is written
    assert stored(core) == 0


def test_a_file_error_after_whole_batches_leaves_nothing_written(
    core: StreamCore, tmp_path: Path
) -> None:
    path = tmp_path / "movies.csv"
    body = "".join(f"Movie {n},2000\n" for n in range(IMPORT_BATCH + 50))
    path.write_text("title,year\n" + body + "Broken,2000,extra\n", encoding="utf-8")

    error = refusal(core, read_rows(path))  # type: ignore[arg-type]

    assert str(error).startswith(f"line {IMPORT_BATCH + 52}: has 3 cells")
    assert stored(core) == 0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.csv", "", "is empty (a CSV file starts with a header)"),
        (
            "dup.csv",
            "title,title,year\nA,B,2000\n",
            "line 1: column 'title' appears more than once",
        ),
        ("deep.jsonl", '{"title": "A", "year": 2000}\n' + "[" * 100_000, "line 2: nests"),
    ],
)
def test_an_unreadable_file_is_refused_through_the_import_and_writes_nothing(
    core: StreamCore, tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    error = refusal(core, read_rows(path))  # type: ignore[arg-type]

    assert isinstance(error, InvalidInputError)
    assert message in str(error)
    assert stored(core) == 0


def test_a_header_only_file_imports_nothing(core: StreamCore, tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    path.write_text("title,year\r\n", encoding="utf-8")

    assert core.movies.import_movies(read_rows(path), actor=SYSTEM) == ()
    assert stored(core) == 0


# --- linear time ------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def fresh_core(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], StreamCore]:
    """Opens a core on an empty database of the backend, each time it is called."""
    opened = 0

    def open_fresh() -> StreamCore:
        nonlocal opened
        opened += 1
        url = {"memory": "memory://", "sqlite": f"sqlite:///{tmp_path / f'{opened}.db'}"}.get(
            request.param
        ) or _emptied(request.getfixturevalue("postgres_url"))
        core = StreamCore.open(Settings(database_url=url, media_root=tmp_path))
        core.listeners.disconnect()  # the import alone is measured
        return core

    return open_fresh


def _emptied(postgres_url: str) -> str:
    from tests.conftest import empty_postgres

    empty_postgres(postgres_url)
    return postgres_url


def test_importing_n_rows_onto_n_stored_takes_linear_time(
    fresh_core: Callable[[], StreamCore],
) -> None:
    # Quadratic work (a scan of every stored movie per row) makes 4x the rows take 16x the
    # time; linear work 4x. The best of three rounds of each size, interleaved, each on an
    # empty database.
    small, large = 500, 2000
    best: dict[int, float] = {small: float("inf"), large: float("inf")}
    for _ in range(3):
        for count in (small, large):
            with fresh_core() as core:
                core.movies.import_movies(many(count, prefix="Stored"), actor=SYSTEM)
                rows = many(count, prefix="New")
                started = time.perf_counter()
                core.movies.import_movies(rows, actor=SYSTEM)
                best[count] = min(best[count], time.perf_counter() - started)
                assert stored(core) == 2 * count
    assert best[large] / best[small] < 8, best


# --- races ------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A database that two cores can share (memory: the threads share one core)."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        StreamCore.open(sqlite_url).close()  # migrate the new file before any race
        return sqlite_url
    return _emptied(request.getfixturevalue("postgres_url"))


def _cores(url: str, count: int, tmp_path: Path) -> list[StreamCore]:
    """``count`` cores on ``url``, each with its own engine; memory: one core, ``count`` times."""
    if url.startswith("memory"):
        return [StreamCore.open(Settings(database_url=url, media_root=tmp_path))] * count
    return [StreamCore.open(Settings(database_url=url, media_root=tmp_path)) for _ in range(count)]


def _empty(url: str) -> None:
    """Remove every row of a SQL database between rounds (a memory core is simply new)."""
    if url.startswith("postgresql"):
        _emptied(url)
    elif url.startswith("sqlite"):
        import sqlalchemy as sa

        from streamcore.storage.sql.schema import metadata

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        engine.dispose()


def _run_together(*calls: Callable[[], object]) -> list[object]:
    """Run each call in its own thread, released at once; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an import hangs"
    return outcomes


def test_two_overlapping_imports_at_once_one_wins_the_other_names_its_line(
    shared_url: str, tmp_path: Path
) -> None:
    # The shared titles come in opposite orders: two importers inserting them at the same
    # time would each wait for a key the other holds (PostgreSQL: DeadlockDetected).
    shared = [f"Shared {n:03d}" for n in range(200)]
    first = numbered(shared + [f"First {n:03d}" for n in range(100)])
    second = numbered([f"Second {n:03d}" for n in range(100)] + shared[::-1])
    clash_line = (2, 102)  # the first shared row of each file
    seen = []
    for _ in range(20):
        _empty(shared_url)
        cores = _cores(shared_url, 2, tmp_path)
        try:
            outcomes = _run_together(
                partial(cores[0].movies.import_movies, first, actor=SYSTEM),
                partial(cores[1].movies.import_movies, second, actor=SYSTEM),
            )
            count = stored(cores[0])
        finally:
            for core in set(cores):
                core.close()
        won = [isinstance(o, tuple) for o in outcomes]
        assert sorted(won) == [False, True], outcomes
        lost = won.index(False)
        loser = outcomes[lost]
        assert isinstance(loser, DuplicateMovieError), repr(loser)
        assert str(loser).startswith(f"line {clash_line[lost]}: a movie titled 'Shared "), loser
        assert count == 300
        seen.append(lost)
    assert len(seen) == 20


def test_a_movie_committed_by_another_writer_during_an_import_is_named_by_its_line(
    shared_url: str, tmp_path: Path
) -> None:
    # The other writer holds an uncommitted "Heat" when the import starts: the import's insert
    # (PostgreSQL) or its transaction (SQLite, memory) waits, then meets the committed row.
    rows = numbered(["Alien", "Ran", "Heat", "Zelig"])
    importer, writer = _cores(shared_url, 2, tmp_path)
    outcome: list[object] = []
    try:
        with writer.storage.unit_of_work() as uow:
            uow.movies.add(MovieCreate(title="Heat", year=2000), datetime.now(UTC))
            thread = threading.Thread(target=lambda: outcome.append(_outcome(importer, rows)))
            thread.start()
            _wait_until_blocked(shared_url, thread)
            uow.commit()
        thread.join(timeout=60)
        assert outcome, "the import hangs"
        assert isinstance(outcome[0], DuplicateMovieError), repr(outcome[0])
        assert str(outcome[0]) == "line 4: a movie titled 'Heat' from 2000 already exists"
        assert stored(importer) == 1
    finally:
        for core in {importer, writer}:
            core.close()


def _outcome(core: StreamCore, rows: Rows) -> object:
    try:
        return core.movies.import_movies(rows, actor=SYSTEM)
    except Exception as exc:  # the outcome under test
        return exc


def _wait_until_blocked(url: str, thread: threading.Thread) -> None:
    """Until the import waits for the other writer (PostgreSQL: a lock wait on its insert)."""
    if not url.startswith("postgresql"):
        time.sleep(0.5)  # it waits for the write lock: nothing to observe from outside
        return
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        deadline = time.monotonic() + 20
        with engine.connect() as conn:
            while time.monotonic() < deadline and thread.is_alive():
                waiting = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND datname = current_database() AND query LIKE 'INSERT INTO movies%'"
                    )
                ).scalar_one()
                if waiting:
                    return
                time.sleep(0.02)
        raise AssertionError("the import never waited on the other writer's row")
    finally:
        engine.dispose()
