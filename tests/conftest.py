"""Shared fixtures: a controllable clock, and a core on every storage backend.

``backend`` runs a test once per backend: ``memory``, ``sqlite`` (a fresh file) and
``postgres`` (when ``STREAMCORE_TEST_POSTGRES_URL`` is set; otherwise skipped). PostgreSQL is
migrated once per session and emptied before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from streamcore import StreamCore
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.config import Settings

POSTGRES_ENV = "STREAMCORE_TEST_POSTGRES_URL"
BACKENDS = ("memory", "sqlite", "postgres")


@dataclass
class FakeClock:
    """A clock tests move by hand; starts at a fixed, timezone-aware instant."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 15, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A migrated PostgreSQL database, or a skip when none is configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    from streamcore.storage.sql.engine import make_engine
    from streamcore.storage.sql.migrate import upgrade

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    engine.dispose()
    return url


def empty_postgres(url: str) -> None:
    """Remove every row (and reset ids) so each test starts from an empty database."""
    from streamcore.storage.sql.engine import make_engine
    from streamcore.storage.sql.schema import metadata

    engine = make_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each backend."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'streamcore.db'}"
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of a new SQLite file."""
    return f"sqlite:///{tmp_path / 'streamcore.db'}"


@pytest.fixture
def core(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[StreamCore]:
    """An opened core on each backend, with the test's clock and the cheapest argon2id."""
    settings = Settings(database_url=database_url, media_root=tmp_path / "media")
    with StreamCore.open(settings, clock=clock, hasher=Argon2Hasher(CHEAPEST)) as opened:
        yield opened
