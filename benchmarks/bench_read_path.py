"""The core's read path against hand-written SQL: ``movies.get`` and ``auth.authenticate``.

    .venv/bin/python benchmarks/bench_read_path.py [--movies 100000] [--users 10000]
        [--reps 3000] [--postgres-url URL] [--profile] [--json]

One run seeds a fresh SQLite file (and, with ``--postgres-url``, that PostgreSQL database: its
tables are emptied first) with ``--movies`` movies and ``--users`` users holding one live token
each, written in bulk through the storage layer. Then, per backend, two cases, each measured on
both sides in one loop, call by call, alternating which side goes first:

``movies.get``     ``core.movies.get(id, actor=SYSTEM)`` for random ids, against the same
                   SELECT by primary key through the bare driver (``sqlite3`` / ``psycopg``,
                   one connection kept open), decoding the JSON and timestamp columns by hand
                   and building the same ``Movie`` with ``Movie.model_validate`` (pydantic's
                   fastest validated construction).
``authenticate``   ``core.auth.authenticate(token)`` for random live tokens, against the
                   SHA-256 digest plus the same users-tokens join through the bare driver,
                   building the same ``User``.

The hand-written side on PostgreSQL runs each lookup in a ``READ ONLY`` transaction, as the core
does (BEGIN, SELECT, ROLLBACK: three round trips); a third line gives the driver in autocommit
(one round trip), the floor of any transactional read. Every case first checks on a sample that
both sides return equal models. ``--profile`` adds a cProfile of the core's side of each case:
the share of the time spent opening and closing the unit of work, executing, and building the
model, and the functions that cost most.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from support import git_commit, load_average

from streamcore import StreamCore
from streamcore.auth.models import User
from streamcore.auth.permissions import SYSTEM
from streamcore.auth.repository import user_search_key
from streamcore.auth.service import token_digest
from streamcore.movies.models import Movie
from streamcore.movies.repository import title_key
from streamcore.storage.sql.bulk import insert_rows
from streamcore.storage.sql.schema import metadata, movies, tokens, users
from streamcore.storage.sql.storage import SqlStorage

SEED = 20261128
FAKE_HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"
GENRES = ["drama", "comedy", "thriller", "sci-fi", "documentary", "western", "war", "horror"]
COUNTRIES = ["FR", "US", "JP", "DE", "IT", "IN", "KR", "BR"]
ROLES = ["subscriber"] * 8 + ["editor", "admin"]
TARGET_RATIO = 3.0

MOVIE_SQL = (
    "SELECT id, title, description, year, duration_minutes, genres, countries, media_path,"
    " created_at, updated_at, deleted_at FROM movies WHERE id = {p}"
)
MOVIE_FIELDS = tuple(Movie.model_fields)
USER_SQL = (
    "SELECT users.id, users.email, users.name, users.role, users.is_active,"
    " users.notify_new_movies, users.created_at, users.updated_at, users.deleted_at"
    " FROM users JOIN tokens ON tokens.user_id = users.id"
    " WHERE tokens.digest = {p} AND tokens.expires_at > {p}"
    " AND users.is_active AND users.deleted_at IS NULL"
)
USER_FIELDS = tuple(User.model_fields)


# --- data ------------------------------------------------------------------------------------


def movie_rows(count: int, now: datetime) -> list[dict[str, Any]]:
    """Deterministic movies: every optional field both set and unset, 0-3 genres, 0-2 countries."""
    rng = random.Random(SEED)
    rows = []
    for i in range(count):
        title = f"Bench movie {i}"
        rows.append(
            {
                "title": title,
                "title_key": title_key(title),
                "description": "" if i % 2 else f"About movie {i}, " * rng.randint(1, 12),
                "year": 1900 + i % 125,
                "duration_minutes": None if rng.random() < 0.3 else rng.randint(1, 240),
                "genres": rng.sample(GENRES, rng.randint(0, 3)),
                "countries": rng.sample(COUNTRIES, rng.randint(0, 2)),
                "media_path": f"m/{i}.mp4" if rng.random() < 0.3 else None,
                "created_at": now - timedelta(seconds=i),
                "updated_at": now,
                "deleted_at": None,
            }
        )
    return rows


def user_rows(count: int, now: datetime) -> list[dict[str, Any]]:
    """Users of every role, all active; half never asked for news."""
    return [
        {
            "email": f"user{i}@example.org",
            "name": f"User {i}",
            "search_key": user_search_key(f"user{i}@example.org", f"User {i}"),
            "role": ROLES[i % len(ROLES)],
            "password_hash": FAKE_HASH,
            "is_active": True,
            "notify_new_movies": i % 2 == 0,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        for i in range(count)
    ]


@dataclass
class Seeded:
    """What was written: how many movies, and the tokens in clear."""

    movie_count: int
    issued: list[str]


def seed(core: StreamCore, movie_count: int, user_count: int) -> Seeded:
    """Write the data set in one transaction through ``insert_rows``."""
    assert isinstance(core.storage, SqlStorage)
    now = datetime.now(UTC).replace(microsecond=123456)
    rng = random.Random(SEED)
    issued = [f"bench-token-{i}-{rng.getrandbits(128):032x}" for i in range(user_count)]
    with core.storage.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        insert_rows(conn, movies, movie_rows(movie_count, now))
        insert_rows(conn, users, user_rows(user_count, now))
        first = conn.execute(sa.select(sa.func.min(users.c.id))).scalar() or 1
        token_rows = [
            {
                "digest": token_digest(token),
                "user_id": first + i,
                "created_at": now,
                "expires_at": now + timedelta(days=1),
            }
            for i, token in enumerate(issued)
        ]
        insert_rows(conn, tokens, token_rows)
    return Seeded(movie_count, issued)


# --- the hand-written side -------------------------------------------------------------------


def _sqlite_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _pg_time(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


@dataclass
class Hand:
    """The same lookups written by hand on one open driver connection."""

    backend: str
    lookup: Callable[[str, tuple[Any, ...]], tuple[Any, ...] | None]
    sql_movie: str
    sql_user: str

    def movie(self, movie_id: int) -> Movie:
        row = self.lookup(self.sql_movie, (movie_id,))
        assert row is not None
        values = dict(zip(MOVIE_FIELDS, row, strict=True))
        if self.backend == "sqlite":
            values["genres"] = json.loads(row[5])
            values["countries"] = json.loads(row[6])
            for name in ("created_at", "updated_at", "deleted_at"):
                values[name] = _sqlite_time(values[name])
        else:
            for name in ("created_at", "updated_at", "deleted_at"):
                values[name] = _pg_time(values[name])
        return Movie.model_validate(values)

    def user(self, token: str) -> User:
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        if self.backend == "sqlite":
            now: Any = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        else:
            now = datetime.now(UTC)
        row = self.lookup(self.sql_user, (digest, now))
        assert row is not None
        values = dict(zip(USER_FIELDS, row, strict=True))
        convert = _sqlite_time if self.backend == "sqlite" else _pg_time
        for name in ("created_at", "updated_at", "deleted_at"):
            values[name] = convert(values[name])
        return User.model_validate(values)

    def movie_sql_only(self, movie_id: int) -> object:
        return self.lookup(self.sql_movie, (movie_id,))


def sqlite_hand(path: Path) -> Hand:
    """sqlite3 in autocommit mode: each SELECT is its own (implicit) read transaction."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def lookup(sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = conn.execute(sql, params).fetchone()
        return row

    p = "?"
    return Hand("sqlite", lookup, MOVIE_SQL.format(p=p), USER_SQL.format(p=p))


