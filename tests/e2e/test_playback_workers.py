"""Two workers of one ``streamcore serve`` on PostgreSQL sign and verify with one generated key.

No ``STREAMCORE_SECRET_KEY`` is set: the first worker that needs the key makes it and stores it,
the other reads that one, so a playback URL issued by either plays on both (SPEC §1, §3.5).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from tests.conftest import empty_postgres
from tests.e2e.server import start_server
from tests.e2e.workers import ON_LINUX, one_connection_per_worker, uvicorn_workers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "correct horse battery"
CONTENT = b"\x00\x00\x00\x18ftypmp42" * 100


@pytest.mark.skipif(not ON_LINUX, reason="tells the workers apart through Linux's /proc")
def test_two_workers_agree_on_the_generated_key(tmp_path: Path, postgres_url: str) -> None:
    empty_postgres(postgres_url)
    media = tmp_path / "media"
    media.mkdir()
    (media / "a.mp4").write_bytes(CONTENT)
    with StreamCore.open(Settings(database_url=postgres_url, media_root=media)) as core:
        movie = core.movies.create(
            MovieCreate(title="A", year=2000, media_path="a.mp4"), actor=SYSTEM
        )
        core.auth.create_user(
            UserCreate(email="ed@example.org", password=PASSWORD, name="Ed", role=Role.EDITOR),
            actor=SYSTEM,
        )
    env = {"STREAMCORE_DATABASE_URL": postgres_url, "STREAMCORE_MEDIA_ROOT": str(media)}
    server = start_server(tmp_path, env=env, args=["--workers", "2"])
    try:
        workers = uvicorn_workers(server.process.pid, 2)
        first, second = one_connection_per_worker(server.port, workers)
        try:
            login = {"email": "ed@example.org", "password": PASSWORD}
            token = first.request("POST", "/api/auth/login", login).body["access_token"]
            # Each worker issues one URL, and each URL plays on the other worker.
            for issuer, player in ((second, first), (first, second)):
                issued = issuer.request("POST", f"/api/movie/{movie.id}/playback", token=token)
                assert issued.status == 200, issued.body
                parts = urlsplit(issued.body["url"])
                head = player.request("HEAD", f"{parts.path}?{parts.query}")
                assert head.status == 200
                assert head.headers["content-length"] == str(len(CONTENT))
        finally:
            first.close()
            second.close()
    finally:
        server.stop()
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM secrets")).scalar() == 1
    engine.dispose()
