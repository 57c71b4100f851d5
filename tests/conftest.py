"""Shared fixtures: a controllable clock, and a core on every storage backend.

``backend`` runs a test once per backend: ``memory``, ``sqlite`` (a fresh file) and
``postgres`` (when ``STREAMCORE_TEST_POSTGRES_URL`` is set; otherwise skipped). PostgreSQL is
migrated once per session and emptied before each test.

The suite runs in parallel by default (pytest-xdist, one worker per CPU; see
``pytest_cmdline_main``). Each worker has its own PostgreSQL database, ``<name>_gw0``,
``<name>_gw1``..., made from the configured one's server at the start and dropped at the end,
so the workers never empty or migrate each other's database. ``-n 0`` or ``-p no:xdist`` runs
the suite in one process (``--pdb`` does too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from streamcore import StreamCore
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.config import Settings

pytest_plugins = ["tests.browser"]  # the web player's browser and page fixtures

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


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """``python -m pytest`` runs on every CPU (``-n auto``) unless ``-n`` or ``--pdb`` says no.

    In ``addopts`` the option would break ``-p no:xdist`` (an unknown ``-n``); here it applies
    only when xdist is loaded, and before xdist reads it (both run first; conftest's first).
    """
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return
    if config.option.numprocesses is None and not config.getoption("usepdb", False):
        config.option.numprocesses = "auto"
        if config.option.dist == "no":
            config.option.dist = "loadgroup"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database (this xdist worker's own), or a skip when none is set."""
    configured = os.environ.get(POSTGRES_ENV)
    if not configured:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    from streamcore.storage.sql.engine import make_engine
    from streamcore.storage.sql.migrate import upgrade

    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1...; unset without xdist
    url = _worker_database(configured, worker) if worker else configured
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    engine.dispose()
    yield url
    if worker:
        _drop_database(configured, url)


def _worker_database(configured: str, worker: str) -> str:
    """Create (afresh) the database of one xdist worker on the configured server; its URL."""
    base = sa.make_url(configured)
    name = f"{base.database}_{worker}"
    with _server(configured) as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {_quoted(name)}")
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(configured: str, url: str) -> None:
    with _server(configured) as conn:
        conn.exec_driver_sql(
            f"DROP DATABASE IF EXISTS {_quoted(sa.make_url(url).database or '')} WITH (FORCE)"
        )


@contextmanager
def _server(configured: str) -> Iterator[sa.Connection]:
    """An autocommit connection to the server's ``postgres`` database (CREATE DATABASE)."""
    from streamcore.storage.sql.engine import make_engine

    admin_url = sa.make_url(configured).set(database="postgres")
    engine = make_engine(admin_url.render_as_string(hide_password=False))
    try:
        with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