def postgres_hand(url: str, *, transaction: bool) -> Hand:
    """psycopg on one connection: a READ ONLY transaction per lookup, or autocommit."""
    import psycopg

    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(False)
    conn = psycopg.connect(conninfo, autocommit=not transaction)
    if transaction:
        conn.read_only = True

    def lookup(sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = conn.execute(sql, params, prepare=False).fetchone()
        if transaction:
            conn.rollback()
        return row

    p = "%s"
    return Hand("postgresql", lookup, MOVIE_SQL.format(p=p), USER_SQL.format(p=p))


# --- measuring -------------------------------------------------------------------------------


def summary(samples_us: Sequence[float]) -> dict[str, float]:
    """Median, p99 and count of samples in microseconds."""
    ordered = sorted(samples_us)
    return {
        "median_us": round(statistics.median(ordered), 1),
        "p99_us": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "n": len(ordered),
    }


@dataclass
class Case:
    """One comparison: the core's call and its hand-written equal, on the same arguments."""

    backend: str
    name: str
    sides: dict[str, dict[str, float]] = field(default_factory=dict)
    profile: dict[str, Any] | None = None

    def ratio(self, side: str, stat: str = "median_us") -> float:
        return self.sides["core"][stat] / self.sides[side][stat]


def interleaved(
    calls: dict[str, Callable[[Any], object]], args: Sequence[Any], warmup: int
) -> dict[str, dict[str, float]]:
    """Time every call on every argument, rotating which goes first; microseconds."""
    names = list(calls)
    for arg in args[:warmup]:
        for name in names:
            calls[name](arg)
    samples: dict[str, list[float]] = {name: [] for name in names}
    clock = time.perf_counter_ns
    for i, arg in enumerate(args):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            call = calls[name]
            start = clock()
            call(arg)
            samples[name].append((clock() - start) / 1000)
    return {name: summary(values) for name, values in samples.items()}


# Where the core's time goes: cumulative time of the functions that open and close the unit of
# work, that run the statement and decode its row (SQLAlchemy's execute and Result.first before
# the read path was rebuilt, the driver lookup of link.py after), and that build the model.
BUCKETS = {
    "unit of work enter/exit": [("storage.py", "__enter__"), ("storage.py", "__exit__")],
    "execute and decode the row": [
        ("base.py", "execute"),
        ("result.py", "first"),
        ("link.py", "first"),
    ],
    "build the model": [
        ("movies.py", "_movie"),
        ("auth.py", "_user"),
        ("main.py", "model_validate"),
    ],
}


def profiled(call: Callable[[Any], object], args: Sequence[Any], top: int) -> dict[str, Any]:
    """cProfile ``call`` over ``args``: the buckets' shares and the costliest functions."""
    profile = cProfile.Profile()
    profile.enable()
    for arg in args:
        call(arg)
    profile.disable()
    stats = pstats.Stats(profile)
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = max(cum for (_cc, _nc, _tt, cum, _callers) in entries.values())
    shares = {}
    for bucket, wanted in BUCKETS.items():
        spent = 0.0
        for (filename, _line, function), (_cc, _nc, _tt, cum, _callers) in entries.items():
            if any(filename.endswith(f"/{f}") and function == fn for f, fn in wanted):
                spent += cum
        shares[bucket] = round(100 * spent / total, 1)
    ordered = sorted(entries.items(), key=lambda item: item[1][3], reverse=True)
    costly = [
        {
            "function": f"{Path(filename).name}:{line}({function})",
            "cumulative_pct": round(100 * cum / total, 1),
            "own_pct": round(100 * tt / total, 1),
        }
        for (filename, line, function), (_cc, _nc, tt, cum, _callers) in ordered[:top]
    ]
    return {"shares_pct": shares, "top": costly}


def check_equal(core_call: Callable[[Any], object], hand_call: Callable[[Any], object], args: Any):
    """The two sides return equal models (the benchmark compares like with like)."""
    for arg in args:
        ours, theirs = core_call(arg), hand_call(arg)
        assert ours == theirs, f"core and hand-written differ for {arg!r}: {ours!r} != {theirs!r}"


def run_backend(
    backend: str, core: StreamCore, data: Seeded, hands: dict[str, Hand], args: argparse.Namespace
) -> list[Case]:
    """Both cases on one backend."""
    rng = random.Random(SEED + 1)
    ids = [rng.randint(1, data.movie_count) for _ in range(args.reps)]
    issued = [rng.choice(data.issued) for _ in range(args.reps)]
    warmup = max(50, args.reps // 10)

    def core_get(movie_id: int) -> Movie:
        return core.movies.get(movie_id, actor=SYSTEM)

    def core_auth(token: str) -> User:
        return core.auth.authenticate(token)

    cases = []
    plans: list[tuple[str, Callable[[Any], object], list[Any], str]] = [
        ("movies.get", core_get, ids, "movie"),
        ("authenticate", core_auth, issued, "user"),
    ]
    for name, core_call, case_args, method in plans:
        for hand in hands.values():
            check_equal(core_call, getattr(hand, method), case_args[:200])
        calls: dict[str, Callable[[Any], object]] = {"core": core_call}
        calls |= {label: getattr(hand, method) for label, hand in hands.items()}
        if name == "movies.get" and backend == "sqlite":
            calls["sqlite3 SELECT alone (no model)"] = hands["sqlite3"].movie_sql_only
        case = Case(backend, name, interleaved(calls, case_args, warmup))
        if args.profile:
            case.profile = profiled(core_call, case_args[: args.profile_calls], args.top)
        cases.append(case)
        log(describe(case))
    return cases


def describe(case: Case) -> str:
    """A few lines of one case's figures."""
    lines = [f"{case.backend:10s} {case.name}"]
    for side, figures in case.sides.items():
        ratio = "" if side == "core" else f"   core / this: {case.ratio(side):5.2f}x median"
        ratio += "" if side == "core" else f", {case.ratio(side, 'p99_us'):5.2f}x p99"
        lines.append(
            f"  {side:34s} median {figures['median_us']:8.1f} us   p99 {figures['p99_us']:8.1f} us"
            + ratio
        )
    if case.profile:
        shares = ", ".join(f"{k} {v}%" for k, v in case.profile["shares_pct"].items())
        lines.append(f"  profile: {shares}")
        for entry in case.profile["top"]:
            lines.append(
                f"    {entry['cumulative_pct']:5.1f}% cum {entry['own_pct']:5.1f}% own"
                f"  {entry['function']}"
            )
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine_info() -> dict[str, Any]:
    """Where and when the figures were made."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "loadavg_start": load_average(),
        "commit": git_commit(),
    }


def main(argv: list[str] | None = None) -> int:
    """Seed, measure every case on every backend, print the figures (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3000, help="timed calls per side and case")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("STREAMCORE_BENCH_POSTGRES_URL"),
        help="a PostgreSQL database the benchmark may empty (default: "
        "$STREAMCORE_BENCH_POSTGRES_URL; none: SQLite only)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the core's side")
    parser.add_argument("--profile-calls", type=int, default=3000)
    parser.add_argument("--top", type=int, default=14, help="functions listed per profile")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    args = parser.parse_args(argv)

    info = machine_info()
    log(f"{info['date']}  commit {info['commit']}  load {info['loadavg_start']}")
    cases: list[Case] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "read.db"
        with StreamCore.open(f"sqlite:///{path}") as core:
            started = time.perf_counter()
            data = seed(core, args.movies, args.users)
            log(f"seeded SQLite in {time.perf_counter() - started:.1f} s")
            cases += run_backend("sqlite", core, data, {"sqlite3": sqlite_hand(path)}, args)
    if args.postgres_url:
        from streamcore.storage.sql.engine import make_engine
        from streamcore.storage.sql.migrate import upgrade

        engine = make_engine(args.postgres_url)
        upgrade(engine)
        engine.dispose()
        with StreamCore.open(args.postgres_url) as core:
            started = time.perf_counter()
            data = seed(core, args.movies, args.users)
            log(f"seeded PostgreSQL in {time.perf_counter() - started:.1f} s")
            hands = {
                "psycopg, READ ONLY transaction": postgres_hand(
                    args.postgres_url, transaction=True
                ),
                "psycopg, autocommit": postgres_hand(args.postgres_url, transaction=False),
            }
            cases += run_backend("postgresql", core, data, hands, args)
    info["loadavg_end"] = load_average()
    log(f"load at the end {info['loadavg_end']}")
    for case in cases:
        if case.backend == "sqlite" and case.name == "movies.get":
            ratio = case.ratio("sqlite3")
            verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
            log(f"target: movies.get on SQLite within {TARGET_RATIO}x: {ratio:.2f}x, {verdict}")
    if args.json:
        out = {
            "info": info,
            "movies": args.movies,
            "users": args.users,
            "reps": args.reps,
            "cases": [case.__dict__ for case in cases],
        }
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
