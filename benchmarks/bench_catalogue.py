"""Benchmarks of the movie catalogue: CLI cold start, bulk import, listing and lookup on SQLite.

Run with the project's virtualenv (the ``streamcore`` console script is looked up next to
``sys.executable``)::

    .venv/bin/python benchmarks/bench_catalogue.py [--movies 100000] [--repeat 9] [--json]

Everything happens in a fresh temporary directory (``--keep`` leaves it behind, e.g. to run
``sqlite3 bench.db 'EXPLAIN QUERY PLAN ...'`` afterwards). The data is generated from a fixed
seed, so two runs work on the same catalogue. Timings are wall-clock medians (and p95 where
there are enough samples); the machine these run on is usually shared and noisy, so compare
medians, and ratios measured within one run, rather than single samples.

Sections (``--sections``, default all):

``cold``   ``streamcore --help`` vs ``python -c "import typer"``, interleaved, ``--repeat`` timed
           runs of each after one discarded run; targets: --help <= 0.2 s median and <= 1.3x
           import typer.
``import`` ``streamcore --database-url sqlite:///.../bench.db movie import movies.csv`` as a
           subprocess on a fresh database (target >= 20,000 rows/s), alternating with the same
           import in process (``StreamCore.open(url).movies.import_movies(read_rows(path))``)
           on another fresh database, ``--import-runs`` times each. The in-process import is
           split into phases: the repository's SQL methods are wrapped with timers, the CSV
           parse and the validation are timed again on their own; and a 1,000-row import
           counts the ``INSERT INTO movies`` statements sent.
``query``  on the catalogue the CLI imported, in process: ``core.movies.list(MovieQuery(...))``
           for a set of filters (target <= 5 ms each; the stated target is the common-genre
           first page, the others reuse it) and ``core.movies.get(id)`` for random ids
           (target <= 1 ms).
``sql``    for each list query, the SQL statements the repository sends (captured from the
           engine) are replayed with the ``sqlite3`` module and timed round-robin with the
           ``list`` call itself; ``list = page + count + rest`` tells whether a slow listing
           is slow in its page query, its count query or in Python. ``--plans`` prints each
           statement with its ``EXPLAIN QUERY PLAN``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from support import captured_sql, git_commit, load_average

SEED = 20261127
SECTIONS = ("cold", "import", "query", "sql")


def words(text: str) -> tuple[str, ...]:
    """The space-separated words of ``text``."""
    return tuple(text.split())


# Targets (seconds, or rows per second for the import).
HELP_MAX_S = 0.2
HELP_MAX_RATIO = 1.3
IMPORT_MIN_ROWS_S = 20_000
LIST_MAX_S = 0.005
GET_MAX_S = 0.001

# Genre slugs with weights: "drama" is the common one, "western" a rare one.
GENRES = {
    "drama": 30,
    "comedy": 22,
    "thriller": 14,
    "action": 14,
    "romance": 10,
    "documentary": 9,
    "horror": 8,
    "crime": 8,
    "adventure": 7,
    "science-fiction": 6,
    "fantasy": 6,
    "animation": 5,
    "family": 5,
    "mystery": 5,
    "biography": 4,
    "history": 3,
    "music": 3,
    "war": 2,
    "film-noir": 1,
    "western": 0.5,
}
COMMON_GENRE = "drama"
RARE_GENRE = "western"
COUNTRIES = words(
    "US GB FR DE IT ES JP KR CN IN CA AU BR MX AR SE NO DK FI NL BE CH AT PL IE NZ ZA NG EG TR"
)
COMMON_COUNTRY = "FR"
ADJECTIVES = words(
    "Silent Golden Broken Hidden Last Lost Dark Bright Wild Quiet Burning Frozen Secret "
    "Endless Crimson Hollow Distant Savage Gentle Electric Forgotten Midnight Northern "
    "Restless Shattered Velvet Wandering Iron Paper Glass Little Great Final First Second "
    "Strange Lonely Sudden Empty Sacred"
)
NOUNS = words(
    "Night River City Road Garden Summer Winter Ocean Mountain Heart Shadow Kingdom Storm "
    "Island Station Harbor Letter Promise Mirror Horizon Forest Desert Empire Voyage Song "
    "Stranger Witness Detective Dream Fire Moon Sun Sky Door House Train Bridge Journey "
    "Secret Echo"
)
PLACES = words("Paris Tokyo Berlin Rome Cairo Lisbon Havana Seoul Oslo Dublin Lagos Lima")
COMMON_Q = "night"  # a word in the NOUNS list: a few percent of titles contain it
RARE_Q = "zephyr"  # put into about 0.1 % of titles
YEARS = (1920, 2025)


# --------------------------------------------------------------------------- statistics


@dataclass
class Stat:
    """Samples of one measurement, in seconds."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def minimum(self) -> float:
        return min(self.samples)

    def summary(self) -> dict[str, float | int]:
        return {
            "median_s": self.median,
            "p95_s": self.p95,
            "min_s": self.minimum,
            "n": len(self.samples),
        }


