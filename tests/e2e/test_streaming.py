"""Streaming through a real ``streamcore serve``: a few MB, whole and by range, over HTTP."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from tests.e2e.server import LiveServer, start_server

SIZE = 5 * 1024 * 1024 + 321
BIG = 256 * 1024 * 1024
"""A sparse file no socket buffer holds whole: a client hanging up finds it still streaming."""
CONTENT = random.Random(10).randbytes(SIZE)
PASSWORD = "correct horse battery"


@pytest.fixture
def server_with_a_film(tmp_path: Path) -> Iterator[tuple[LiveServer, int]]:
    """A server whose database holds an editor, a movie with a media file, and a big one."""
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "film.webm").write_bytes(CONTENT)
    with (tmp_path / "media" / "big.webm").open("wb") as big:
        big.truncate(BIG)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'streamcore.db'}")
    with StreamCore.open(settings) as core:
        core.auth.create_user(
            UserCreate(email="ed@example.com", password=PASSWORD, name="Ed", role=Role.EDITOR),
            actor=SYSTEM,
        )
        movie = core.movies.create(
            MovieCreate(title="Film", year=2020, media_path="film.webm"), actor=SYSTEM
        )
        core.movies.create(MovieCreate(title="Big", year=2020, media_path="big.webm"), actor=SYSTEM)
    server = start_server(tmp_path)  # its media root: ./media, in tmp_path
    try:
        yield server, movie.id
    finally:
        server.stop()


def test_a_range_and_the_whole_file_over_http(server_with_a_film: tuple[LiveServer, int]) -> None:
    server, movie_id = server_with_a_film
    with server.client() as http:
        login = http.post("/api/auth/login", json={"email": "ed@example.com", "password": PASSWORD})
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        url = f"/api/movie/{movie_id}/stream"
        start, end = 1_000_000, 3_500_000
        ranged = http.get(url, headers={"Range": f"bytes={start}-{end}"})
        assert ranged.status_code == 206
        assert ranged.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
        assert ranged.content == CONTENT[start : end + 1]
        received = bytearray()
        with http.stream("GET", url) as whole:
            assert whole.status_code == 200
            assert whole.headers["content-type"] == "video/webm"
            assert whole.headers["content-length"] == str(SIZE)
            for chunk in whole.iter_raw(1024 * 1024):
                received += chunk
        assert bytes(received) == CONTENT
        etag = whole.headers["etag"]
        assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
        refused = http.get(url, headers={"Range": f"bytes={SIZE}-"})
        assert refused.status_code == 416
        assert refused.headers["content-range"] == f"bytes */{SIZE}"
        assert refused.headers["content-type"] == "application/problem+json"


def open_media_files(server: LiveServer, name: str) -> list[str]:
    """The server's open descriptors that point at a file called ``name``."""
    fds = Path(f"/proc/{server.process.pid}/fd")
    found = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed while we looked
            continue
        if target.endswith(name):
            found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_client_that_hangs_up_mid_stream_leaves_no_file_open(
    server_with_a_film: tuple[LiveServer, int],
) -> None:
    server, movie_id = server_with_a_film
    with server.client() as http:
        login = http.post("/api/auth/login", json={"email": "ed@example.com", "password": PASSWORD})
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        with http.stream("GET", f"/api/movie/{movie_id + 1}/stream") as answer:
            assert answer.status_code == 200
            assert answer.headers["content-length"] == str(BIG)
            next(answer.iter_raw(64 * 1024))
            assert open_media_files(server, "big.webm")  # held while it streams
    deadline = time.monotonic() + 10
    while open_media_files(server, "big.webm") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_media_files(server, "big.webm") == []
