"""An upload that fills the disk: refused, nothing kept, the previous file still plays.

The media root is a 1 MiB tmpfs this test mounts under its own temporary directory and
unmounts afterwards (root only; skipped otherwise): a real ENOSPC from the kernel, no mock.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from tests.api.conftest import Api

SIZE = 1024 * 1024


@pytest.fixture
def api_settings(tmp_path: Path) -> Iterator[Settings]:
    """The database on the ordinary disk, the media root on a small tmpfs of our own."""
    small = tmp_path / "small"
    small.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(small)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", media_root=small / "media")
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_a_full_disk_refuses_the_upload_keeps_nothing_and_the_old_file_plays(api: Api) -> None:
    movie_id = api.core.movies.create(MovieCreate(title="Full", year=2001), actor=SYSTEM).id
    path = f"/api/movie/{movie_id}/media"
    video = {"Content-Type": "video/mp4"}
    first = api.request("PUT", path, "editor", content=b"a" * (SIZE // 4), headers=video)
    assert first.status_code == 200, first.text
    kept = first.json()["movie"]["media_path"]

    full = api.request("PUT", path, "editor", content=b"b" * (2 * SIZE), headers=video)
    assert full.status_code >= 500
    assert full.headers["content-type"] == "application/problem+json"
    assert "space" not in full.text.lower()
    assert str(api.core.settings.media_root) not in full.text
    root = api.core.settings.media_root
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [kept]
    assert api.core.movies.get(movie_id, actor=SYSTEM).media_path == kept
    played = api.request("GET", f"/api/movie/{movie_id}/stream", "editor")
    assert played.content == b"a" * (SIZE // 4)

    # The space came back with the temporary file: a file that fits is stored.
    fits = api.request("PUT", path, "editor", content=b"c" * (SIZE // 2), headers=video)
    assert fits.status_code == 200, fits.text