@dataclass
class Result:
    """One line of the results table."""

    section: str
    name: str
    value: str
    target: str
    ok: bool | None  # None: no target, just information
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def time_calls(
    func: Callable[[], object], *, warmup: int, reps: int, budget_s: float, min_reps: int = 20
) -> Stat:
    """Call ``func`` ``warmup`` times untimed, then up to ``reps`` timed times.

    Stops early once ``budget_s`` seconds have been spent and at least ``min_reps`` samples
    are in, so that a slow case does not take minutes.
    """
    for _ in range(warmup):
        func()
    gc.collect()
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        func()
        samples.append(time.perf_counter() - t0)
        if len(samples) >= min_reps and time.perf_counter() - started > budget_s:
            break
    return Stat(samples)


def time_round_robin(
    calls: dict[str, Callable[[], object]],
    *,
    warmup: int,
    reps: int,
    budget_s: float,
    min_reps: int = 20,
) -> dict[str, Stat]:
    """Like ``time_calls`` for several functions, called in turn within each repetition."""
    for func in calls.values():
        for _ in range(warmup):
            func()
    gc.collect()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    started = time.perf_counter()
    for done in range(1, reps + 1):
        for name, func in calls.items():
            t0 = time.perf_counter()
            func()
            samples[name].append(time.perf_counter() - t0)
        if done >= min_reps and time.perf_counter() - started > budget_s:
            break
    return {name: Stat(values) for name, values in samples.items()}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- environment


def console_script() -> Path:
    """The ``streamcore`` script of the environment running this benchmark."""
    bindir = Path(sys.executable).parent
    for name in ("streamcore", "streamcore.exe"):
        if (bindir / name).exists():
            return bindir / name
    sys.exit(
        f"no streamcore console script next to {sys.executable}; "
        "run this with the project's virtualenv python (.venv/bin/python)"
    )


def machine_info() -> dict[str, Any]:
    import sqlalchemy

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "platform": platform.platform(),
        "loadavg_start": load_average(),
        "commit": git_commit(),
    }


def run_quiet(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Run ``argv``; return its wall time; fail loudly if it fails."""
    return run_measured(argv, cwd, env)[0]


def run_measured(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Run ``argv``; return its wall time and its CPU time (user + system, seconds).

    CPU time hardly depends on what else the machine runs, so it is the steadier figure on a
    shared machine; the targets are on wall time.
    """
    before = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return elapsed, _children_cpu() - before


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # not on Unix: no CPU figure
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def clean_env() -> dict[str, str]:
    """The environment for subprocesses, without settings that would redirect streamcore."""
    return {k: v for k, v in os.environ.items() if not k.startswith("STREAMCORE_")}


# --------------------------------------------------------------------------- data


def generate_csv(path: Path, count: int, seed: int = SEED) -> dict[str, int]:
    """Write ``count`` movies with unique (title, year) pairs; return a few tallies."""
    rng = random.Random(seed)
    genre_names = list(GENRES)
    genre_weights = list(GENRES.values())
    seen: set[tuple[str, int]] = set()
    tallies = {"rows": 0, "common_genre": 0, "rare_genre": 0, "common_country": 0, "rare_q": 0}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "title",
                "year",
                "description",
                "duration_minutes",
                "genres",
                "countries",
                "media_path",
            ]
        )
        while tallies["rows"] < count:
            title = _title(rng)
            year = rng.randint(*YEARS)
            key = (title.casefold(), year)
            if key in seen:
                continue
            seen.add(key)
            genres: list[str] = []
            wanted = rng.randint(1, 3)
            while len(genres) < wanted:
                genre = rng.choices(genre_names, genre_weights)[0]
                if genre not in genres:
                    genres.append(genre)
            countries = rng.sample(COUNTRIES, rng.choice((0, 1, 1, 1, 2)))
            duration = str(rng.randint(60, 200)) if rng.random() < 0.7 else ""
            description = f"A {rng.choice(ADJECTIVES).lower()} story." if rng.random() < 0.5 else ""
            media = f"movies/{tallies['rows']:06d}.mp4" if rng.random() < 0.3 else ""
            writer.writerow(
                [title, year, description, duration, ";".join(genres), ";".join(countries), media]
            )
            tallies["rows"] += 1
            tallies["common_genre"] += COMMON_GENRE in genres
            tallies["rare_genre"] += RARE_GENRE in genres
            tallies["common_country"] += COMMON_COUNTRY in countries
            tallies["rare_q"] += RARE_Q in key[0]
    return tallies


