"""End-to-end fixtures: a real server process per test (SQLite file in the test's directory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import LiveServer, start_server


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """``streamcore serve`` on a fresh SQLite file; stopped by PID after the test."""
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()
