"""Benchmarks of entitlement and payments on SQLite: may_watch, watchable, record_payment.

    .venv/bin/python benchmarks/bench_entitlement.py [--movies 100000] [--plans 10]
        [--plan-size 50000] [--users 100000] [--reps 1000] [--budget 10] [--sql] [--json]
        [--keep]

A fresh SQLite file in a temporary directory gets, in one transaction written in bulk through
the storage layer (``insert_rows`` on the schema's tables, as ``bench_auth.py`` does):
``--movies`` live movies with 1-3 weighted genres (``drama`` in about a third), ``--plans``
plans (monthly, the last two yearly) of ``--plan-size`` movies each, drawn at random from a
fixed seed (``plan_movies.live`` is the movie's live flag: all True), and ``--users`` users:
1 % staff (admins and editors, who may watch everything), the rest subscribers with one
subscription each on a random plan, 80 % paid and active, 5 % each pending (never paid), past
due (in the grace period), canceled but paid, and expired; every paid subscription has the
payment that paid it. Then, in process with ``StreamCore.open(url)``:

``may_watch``      ``core.entitlements.may_watch(user_id, movie_id)`` for random pairs of all
                   users and movies (target <= 1 ms median); the True/False mix is reported
                   and every answer is checked against the seeded data.
``watchable``      the first page of ``core.entitlements.watchable(user_id)`` for random active
                   subscribers (target <= 10 ms median); with ``genre=drama`` and with
                   ``sort=-year`` for information (10 ms shown as a yardstick).
``record_payment`` ``core.subscriptions.record_payment(sub_id, PaymentCreate(...))`` with a new
                   reference on a random active subscription (target <= 5 ms median), and the
                   replay of a known reference (returns the first payment; information).

Each case warms up, then runs up to ``--reps`` timed calls (stopping after ``--budget``
seconds once it has 20). Where a case is slower than its target or yardstick (every case with
``--sql``), its SQL is broken down: each call's statements are captured with a
``before_cursor_execute`` listener on ``core.storage.engine`` and replayed at once with the
``sqlite3`` module on a connection of its own (inside BEGIN ... COMMIT, BEGIN IMMEDIATE for
writes; a replayed payment gets a fresh reference), timed statement by statement in the same
loop as the calls, so ``call = SQL + rest`` is measured under one machine load; each
statement's ``EXPLAIN QUERY PLAN`` is printed. ``--keep`` leaves the database behind (in WAL
mode: open it with ``sqlite3``, e.g. to try other SQL). The machine is usually shared: run it
twice and compare medians.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from support import captured_sql, git_commit, load_average

from streamcore import StreamCore
from streamcore.auth.repository import user_search_key
from streamcore.movies.models import MovieQuery
from streamcore.movies.repository import title_key
from streamcore.storage.sql.bulk import insert_rows
from streamcore.storage.sql.schema import (
    movie_genres,
    movies,
    payments,
    plan_movies,
    plans,
    subscriptions,
    users,
)
from streamcore.storage.sql.storage import SqlStorage
from streamcore.subscriptions.models import PaymentCreate
from streamcore.subscriptions.periods import add_months

SEED = 20261128
FAKE_HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"

MAY_WATCH_MAX_MS = 1.0
WATCHABLE_MAX_MS = 10.0
PAYMENT_MAX_MS = 5.0

GENRES = {
    "drama": 30,
    "comedy": 22,
    "thriller": 14,
    "action": 14,
    "romance": 10,
    "documentary": 9,
    "horror": 8,
    "crime": 8,
    "animation": 5,
    "western": 0.5,
}
COMMON_GENRE = "drama"
STATUS_MIX = {"active": 80, "pending": 5, "past_due": 5, "canceled_paid": 5, "expired": 5}
WATCHING = {"active", "past_due", "canceled_paid"}
STAFF_SHARE = 0.01  # half admins, half editors: no subscription, may watch every live movie
CURRENCY = "EUR"


# --------------------------------------------------------------------------- data


@dataclass
class Subscriber:
    """A seeded subscriber and its one subscription."""

    user_id: int
    subscription_id: int
    plan: int  # index into Seeded.plan_ids
    status: str
    reference: str | None  # the seeded payment's reference (None: pending)


@dataclass
class Seeded:
    """What the seed wrote, for choosing inputs and checking answers."""

    movie_ids: list[int]
    plan_ids: list[int]
    plan_prices: list[Decimal]
    plan_members: list[set[int]]
    staff: list[int]
    subscribers: list[Subscriber]
    counts: dict[str, int]
    by_user: dict[int, Subscriber] = field(init=False)
    staff_set: set[int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_user = {s.user_id: s for s in self.subscribers}
        self.staff_set = set(self.staff)

    def expected(self, user_id: int, movie_id: int) -> bool:
        """The answer SPEC §3.3 gives for the seeded data."""
        if user_id in self.staff_set:
            return True
        sub = self.by_user[user_id]
        return sub.status in WATCHING and movie_id in self.plan_members[sub.plan]


def seed(core: StreamCore, args: argparse.Namespace) -> Seeded:
    """Write the whole data set in one transaction through ``insert_rows``."""
    assert isinstance(core.storage, SqlStorage)
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=400)
    grace = timedelta(days=core.settings.grace_days)
    genre_names, genre_weights = list(GENRES), list(GENRES.values())

    movie_rows: list[dict[str, Any]] = []
    movie_tags: list[list[str]] = []
    for i in range(args.movies):
        wanted = rng.randint(1, 3)
        tags: list[str] = []
        while len(tags) < wanted:
            genre = rng.choices(genre_names, genre_weights)[0]
            if genre not in tags:
                tags.append(genre)
        title = f"Movie {i:06d}"
        movie_rows.append(
            {
                "title": title,
                "title_key": title_key(title),
                "description": "",
                "year": rng.randint(1920, 2025),
                "duration_minutes": rng.randint(60, 200),
                "genres": tags,
                "countries": [],
                "media_path": None,
                "created_at": long_ago,
                "updated_at": long_ago,
                "deleted_at": None,
            }
        )
        movie_tags.append(tags)

    with core.storage.engine.begin() as conn:
        insert_rows(conn, movies, movie_rows)
        first_movie = conn.exec_driver_sql("SELECT min(id) FROM movies").scalar() or 1
        movie_ids = [first_movie + i for i in range(args.movies)]
        live = {
            movie_id: row["deleted_at"] is None
            for movie_id, row in zip(movie_ids, movie_rows, strict=True)
        }
        insert_rows(
            conn,
            movie_genres,
            [
                {"movie_id": movie_id, "genre": genre, "live": live[movie_id]}
                for movie_id, tags in zip(movie_ids, movie_tags, strict=True)
                for genre in tags
            ],
        )
        del movie_rows

        prices = [Decimal(f"{7 + p}.99") for p in range(args.plans)]
        periods = [
            "year" if p >= args.plans - 2 and args.plans > 2 else "month" for p in range(args.plans)
        ]
        insert_rows(
            conn,
            plans,
            [
                {
                    "name": f"Plan {p + 1}",
                    "name_key": f"plan {p + 1}",
                    "description": "",
                    "price_cents": int(prices[p] * 100),
                    "currency": CURRENCY,
                    "period": periods[p],
                    "includes_new_movies": False,
                    "is_active": True,
                    "created_at": long_ago,
                    "updated_at": long_ago,
                    "deleted_at": None,
                }
                for p in range(args.plans)
            ],
        )
        first_plan = conn.exec_driver_sql("SELECT min(id) FROM plans").scalar() or 1
        plan_ids = [first_plan + p for p in range(args.plans)]
        members: list[set[int]] = []
        for plan_id in plan_ids:
            chosen = sorted(rng.sample(movie_ids, args.plan_size))
            members.append(set(chosen))
            insert_rows(
                conn,
                plan_movies,
                [{"plan_id": plan_id, "movie_id": m, "live": live[m]} for m in chosen],
            )

        user_rows: list[dict[str, Any]] = []
        roles: list[str] = []
        for i in range(args.users):
            draw = rng.random()
            role = (
                "subscriber"
                if draw >= STAFF_SHARE
                else ("admin", "editor")[draw * 2 >= STAFF_SHARE]
            )
            roles.append(role)
            email, name = f"user{i}@example.org", f"User {i}"
            user_rows.append(
                {
                    "email": email,
                    "name": name,
                    "search_key": user_search_key(email, name),
                    "role": role,
                    "password_hash": FAKE_HASH,
                    "is_active": True,
                    "notify_new_movies": False,
                    "created_at": long_ago,
                    "updated_at": long_ago,
                    "deleted_at": None,
                }
            )
        insert_rows(conn, users, user_rows)
        del user_rows
        first_user = conn.exec_driver_sql("SELECT min(id) FROM users").scalar() or 1
        user_ids = [first_user + i for i in range(args.users)]
        staff = [u for u, role in zip(user_ids, roles, strict=True) if role != "subscriber"]

        statuses, weights = list(STATUS_MIX), list(STATUS_MIX.values())
        sub_rows: list[dict[str, Any]] = []
        pending_subs: list[tuple[int, int, str]] = []  # (user_id, plan index, status)
        for user_id, role in zip(user_ids, roles, strict=True):
            if role != "subscriber":
                continue
            plan = rng.randrange(args.plans)
            status = rng.choices(statuses, weights)[0]
            paid_until, canceled_at = _times(status, now, grace, rng)
            sub_rows.append(
                {
                    "user_id": user_id,
                    "plan_id": plan_ids[plan],
                    "paid_until": paid_until,
                    "canceled_at": canceled_at,
                    "closed_at": None,
                    "created_at": long_ago,
                    "updated_at": canceled_at or long_ago,
                }
            )
            pending_subs.append((user_id, plan, status))
        insert_rows(conn, subscriptions, sub_rows)
        first_sub = conn.exec_driver_sql("SELECT min(id) FROM subscriptions").scalar() or 1

        subscribers: list[Subscriber] = []
        payment_rows: list[dict[str, Any]] = []
        for i, ((user_id, plan, status), row) in enumerate(
            zip(pending_subs, sub_rows, strict=True)
        ):
            sub_id = first_sub + i
            reference = None
            if row["paid_until"] is not None:
                reference = f"seed-{sub_id}"
                start = add_months(row["paid_until"], -(12 if periods[plan] == "year" else 1))
                payment_rows.append(
                    {
                        "subscription_id": sub_id,
                        "amount_cents": int(prices[plan] * 100),
                        "currency": CURRENCY,
                        "reference": reference,
                        "paid_at": start,
                        "period_start": start,
                        "period_end": row["paid_until"],
                    }
                )
            subscribers.append(Subscriber(user_id, sub_id, plan, status, reference))
        insert_rows(conn, payments, payment_rows)

    counts = {
        "movies": args.movies,
        "movie_genres": sum(len(t) for t in movie_tags),
        "plans": args.plans,
        "plan_movies": args.plans * args.plan_size,
        "users": args.users,
        "staff": len(staff),
        "subscriptions": len(subscribers),
        "payments": len(payment_rows),
        **{f"status_{s}": sum(sub.status == s for sub in subscribers) for s in STATUS_MIX},
        "common_genre_movies": sum(COMMON_GENRE in t for t in movie_tags),
    }
    return Seeded(
        movie_ids=movie_ids,
        plan_ids=plan_ids,
        plan_prices=prices,
        plan_members=members,
        staff=staff,
        subscribers=subscribers,
        counts=counts,
    )


def _times(
    status: str, now: datetime, grace: timedelta, rng: random.Random
) -> tuple[datetime | None, datetime | None]:
    """(paid_until, canceled_at) for a status, at least two hours from any boundary."""
    hours = timedelta(hours=1)
    if status == "pending":
        return None, None
    if status == "active":
        return now + rng.uniform(2, 30 * 24) * hours, None
    if status == "past_due":
        return now - rng.uniform(2, grace / hours - 2) * hours, None
    if status == "canceled_paid":
        return now + rng.uniform(2, 30 * 24) * hours, now - rng.uniform(1, 20 * 24) * hours
    assert status == "expired"
    return now - grace - rng.uniform(2, 60 * 24) * hours, None


# --------------------------------------------------------------------------- timing


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples_ms: list[float]) -> dict[str, float]:
    """Median, p95 and min in ms, and the number of samples."""
    return {
        "median_ms": round(statistics.median(samples_ms), 4),
        "p95_ms": round(pct(samples_ms, 0.95), 4),
        "min_ms": round(min(samples_ms), 4),
        "n": len(samples_ms),
    }


def timed(
    call: Callable[[], object], *, reps: int, budget_s: float, warmup: int = 20
) -> tuple[list[float], list[object]]:
    """Wall times (ms) and answers of up to ``reps`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    gc.collect()
    samples: list[float] = []
    answers: list[object] = []
    started = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        answer = call()
        samples.append((time.perf_counter() - t0) * 1000)
        answers.append(answer)
        if len(samples) >= 20 and time.perf_counter() - started > budget_s:
            break
    return samples, answers


# --------------------------------------------------------------------------- SQL breakdown


def label_of(sql: str) -> str:
    """A short name for a statement: its verb, tables, and whether it counts."""
    text = " ".join(sql.split())
    verb = text.split(" ", 1)[0].upper()
    tables = list(dict.fromkeys(re.findall(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(\w+)", text, re.I)))
    extra = " count" if "count(" in text.lower() else ""
    return f"{verb}{extra} {'+'.join(tables)}"


def raw_connection(db: Path) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection set up like the engine's (streamcore.storage.sql.engine)."""
    raw = sqlite3.connect(db, isolation_level=None)
    for pragma in (
        "busy_timeout = 10000",
        "journal_mode = WAL",
        "synchronous = NORMAL",
        "foreign_keys = ON",
    ):
        raw.execute(f"PRAGMA {pragma}")
    return raw


def sql_breakdown(
    engine: Any,
    raw: sqlite3.Connection,
    make_call: Callable[[], Callable[[], object]],
    *,
    writes: bool,
    reps: int,
    budget_s: float,
) -> dict[str, Any]:
    """Time calls with their SQL captured, and each call's statements replayed at once.

    ``make_call`` gives a fresh call each time (a new input; for writes, a new reference).
    A replayed write runs in BEGIN IMMEDIATE ... COMMIT, its reference replaced by a fresh
    one; a read in BEGIN ... COMMIT, like the service's unit of work.
    """
    calls: list[float] = []
    sql_totals: list[float] = []
    per_statement: dict[str, list[float]] = {}
    first_seen: dict[str, tuple[str, tuple[Any, ...]]] = {}
    begin = "BEGIN IMMEDIATE" if writes else "BEGIN"
    started = time.perf_counter()
    for i in range(reps + 5):
        call = make_call()
        with captured_sql(engine) as statements:
            t0 = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - t0) * 1000
        if writes:
            statements = [(s, _fresh_reference(p, i)) for s, p in statements]
        total = 0.0
        steps = [(begin, begin, ()), *((label_of(s), s, p) for s, p in statements)]
        steps.append(("COMMIT", "COMMIT", ()))
        for label, sql, params in steps:
            t0 = time.perf_counter()
            raw.execute(sql, params).fetchall()
            spent = (time.perf_counter() - t0) * 1000
            if i >= 5:  # the first few warm the statement cache
                per_statement.setdefault(label, []).append(spent)
                first_seen.setdefault(label, (sql, params))
            total += spent
        if i >= 5:
            calls.append(elapsed)
            sql_totals.append(total)
            if len(calls) >= 20 and time.perf_counter() - started > budget_s:
                break
    statements_out = []
    for label, samples in per_statement.items():
        sql, params = first_seen[label]
        plan: list[str] = []
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        statements_out.append(
            {
                "label": label,
                "sql": " ".join(sql.split()),
                "params": [
                    p if p is None or isinstance(p, int | float) else str(p) for p in params
                ],
                "plan": plan,
                "per_call": len(samples) / len(calls),
                **summary(samples),
            }
        )
    call_median = statistics.median(calls)
    sql_median = statistics.median(sql_totals)
    return {
        "call": summary(calls),
        "sql_per_call": summary(sql_totals),
        "rest_median_ms": round(call_median - sql_median, 4),
        "statements": statements_out,
    }


def _fresh_reference(params: tuple[Any, ...], i: int) -> tuple[Any, ...]:
    return tuple(
        f"replay-{i}-{p}" if isinstance(p, str) and p.startswith("bench-") else p for p in params
    )


# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    import sqlalchemy

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "loadavg_start": load_average(),
        "commit": git_commit(),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One measurement: its samples, its target (or yardstick), and notes."""

    name: str
    stats: dict[str, float]
    target_ms: float
    targeted: bool  # False: information, the target only a yardstick
    notes: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    breakdown: dict[str, Any] | None = None

    @property
    def slow(self) -> bool:
        return self.stats["median_ms"] > self.target_ms

    @property
    def verdict(self) -> str:
        if not self.targeted:
            return "(info)"
        return "MISS" if self.slow else "PASS"


def run_cases(core: StreamCore, data: Seeded, args: argparse.Namespace) -> list[Case]:
    rng = random.Random(SEED + 1)
    cases: list[Case] = []
    all_users = data.staff + [s.user_id for s in data.subscribers]
    active = [s for s in data.subscribers if s.status == "active"]
    ents, subs = core.entitlements, core.subscriptions

    # may_watch: random pairs of every user and movie.
    pairs: list[tuple[int, int]] = []

    def may_watch() -> bool:
        pair = (rng.choice(all_users), rng.choice(data.movie_ids))
        pairs.append(pair)
        return ents.may_watch(*pair)

    log("may_watch ...")
    samples, answers = timed(may_watch, reps=args.reps, budget_s=args.budget)
    timed_pairs = pairs[-len(samples) :]
    wrong = sum(a != data.expected(u, m) for a, (u, m) in zip(answers, timed_pairs, strict=True))
    yes = [t for t, a in zip(samples, answers, strict=True) if a]
    no = [t for t, a in zip(samples, answers, strict=True) if not a]
    cases.append(
        Case(
            "may_watch(user, movie), random pairs",
            summary(samples),
            MAY_WATCH_MAX_MS,
            True,
            f"{len(yes)} True / {len(no)} False"
            f" ({len(yes) / len(samples):.0%} True; True median"
            f" {statistics.median(yes) if yes else 0:.3f} ms, False median"
            f" {statistics.median(no) if no else 0:.3f} ms); {wrong} wrong answers",
            {"true": len(yes), "false": len(no), "wrong": wrong},
        )
    )
    if wrong:
        sys.exit(f"may_watch gave {wrong} answers that contradict the seeded data")

    # watchable: the first page for random active subscribers.
    for label, fields in (
        ("", {}),
        (f", genre={COMMON_GENRE}", {"genre": COMMON_GENRE}),
        (", sort=-year", {"sort": "-year"}),
    ):
        query = MovieQuery(**fields)
        totals: list[int] = []
        bad = 0

        def watchable(query: MovieQuery = query, totals: list[int] = totals) -> object:
            nonlocal bad
            sub = rng.choice(active)
            page = ents.watchable(sub.user_id, query)
            totals.append(page.total)
            bad += sum(m.id not in data.plan_members[sub.plan] for m in page.items)
            bad += len(page.items) != min(query.limit, page.total)
            return page

        log(f"watchable{label} ...")
        samples, _ = timed(watchable, reps=args.reps, budget_s=args.budget)
        if bad:
            sys.exit(f"watchable{label} listed movies outside the user's plan")
        cases.append(
            Case(
                f"watchable(user) first page{label}",
                summary(samples),
                WATCHABLE_MAX_MS,
                not fields,
                f"total per user {min(totals):,}-{max(totals):,}",
                {"query": fields, "total_min": min(totals), "total_max": max(totals)},
            )
        )

    # record_payment: a new reference on a random active subscription, and a replay.
    counter = iter(range(10**9))
    run_tag = f"{time.time_ns():x}"

    def new_payment_call() -> Callable[[], object]:
        sub = rng.choice(active)
        data_ = PaymentCreate(
            amount=data.plan_prices[sub.plan],
            currency=CURRENCY,
            reference=f"bench-{run_tag}-{next(counter)}",
        )
        return lambda: subs.record_payment(sub.subscription_id, data_)

    log("record_payment ...")
    prepared = iter([new_payment_call() for _ in range(args.reps + 20)])  # models built first
    samples, results = timed(lambda: next(prepared)(), reps=args.reps, budget_s=args.budget)
    if not all(r.created for r in results):  # type: ignore[attr-defined]
        sys.exit("record_payment with a new reference did not record a payment")
    cases.append(
        Case(
            "record_payment(sub, new reference), active subscriptions",
            summary(samples),
            PAYMENT_MAX_MS,
            True,
            "one write transaction: 3 reads, INSERT payment, UPDATE subscription, COMMIT",
        )
    )
    known = next(s for s in active if s.reference)
    replay = PaymentCreate(
        amount=data.plan_prices[known.plan], currency=CURRENCY, reference=known.reference
    )

    def replay_payment() -> Callable[[], object]:
        return lambda: subs.record_payment(known.subscription_id, replay)

    log("record_payment replay ...")
    samples, results = timed(lambda: replay_payment()(), reps=args.reps, budget_s=args.budget)
    if any(r.created for r in results):  # type: ignore[attr-defined]
        sys.exit("a replayed reference recorded a second payment")
    cases.append(
        Case(
            "record_payment(sub, known reference): replay",
            summary(samples),
            PAYMENT_MAX_MS,
            False,
            "returns the first payment, created=False",
        )
    )

    # Where a case is slow (or with --sql, every case): its SQL alone, and the plans.
    def may_watch_call() -> Callable[[], object]:
        return functools.partial(ents.may_watch, rng.choice(all_users), rng.choice(data.movie_ids))

    def watchable_maker(query: MovieQuery) -> Callable[[], Callable[[], object]]:
        return lambda: functools.partial(ents.watchable, rng.choice(active).user_id, query)

    makers: dict[str, tuple[Callable[[], Callable[[], object]], bool]] = {
        cases[0].name: (may_watch_call, False),
    }
    for case in cases[1:4]:
        makers[case.name] = (watchable_maker(MovieQuery(**case.data["query"])), False)
    makers[cases[4].name] = (new_payment_call, True)
    makers[cases[5].name] = (replay_payment, True)  # a write unit of work that finds the ref
    engine = core.storage.engine  # type: ignore[attr-defined]
    raw = raw_connection(Path(engine.url.database))
    try:
        for case in cases:
            if not (args.sql or case.slow):
                continue
            log(f"SQL of {case.name} ...")
            make, writes = makers[case.name]
            case.breakdown = sql_breakdown(
                engine,
                raw,
                make,
                writes=writes,
                reps=min(args.reps, 300),
                budget_s=args.budget,
            )
    finally:
        raw.close()
    return cases


# --------------------------------------------------------------------------- report


def print_report(info: dict[str, Any], cases: list[Case], out: Any) -> None:
    counts = info["data"]
    print(
        f"\nstreamcore entitlement benchmark, {info['date']}, commit {info['commit']}: "
        f"{info['machine']}, {info['nproc']} CPUs, Python {info['python']}, "
        f"SQLite {info['sqlite']}, SQLAlchemy {info['sqlalchemy']}",
        file=out,
    )
    print(
        f"load average at start {info['loadavg_start']}, after seeding "
        f"{info['loadavg_seeded']}, at end {info['loadavg_end']}",
        file=out,
    )
    print(
        f"data: {counts['movies']:,} movies ({counts['common_genre_movies']:,} {COMMON_GENRE}), "
        f"{counts['plans']} plans x {counts['plan_movies'] // counts['plans']:,} movies, "
        f"{counts['users']:,} users ({counts['staff']:,} staff), "
        f"{counts['subscriptions']:,} subscriptions ("
        + ", ".join(f"{counts[f'status_{s}']:,} {s}" for s in STATUS_MIX)
        + f"), {counts['payments']:,} payments; seeded in {info['seed_seconds']:.1f} s\n",
        file=out,
    )
    rows = [
        (
            c.name,
            f"{c.stats['median_ms']:.3f} ms",
            f"{c.stats['p95_ms']:.3f} ms",
            str(int(c.stats["n"])),
            f"<= {c.target_ms:g} ms" if c.targeted else f"({c.target_ms:g} ms)",
            c.verdict,
        )
        for c in cases
    ]
    headers = ("measurement", "median", "p95", "n", "target", "")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row, case in zip(rows, cases, strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
        if case.notes:
            print(f"    {case.notes}", file=out)
    missed = [c.name for c in cases if c.targeted and c.slow]
    print(
        f"\n{sum(c.targeted and not c.slow for c in cases)} targets met, {len(missed)} missed"
        + (": " + "; ".join(missed) if missed else ""),
        file=out,
    )
    for case in cases:
        if case.breakdown is None:
            continue
        b = case.breakdown
        print(
            f"\n== {case.name}: SQL alone (sqlite3 replay, round-robin with "
            f"{b['call']['n']} observed calls)",
            file=out,
        )
        print(
            f"   call {b['call']['median_ms']:.3f} ms = SQL {b['sql_per_call']['median_ms']:.3f}"
            f" ms + rest {b['rest_median_ms']:.3f} ms (pool, SQLAlchemy, models, events)",
            file=out,
        )
        for s in b["statements"]:
            print(
                f"-- {s['label']}: median {s['median_ms']:.3f} ms, p95 {s['p95_ms']:.3f} ms"
                + (f", {s['per_call']:.2f} per call" if abs(s["per_call"] - 1) > 0.01 else ""),
                file=out,
            )
            if s["plan"] or s["label"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT"):
                print(f"   {s['sql']}", file=out)
                print(f"   params: {s['params']}", file=out)
            for step in s["plan"]:
                print(f"     | {step}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--plans", type=int, default=10)
    parser.add_argument("--plan-size", type=int, default=50_000, help="movies per plan")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=1000, help="most timed calls per case")
    parser.add_argument(
        "--budget", type=float, default=10.0, help="seconds per case before stopping early"
    )
    parser.add_argument(
        "--sql", action="store_true", help="break down the SQL of every case, not only slow ones"
    )
    parser.add_argument("--json", action="store_true", help="JSON on stdout (the table on stderr)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory and its database"
    )
    args = parser.parse_args(argv)
    if args.plan_size > args.movies or min(args.movies, args.plans, args.users) < 1:
        parser.error("need --movies, --plans, --users >= 1 and --plan-size <= --movies")
    if args.reps < 20:
        parser.error("--reps must be at least 20")

    info = machine_info()
    tmp = Path(tempfile.mkdtemp(prefix="streamcore-bench-"))
    try:
        url = f"sqlite:///{tmp / 'entitlement.db'}"
        with StreamCore.open(url) as core:
            log(
                f"seeding {args.movies:,} movies, {args.plans} plans x {args.plan_size:,}, "
                f"{args.users:,} users ..."
            )
            started = time.perf_counter()
            data = seed(core, args)
            info["seed_seconds"] = round(time.perf_counter() - started, 2)
            info["data"] = data.counts
            info["loadavg_seeded"] = load_average()
            cases = run_cases(core, data, args)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    info["loadavg_end"] = load_average()

    out = sys.stderr if args.json else sys.stdout
    print_report(info, cases, out)
    if args.json:
        document = {
            "machine": info,
            "args": vars(args),
            "results": [
                {
                    "name": c.name,
                    "target_ms": c.target_ms,
                    "verdict": c.verdict,
                    "notes": c.notes,
                    **c.stats,
                    **c.data,
                    "sql": c.breakdown,
                }
                for c in cases
            ],
        }
        json.dump(document, sys.stdout, indent=2, default=str)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