def _title(rng: random.Random) -> str:
    adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
    shape = rng.random()
    if shape < 0.001:
        title = f"{adjective} Zephyr"
    elif shape < 0.35:
        title = f"The {adjective} {noun}"
    elif shape < 0.6:
        title = f"{noun} of {rng.choice(PLACES)}"
    elif shape < 0.8:
        title = f"{adjective} {noun}, {rng.choice(NOUNS)}"  # a comma: CSV quoting
    else:
        title = f"{adjective} {noun} {rng.randint(2, 99)}"
    return title


# --------------------------------------------------------------------------- sections


def bench_cold_start(workdir: Path, repeat: int) -> list[Result]:
    script = console_script()
    env = clean_env()
    help_argv = [str(script), "--help"]
    typer_argv = [sys.executable, "-c", "import typer"]
    helps: list[float] = []
    typers: list[float] = []
    help_cpu: list[float] = []
    typer_cpu: list[float] = []
    for i in range(repeat + 1):  # interleaved, so both see the same machine state
        helped, helped_cpu = run_measured(help_argv, workdir, env)
        typed, typed_cpu = run_measured(typer_argv, workdir, env)
        if i:  # the first run of each (cold disk cache, .pyc writing) is discarded
            helps.append(helped)
            typers.append(typed)
            help_cpu.append(helped_cpu)
            typer_cpu.append(typed_cpu)
    help_stat, typer_stat = Stat(helps), Stat(typers)
    cpu_ratio = statistics.median(help_cpu) / max(statistics.median(typer_cpu), 1e-9)
    ratio = help_stat.median / typer_stat.median
    paired = statistics.median(h / t for h, t in zip(helps, typers, strict=True))
    return [
        Result(
            "cold",
            "streamcore --help",
            f"{ms(help_stat.median)} (p95 {ms(help_stat.p95)}, n={len(helps)})",
            f"<= {HELP_MAX_S * 1000:.0f} ms",
            help_stat.median <= HELP_MAX_S,
            help_stat.summary(),
        ),
        Result(
            "cold",
            'python -c "import typer"',
            f"{ms(typer_stat.median)} (p95 {ms(typer_stat.p95)}, n={len(typers)})",
            "(reference)",
            None,
            typer_stat.summary(),
        ),
        Result(
            "cold",
            "--help / import typer",
            f"{ratio:.2f}x (median of paired ratios {paired:.2f}x)",
            f"<= {HELP_MAX_RATIO}x",
            ratio <= HELP_MAX_RATIO,
            {"ratio_of_medians": ratio, "median_paired_ratio": paired},
        ),
        info_result(
            "cold",
            "  CPU time (user+sys), --help / typer",
            f"{ms(statistics.median(help_cpu))} / {ms(statistics.median(typer_cpu))}"
            f" = {cpu_ratio:.2f}x",
            {
                "help_cpu_median_s": statistics.median(help_cpu),
                "typer_cpu_median_s": statistics.median(typer_cpu),
                "cpu_ratio": cpu_ratio,
            },
        ),
    ]


