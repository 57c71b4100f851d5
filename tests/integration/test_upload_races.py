"""Two uploads to one movie at the same instant, in real threads (SPEC §3.5, decision 180).

Each repetition starts two ``core.media.attach`` calls of different bodies together. Both
finish; the movie then points to one of the two files, that file is complete (its SHA-256 is
the one its upload answered), what playback opens is exactly those bytes, and no temporary
file is left behind.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from streamcore.movies.upload import UPLOAD_DIR, AttachedMedia
from tests.integration.races import run_together

REPEAT = 8
CHUNK = 64 * 1024
CHUNKS = 16  # 1 MiB a body
PAUSE = 0.001  # between chunks: the two writes overlap, as two clients' uploads do


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def racing_core(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StreamCore]:
    """One core, its units of work on separate connections, its media root in ``tmp_path``."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'streamcore.db'}"
    else:
        from tests.conftest import empty_postgres

        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    settings = Settings(database_url=url, media_root=tmp_path / "media")
    with StreamCore.open(settings, hasher=Argon2Hasher(CHEAPEST)) as core:
        yield core


class Paced:
    """``body`` in the pieces a server would receive it in, a little apart as from a network;
    when the first and the last piece were taken (so a test can tell the uploads overlapped)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.span = (0.0, 0.0)

    def __iter__(self) -> Iterator[bytes]:
        began = time.monotonic()
        for start in range(0, len(self.body), CHUNK):
            yield self.body[start : start + CHUNK]
            time.sleep(PAUSE)
        self.span = (began, time.monotonic())


@pytest.mark.slow
def test_two_uploads_at_once_leave_one_whole_file_that_plays(racing_core: StreamCore) -> None:
    core = racing_core
    root = core.settings.media_root
    movie_id = core.movies.create(MovieCreate(title="Raced", year=2024), actor=SYSTEM).id
    overlapped = 0
    for _ in range(REPEAT):
        bodies = [os.urandom(CHUNK * CHUNKS), os.urandom(CHUNK * CHUNKS)]
        streams = [Paced(body) for body in bodies]
        results = run_together(
            [partial(core.media.attach, movie_id, s, suffix=".mp4", actor=SYSTEM) for s in streams]
        )
        (a0, a1), (b0, b1) = (stream.span for stream in streams)
        overlapped += a0 < b1 and b0 < a1
        assert all(isinstance(r, AttachedMedia) for r in results), results
        digests = [hashlib.sha256(body).hexdigest() for body in bodies]
        assert [(r.size, r.sha256) for r in results] == [
            (len(b), d) for b, d in zip(bodies, digests, strict=True)
        ]
        paths = [r.movie.media_path for r in results]
        assert len(set(paths)) == 2  # a name per content: neither overwrote the other
        current = core.movies.get(movie_id, actor=SYSTEM).media_path
        assert current is not None
        assert current in paths
        winner = paths.index(current)
        assert hashlib.sha256((root / current).read_bytes()).hexdigest() == digests[winner]
        with core.playback.open(movie_id, actor=SYSTEM).open() as played:
            assert played.read() == bodies[winner]
        for path, body in zip(paths, bodies, strict=True):
            assert (root / str(path)).read_bytes() == body  # the other one stays whole (181)
        assert list((root / UPLOAD_DIR).iterdir()) == []
    assert overlapped > 0, "the uploads never overlapped: nothing was raced"
