"""End-to-end fixtures: a real server process per test (SQLite file in the test's directory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from tests.e2e.server import LiveServer, start_server

EDITOR_PASSWORD = "correct horse battery"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """``streamcore serve`` on a fresh SQLite file; stopped by PID after the test."""
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def upload_server(tmp_path: Path) -> Iterator[tuple[LiveServer, int, str]]:
    """``streamcore serve``, a movie without media on it, and an editor's bearer token."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'streamcore.db'}")
    with StreamCore.open(settings) as core:
        core.auth.create_user(
            UserCreate(
                email="ed@example.com", password=EDITOR_PASSWORD, name="Ed", role=Role.EDITOR
            ),
            actor=SYSTEM,
        )
        movie = core.movies.create(MovieCreate(title="Up", year=2020), actor=SYSTEM)
    live = start_server(tmp_path)  # its media root: ./media, in tmp_path
    try:
        with live.client() as http:
            login = http.post(
                "/api/auth/login", json={"email": "ed@example.com", "password": EDITOR_PASSWORD}
            )
        yield live, movie.id, login.json()["access_token"]
    finally:
        live.stop()
