"""A hostile or careless client against ``PUT /api/movie/{id}/media``, and a careless deployer.

In-process over a real SQLite core: what streamcore keeps (names, types, the previous file)
when the Content-Type or the body is not what an honest client sends.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.errors import InvalidInputError
from streamcore.movies.models import MovieCreate
from tests.api.conftest import Api

BODY = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 10


def movie(api: Api) -> int:
    """A new movie without media."""
    return api.core.movies.create(MovieCreate(title="Up", year=2001), actor=SYSTEM).id


def put(api: Api, movie_id: int, body: bytes, content_type: str | bytes) -> Any:
    """The editor's upload of ``body`` as ``content_type``."""
    headers = {"Content-Type": content_type}
    return api.request(
        "PUT", f"/api/movie/{movie_id}/media", "editor", content=body, headers=headers
    )


def stored(api: Api) -> list[str]:
    """Every file under the media root, relative, temporary ones too."""
    root = api.core.settings.media_root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_streamcore_alone_names_the_file_whatever_the_content_type_says(api: Api) -> None:
    movie_id = movie(api)
    digest = hashlib.sha256(BODY).hexdigest()
    for content_type in (
        "VIDEO/MP4",
        "video/mp4; charset=utf-8",
        'video/mp4; name="../../../etc/x.html"',
        "video/mp4;filename=/tmp/evil.sh",
        " video/mp4 ",
    ):
        answer = put(api, movie_id, BODY, content_type)
        assert answer.status_code == 200, (content_type, answer.text)
        assert answer.json()["movie"]["media_path"] == f"movies/{movie_id}/{digest[:16]}.mp4"
    assert stored(api) == [f"movies/{movie_id}/{digest[:16]}.mp4"]
    played = api.request("GET", f"/api/movie/{movie_id}/stream", "editor")
    assert played.headers["content-type"] == "video/mp4"


def test_types_that_only_look_like_video_are_415_and_keep_nothing(api: Api) -> None:
    movie_id = movie(api)
    for content_type in (
        "video/../../x",
        "video/mp4/../../html",
        "video/*",
        "video/",
        "videomp4",
        "text/html; x=video/mp4",
        "image/svg+xml",
        "application/octet-stream",
        "video/mp4\xa0".encode("latin-1"),  # a no-break space
    ):
        answer = put(api, movie_id, BODY, content_type)
        assert answer.status_code == 415, (content_type, answer.text)
    assert stored(api) == []


def test_an_upload_to_a_deleted_movie_is_404_and_keeps_nothing(api: Api) -> None:
    movie_id = movie(api)
    api.core.movies.delete(movie_id, actor=SYSTEM)
    answer = put(api, movie_id, BODY, "video/mp4")
    assert answer.status_code == 404
    assert stored(api) == []


def test_an_empty_body_does_not_replace_the_movie_s_file(api: Api) -> None:
    movie_id = movie(api)
    first = put(api, movie_id, BODY, "video/mp4")
    path = first.json()["movie"]["media_path"]
    empty = put(api, movie_id, b"", "video/mp4")
    assert empty.status_code == 422, empty.text
    assert api.core.movies.get(movie_id, actor=SYSTEM).media_path == path
    assert stored(api) == [path]


def test_a_playback_ttl_too_large_to_be_a_date_is_refused_as_a_setting(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="playback_ttl"):
        Settings(database_url="memory://", media_root=tmp_path, playback_ttl=10**13)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask for the test (the process's own, restored after)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_stored_upload_is_as_readable_as_any_file_the_process_makes(
    api: Api, umask_022: None
) -> None:
    movie_id = movie(api)
    answer = put(api, movie_id, BODY, "video/mp4")
    assert answer.status_code == 200, answer.text
    path = api.core.settings.media_root / answer.json()["movie"]["media_path"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