def bench_import(workdir: Path, csv_path: Path, count: int, runs: int) -> list[Result]:
    from streamcore import MovieCreate, StreamCore
    from streamcore.movies.importer import read_rows

    script = console_script()
    env = clean_env()
    results: list[Result] = []

    # CLI and in-process imports alternate, so that both see the same machine state.
    cli_times: list[float] = []
    cli_cpu: list[float] = []
    inproc_cpu: list[float] = []
    opens: list[float] = []
    imports: list[float] = []
    phases: dict[str, list[float]] = {}
    for run in range(runs):
        log(f"  import run {run + 1}/{runs}: CLI ...")
        db = workdir / ("bench.db" if run == runs - 1 else f"bench-cli-{run}.db")
        argv = [str(script), "--database-url", f"sqlite:///{db}", "movie", "import", str(csv_path)]
        wall, cpu = run_measured(argv, workdir, env)
        cli_times.append(wall)
        cli_cpu.append(cpu)
        if db.name != "bench.db":
            _remove_db(db)

        log(f"  import run {run + 1}/{runs}: in process ...")
        db = workdir / f"bench-inproc-{run}.db"
        gc.collect()
        t0 = time.perf_counter()
        core = StreamCore.open(f"sqlite:///{db}")
        opens.append(time.perf_counter() - t0)
        try:
            with phase_timers() as spent:
                t1, c1 = time.perf_counter(), time.process_time()
                ids = core.movies.import_movies(read_rows(csv_path))
                imports.append(time.perf_counter() - t1)
                inproc_cpu.append(time.process_time() - c1)
        finally:
            core.close()
        assert len(ids) == count, (len(ids), count)
        for name, seconds in spent.items():
            phases.setdefault(name, []).append(seconds)
        _remove_db(db)

    cli = Stat(cli_times)
    results.append(
        Result(
            "import",
            f"CLI movie import ({count:,} rows)",
            f"{count / cli.median:,.0f} rows/s ({cli.median:.2f} s, n={runs})",
            f">= {IMPORT_MIN_ROWS_S:,} rows/s",
            count / cli.median >= IMPORT_MIN_ROWS_S,
            {**cli.summary(), "rows_per_s": count / cli.median},
        )
    )
    opened, imported = Stat(opens), Stat(imports)
    results.append(
        Result(
            "import",
            "in-process import_movies",
            f"{count / imported.median:,.0f} rows/s ({imported.median:.2f} s, n={runs})",
            f">= {IMPORT_MIN_ROWS_S:,} rows/s",
            count / imported.median >= IMPORT_MIN_ROWS_S,
            {**imported.summary(), "rows_per_s": count / imported.median},
        )
    )
    cpu_cli, cpu_inproc = statistics.median(cli_cpu), statistics.median(inproc_cpu)
    results.append(
        info_result(
            "import",
            "  CPU time (user+sys), CLI / in-process",
            f"{cpu_cli:.2f} s / {cpu_inproc:.2f} s = {count / max(cpu_cli, 1e-9):,.0f}"
            f" / {count / max(cpu_inproc, 1e-9):,.0f} rows per CPU-second",
            {"cli_cpu_median_s": cpu_cli, "inproc_cpu_median_s": cpu_inproc},
        )
    )
    overhead = cli.median - imported.median
    results.append(
        info_result(
            "import",
            "  CLI overhead (CLI - in-process, wall)",
            f"{overhead:.2f} s ({overhead / cli.median:.0%} of CLI);"
            f" CPU {cpu_cli - cpu_inproc:.2f} s",
            {"overhead_s": overhead, "overhead_cpu_s": cpu_cli - cpu_inproc},
        )
    )
    # The CLI's fixed cost: start-up, imports, migrating the new database, for a 1-row file.
    one = workdir / "one.csv"
    with csv_path.open(encoding="utf-8", newline="") as source:
        one.write_text(source.readline() + source.readline(), encoding="utf-8")
    fixed: list[float] = []
    for run in range(3):
        db = workdir / f"one-{run}.db"
        argv = [str(script), "--database-url", f"sqlite:///{db}", "movie", "import", str(one)]
        fixed.append(run_quiet(argv, workdir, env))
        _remove_db(db)
    results.append(
        info_result(
            "import",
            "  CLI fixed cost (1-row import, new db)",
            ms(statistics.median(fixed)),
            Stat(fixed).summary(),
        )
    )
    results.append(
        info_result(
            "import",
            "  StreamCore.open (new db: migrate)",
            ms(opened.median),
            opened.summary(),
        )
    )

    # Where the in-process time goes. The SQL phases are timed during the import above
    # (wrapped repository methods); parsing and validation are interleaved with each other
    # there (a generator), so they are timed again here on their own.
    gc.collect()
    t0 = time.perf_counter()
    rows = list(read_rows(csv_path))
    t1 = time.perf_counter()
    for _line, raw in rows:
        MovieCreate.model_validate(raw)
    t2 = time.perf_counter()
    parts = {
        "read_rows: CSV parse (alone)": t1 - t0,
        "MovieCreate validation (alone)": t2 - t1,
        # The import checks uniqueness through the unique index and inserts each batch's tags
        # inside add_many (decisions 51, 53): no pre-check query, no separate tag phase.
        "add_many: INSERT movies, genres, countries": statistics.median(phases["add_many"]),
        "commit": statistics.median(phases["commit"]),
    }
    parts["other (events, service, noise)"] = imported.median - sum(parts.values())
    for name, seconds in parts.items():
        share = seconds / imported.median
        results.append(
            info_result(
                "import",
                f"  of which: {name}",
                f"{seconds:.2f} s ({share:.0%})",
                {"seconds": seconds, "share": share},
            )
        )
    results.append(statement_count(workdir, csv_path))
    return results


