"""Two clients ``PUT`` different files to one movie at the same instant, through a real server.

Repeated: both answer 200 with their own file's size and SHA-256, the movie then points to one
of the two, that file is whole, and the stream route serves exactly its bytes.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from streamcore.movies.upload import UPLOAD_DIR
from tests.e2e.server import LiveServer
from tests.integration.races import run_together

pytestmark = pytest.mark.slow

REPEAT = 5
CHUNK = 64 * 1024
CHUNKS = 32  # 2 MiB a body


def paced(body: bytes) -> Iterator[bytes]:
    """``body`` a chunk at a time, a little apart, so the two uploads overlap on the server."""
    for start in range(0, len(body), CHUNK):
        yield body[start : start + CHUNK]
        time.sleep(0.001)


def test_two_puts_at_once_leave_one_whole_file_that_streams(
    upload_server: tuple[LiveServer, int, str], tmp_path: Path
) -> None:
    live, movie_id, token = upload_server
    bearer = {"Authorization": f"Bearer {token}"}
    root = tmp_path / "media"
    headers = {**bearer, "Content-Type": "video/mp4"}
    with httpx.Client(base_url=live.url, timeout=60, headers=bearer) as http:
        for _ in range(REPEAT):
            bodies = [os.urandom(CHUNK * CHUNKS), os.urandom(CHUNK * CHUNKS)]

            def put(body: bytes) -> httpx.Response:
                # A client of its own per upload: two connections, as two uploaders have.
                with httpx.Client(base_url=live.url, timeout=60) as own:
                    url = f"/api/movie/{movie_id}/media"
                    return own.put(url, content=paced(body), headers=headers)

            answers = run_together([partial(put, body) for body in bodies])
            assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
            digests = [hashlib.sha256(body).hexdigest() for body in bodies]
            assert [(a.json()["size"], a.json()["sha256"]) for a in answers] == [
                (len(b), d) for b, d in zip(bodies, digests, strict=True)
            ]
            paths = [a.json()["movie"]["media_path"] for a in answers]
            current = http.get(f"/api/movie/{movie_id}").json()["media_path"]
            assert current in paths
            winner = paths.index(current)
            assert hashlib.sha256((root / current).read_bytes()).hexdigest() == digests[winner]
            streamed = http.get(f"/api/movie/{movie_id}/stream")
            assert streamed.status_code == 200
            assert streamed.content == bodies[winner]
            assert list((root / UPLOAD_DIR).iterdir()) == []
