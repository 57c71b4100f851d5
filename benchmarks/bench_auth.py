"""Benchmarks of auth on SQLite: authenticating a bearer token, and the cost of one login.

    .venv/bin/python benchmarks/bench_auth.py [--users 100000] [--reps 2000] [--json]

A fresh SQLite file gets ``--users`` users and one live token each (written in bulk through the
storage layer, with a fixed fake hash: only the token lookup is measured there). Then:

``authenticate``  ``core.auth.authenticate(token)`` for random tokens (target <= 0.3 ms median).
``login``         ``core.auth.login`` with the production argon2id parameters: one verify plus
                  two short transactions; also a failed login and an unknown email, which should
                  cost about the same (the dummy-hash verify).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamcore import StreamCore
from streamcore.auth.models import Credentials, UserCreate
from streamcore.auth.passwords import PRODUCTION, Argon2Hasher
from streamcore.auth.repository import user_search_key
from streamcore.auth.service import token_digest
from streamcore.storage.sql.bulk import insert_rows
from streamcore.storage.sql.schema import tokens, users
from streamcore.storage.sql.storage import SqlStorage

SEED = 20261127
FAKE_HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"


def seed(core: StreamCore, count: int) -> list[str]:
    """``count`` users with one live token each, inserted in bulk; returns the tokens."""
    assert isinstance(core.storage, SqlStorage)
    now = datetime.now(UTC)
    rng = random.Random(SEED)
    issued = [f"bench-token-{i}-{rng.getrandbits(128):032x}" for i in range(count)]
    user_rows = [
        {
            "email": f"user{i}@example.org",
            "name": f"User {i}",
            "search_key": user_search_key(f"user{i}@example.org", f"User {i}"),
            "role": "subscriber",
            "password_hash": FAKE_HASH,
            "is_active": True,
            "notify_new_movies": True,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        for i in range(count)
    ]
    with core.storage.engine.begin() as conn:
        insert_rows(conn, users, user_rows)
        first = conn.exec_driver_sql("SELECT min(id) FROM users").scalar() or 1
        insert_rows(
            conn,
            tokens,
            [
                {
                    "digest": token_digest(token),
                    "user_id": first + i,
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                }
                for i, token in enumerate(issued)
            ],
        )
    return issued


def timed(call: object, reps: int) -> list[float]:
    """Wall times in ms of ``reps`` calls (after a warm-up of a tenth as many)."""
    assert callable(call)
    for _ in range(max(1, reps // 10)):
        call()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    """Median and p95 in ms."""
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 4),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 4),
        "n": len(ordered),
    }


def main() -> None:
    """Run both measurements and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--logins", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'auth.db'}"
        with StreamCore.open(url, hasher=Argon2Hasher(PRODUCTION)) as core:
            started = time.perf_counter()
            issued = seed(core, args.users)
            seeded_s = time.perf_counter() - started
            rng = random.Random(SEED)
            auth = summary(timed(lambda: core.auth.authenticate(rng.choice(issued)), args.reps))

            password = "correct horse battery staple"
            email = "bench-login@example.org"
            core.auth.create_user(UserCreate(email=email, password=password, name="Bench"))
            good = Credentials(email=email, password=password)
            login = summary(timed(lambda: core.auth.login(good), args.logins))

            def fail(who: str) -> None:
                try:
                    core.auth.login(Credentials(email=who, password="wrong password"))
                except Exception:
                    return

            core.auth.purge_expired()
            wrong = summary(timed(lambda: fail(f"w{rng.random()}@example.org"), args.logins))
            unknown_email = summary(timed(lambda: fail(f"n{rng.random()}@example.org"), 4))

    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        "users_and_tokens": args.users,
        "seed_seconds": round(seeded_s, 2),
        "authenticate": auth | {"target_ms": 0.3},
        "login_production_argon2": login,
        "failed_login_unknown_email": wrong,
        "failed_login_unknown_email_again": unknown_email,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['date']}  {result['machine']}  {args.users:,} users + tokens")
    verdict = "PASS" if auth["median_ms"] <= 0.3 else "MISS"
    print(
        f"authenticate(token)         median {auth['median_ms']:.3f} ms"
        f"  p95 {auth['p95_ms']:.3f} ms  (target <= 0.3 ms: {verdict})"
    )
    print(
        f"login, production argon2id  median {login['median_ms']:.0f} ms"
        f"  p95 {login['p95_ms']:.0f} ms"
    )
    print(f"failed login, unknown email median {wrong['median_ms']:.0f} ms")


if __name__ == "__main__":
    main()