def info_result(section: str, name: str, value: str, data: dict[str, Any]) -> Result:
    return Result(section, name, value, "(info)", None, data)


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Accumulate the time spent in the SQL repository's write methods while in the block."""
    from streamcore.storage.sql.movies import SqlMovieRepository
    from streamcore.storage.sql.storage import SqlUnitOfWork

    spent: dict[str, float] = {}
    targets = [
        (SqlMovieRepository, "add_many"),
        (SqlUnitOfWork, "commit"),
    ]
    originals = [(cls, name, cls.__dict__[name]) for cls, name in targets]

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    for cls, name, func in originals:
        spent[name] = 0.0
        setattr(cls, name, timed(name, func))
    try:
        yield spent
    finally:
        for cls, name, func in originals:
            setattr(cls, name, func)


def statement_count(workdir: Path, csv_path: Path, rows: int = 1000) -> Result:
    """How many INSERT INTO movies statements an import of ``rows`` rows sends."""
    from sqlalchemy import event

    from streamcore import StreamCore
    from streamcore.movies.importer import read_rows

    small = workdir / "small.csv"
    with csv_path.open(encoding="utf-8", newline="") as source:
        lines = [line for _, line in zip(range(rows + 1), source, strict=False)]
    small.write_text("".join(lines), encoding="utf-8")
    db = workdir / "count.db"
    sent: list[str] = []
    with StreamCore.open(f"sqlite:///{db}") as core:

        def before(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO MOVIES "):
                sent.append(statement)

        event.listen(core.storage.engine, "before_cursor_execute", before)  # type: ignore[attr-defined]
        core.movies.import_movies(read_rows(small))
    _remove_db(db)
    small.unlink()
    return info_result(
        "import",
        f"  INSERT INTO movies statements per {rows} rows",
        f"{len(sent)} ({rows / max(len(sent), 1):.0f} rows per statement)",
        {"statements": len(sent), "rows": rows},
    )


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def list_cases(count: int, tallies: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    """(label, MovieQuery fields) of the list queries to time."""
    return [
        ("no filter", {}),
        (f"genre={COMMON_GENRE}", {"genre": COMMON_GENRE}),
        (f"genre={COMMON_GENRE} sort=-year", {"genre": COMMON_GENRE, "sort": "-year"}),
        (f"genre={COMMON_GENRE} sort=title", {"genre": COMMON_GENRE, "sort": "title"}),
        (f"genre={RARE_GENRE} (rare)", {"genre": RARE_GENRE}),
        (f"q={COMMON_Q}", {"q": COMMON_Q}),
        (f"q={RARE_Q} (rare)", {"q": RARE_Q}),
        (f"country={COMMON_COUNTRY}", {"country": COMMON_COUNTRY}),
        (
            f"genre={COMMON_GENRE} country={COMMON_COUNTRY}",
            {"genre": COMMON_GENRE, "country": COMMON_COUNTRY},
        ),
        ("year=1999", {"year": 1999}),
        (f"no filter offset={count // 2}", {"offset": count // 2}),
        (
            f"genre={COMMON_GENRE} offset={tallies['common_genre'] // 2}",
            {"genre": COMMON_GENRE, "offset": tallies["common_genre"] // 2},
        ),
    ]


def bench_queries(
    db: Path,
    count: int,
    tallies: dict[str, int],
    reps: int,
    budget_s: float,
    *,
    with_sql: bool,
) -> tuple[list[Result], list[dict[str, Any]]]:
    """Time ``core.movies.list`` per case and, round-robin with it, each of its SQL statements.

    The SQL statements are the ones the repository sends (captured from the engine), replayed
    with the ``sqlite3`` module on a connection of their own; timing them in the same loop as
    the ``list`` call means both see the same machine state, so ``list - page - count`` is the
    Python side (pool, SQLAlchemy, ``Movie`` models) of the call.
    """
    from streamcore import MovieQuery, StreamCore

    results: list[Result] = []
    sql_results: list[Result] = []
    details: list[dict[str, Any]] = []
    raw = sqlite3.connect(db, isolation_level=None)
    try:
        with StreamCore.open(f"sqlite:///{db}") as core:
            engine = core.storage.engine  # type: ignore[attr-defined]
            for label, fields in list_cases(count, tallies):
                query = MovieQuery(**fields)
                with captured_sql(engine, selects_only=True) as statements:
                    page = core.movies.list(query)
                calls: dict[str, Callable[[], object]] = {
                    "list": lambda query=query: core.movies.list(query)
                }
                kinds: dict[str, tuple[str, tuple[Any, ...]]] = {}
                if with_sql:
                    for sql, params in statements:
                        kind = "count" if "count(" in sql.lower() else "page"
                        kinds[kind] = (sql, params)
                        calls[kind] = lambda sql=sql, params=params: raw.execute(
                            sql, params
                        ).fetchall()
                stats = time_round_robin(calls, warmup=5, reps=reps, budget_s=budget_s)
                stat = stats["list"]
                results.append(
                    Result(
                        "query",
                        f"list {label}",
                        f"{ms(stat.median)} (p95 {ms(stat.p95)}, n={len(stat.samples)})",
                        f"<= {LIST_MAX_S * 1000:.0f} ms",
                        stat.median <= LIST_MAX_S,
                        {
                            **stat.summary(),
                            "query": fields,
                            "total": page.total,
                            "items": len(page.items),
                        },
                    )
                )
                if not with_sql:
                    continue
                sql_total = 0.0
                for kind, (sql, params) in kinds.items():
                    alone = stats[kind]
                    sql_total += alone.median
                    plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
                    details.append(
                        {
                            "case": label,
                            "kind": kind,
                            "sql": sql,
                            "params": list(params),
                            "plan": plan,
                            **alone.summary(),
                        }
                    )
                parts = [f"{kind} {ms(stats[kind].median)}" for kind in kinds]
                rest = stat.median - sql_total
                parts.append(f"rest {ms(rest)}")
                sql_results.append(
                    Result(
                        "sql",
                        f"{label}",
                        " + ".join(parts),
                        "(info)",
                        None,
                        {
                            "list_median_s": stat.median,
                            **{f"{kind}_median_s": stats[kind].median for kind in kinds},
                            "rest_s": rest,
                        },
                    )
                )

            rng = random.Random(SEED + 1)
            ids = [rng.randint(1, count) for _ in range(max(reps, 100))]
            pending = iter(ids * 2)
            stat = time_calls(
                lambda: core.movies.get(next(pending)),
                warmup=10,
                reps=len(ids),
                budget_s=budget_s,
            )
            results.append(
                Result(
                    "query",
                    "get(id), random ids",
                    f"{ms(stat.median)} (p95 {ms(stat.p95)}, n={len(stat.samples)})",
                    f"<= {GET_MAX_S * 1000:.0f} ms",
                    stat.median <= GET_MAX_S,
                    stat.summary(),
                )
            )
    finally:
        raw.close()
    return results + sql_results, details


# --------------------------------------------------------------------------- report


def print_table(results: list[Result], out: Any) -> None:
    headers = ("section", "measurement", "median (p95)", "target", "")
    rows = [(r.section, r.name, r.value, r.target, r.verdict) for r in results]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), file=out)
    print(line, file=out)
    section = None
    for row in rows:
        if section is not None and row[0] != section:
            print(file=out)
        section = row[0]
        print(
            "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out
        )
    missed = [r for r in results if r.ok is False]
    print(file=out)
    print(
        f"{sum(r.ok is True for r in results)} targets met, {len(missed)} missed"
        + (": " + "; ".join(r.name for r in missed) if missed else ""),
        file=out,
    )


def print_plans(details: list[dict[str, Any]], out: Any) -> None:
    for item in details:
        print(
            f"\n-- {item['case']}: {item['kind']} query, {ms(item['median_s'])} median alone",
            file=out,
        )
        print(item["sql"].strip(), file=out)
        print(f"-- params: {item['params']}", file=out)
        for step in item["plan"]:
            print(f"--   {step}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movies", type=int, default=100_000, help="catalogue size (100000)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=9,
        help="timed cold-start runs of each command, after one discarded run (default 9, min 7)",
    )
    parser.add_argument(
        "--import-runs",
        type=int,
        default=3,
        help="CLI and in-process imports to time, alternating (default 3)",
    )
    parser.add_argument(
        "--query-reps", type=int, default=300, help="max timed calls per query case (300)"
    )
    parser.add_argument(
        "--budget", type=float, default=3.0, help="seconds per query case before stopping early"
    )
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}"
    )
    parser.add_argument("--plans", action="store_true", help="print the SQL and its query plans")
    parser.add_argument("--json", action="store_true", help="JSON on stdout (the table on stderr)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    if unknown := sections - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.repeat < 7:
        parser.error("--repeat must be at least 7")
    if args.import_runs < 1 or args.query_reps < 20 or args.movies < 1000:
        parser.error("need --import-runs >= 1, --query-reps >= 20, --movies >= 1000")

    info = machine_info()
    workdir = Path(tempfile.mkdtemp(prefix="streamcore-bench-"))
    results: list[Result] = []
    details: list[dict[str, Any]] = []
    try:
        if "cold" in sections:
            log(f"cold start: {args.repeat + 1} runs of each command ...")
            results += bench_cold_start(workdir, args.repeat)
        csv_path = workdir / "movies.csv"
        tallies: dict[str, int] = {}
        if sections & {"import", "query", "sql"}:
            log(f"generating {args.movies:,} movies ...")
            tallies = generate_csv(csv_path, args.movies)
            info["data"] = tallies
        db = workdir / "bench.db"
        if sections & {"import", "query", "sql"}:
            log("importing ...")
            if "import" in sections:
                results += bench_import(workdir, csv_path, args.movies, args.import_runs)
            else:
                argv_ = [str(console_script()), "--database-url", f"sqlite:///{db}"]
                run_quiet([*argv_, "movie", "import", str(csv_path)], workdir, clean_env())
        if sections & {"query", "sql"}:
            log("timing list and get" + (" and their SQL ..." if "sql" in sections else " ..."))
            query_results, details = bench_queries(
                db,
                args.movies,
                tallies,
                args.query_reps,
                args.budget,
                with_sql="sql" in sections,
            )
            results += query_results
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    info["loadavg_end"] = load_average()
    info["commit_end"] = git_commit()
    if info["commit_end"] != info["commit"]:
        log(f"warning: the code changed during the run ({info['commit']} -> {info['commit_end']})")
    table_out = sys.stderr if args.json else sys.stdout
    print(
        f"\nstreamcore catalogue benchmark, {info['date']}, commit {info['commit']}: "
        f"{info['nproc']} CPUs, "
        f"Python {info['python']}, SQLite {info['sqlite']}, SQLAlchemy {info['sqlalchemy']}, "
        f"load average at start {info['loadavg_start']}, at end {info['loadavg_end']}\n",
        file=table_out,
    )
    print_table(results, table_out)
    if args.plans and details:
        print_plans(details, table_out)
    if args.json:
        document = {
            "machine": info,
            "args": vars(args),
            "results": [
                {
                    "section": r.section,
                    "name": r.name.strip(),
                    "value": r.value,
                    "target": r.target,
                    "verdict": r.verdict or None,
                    **r.data,
                }
                for r in results
            ],
            "sql": details,
        }
        json.dump(document, sys.stdout, indent=2, default=str)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
