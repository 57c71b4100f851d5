"""``PUT /api/movie/{id}/media`` in-process: stored, refused, and nothing kept (SPEC §3.5)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from tests.api.conftest import Api

LIMIT = 300_000


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """A small largest upload, to go past it."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}",
        media_root=tmp_path / "media",
        max_upload=LIMIT,
    )


def new_movie(api: Api) -> int:
    """A fresh movie's id."""
    return api.core.movies.create(MovieCreate(title="Up", year=2001), actor=SYSTEM).id


def leftovers(api: Api) -> list[Path]:
    """Files under the media root (temporary or stored)."""
    return sorted(p for p in api.core.settings.media_root.rglob("*") if p.is_file())


def test_an_upload_is_stored_and_played(api: Api) -> None:
    movie_id = new_movie(api)
    body = bytes(range(256)) * 1000
    answer = api.request(
        "PUT",
        f"/api/movie/{movie_id}/media",
        "editor",
        content=body,
        headers={"Content-Type": "video/webm"},
    )
    assert answer.status_code == 200, answer.text
    digest = hashlib.sha256(body).hexdigest()
    data = answer.json()
    assert (data["size"], data["sha256"]) == (len(body), digest)
    assert data["movie"]["media_path"] == f"movies/{movie_id}/{digest[:16]}.webm"
    played = api.request("GET", f"/api/movie/{movie_id}/stream", "editor")
    assert played.status_code == 200
    assert played.headers["content-type"] == "video/webm"
    assert played.content == body


def test_a_chunked_body_is_stored_too(api: Api) -> None:
    movie_id = new_movie(api)

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"z" * 10_000

    answer = api.request(
        "PUT",
        f"/api/movie/{movie_id}/media",
        "admin",
        content=chunks(),
        headers={"Content-Type": "video/mp4"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["size"] == 100_000


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_over_the_largest_upload_is_413_and_nothing_kept(api: Api, chunked: bool) -> None:
    movie_id = new_movie(api)
    body = b"x" * (LIMIT + 1)

    def chunks() -> Iterator[bytes]:
        for at in range(0, len(body), 65_536):
            yield body[at : at + 65_536]

    answer = api.request(
        "PUT",
        f"/api/movie/{movie_id}/media",
        "editor",
        content=chunks() if chunked else body,
        headers={"Content-Type": "video/mp4"},
    )
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert leftovers(api) == []
    assert api.core.movies.get(movie_id, actor=SYSTEM).media_path is None


@pytest.mark.parametrize("content_type", [None, "application/json", "text/html", "video/x-nope"])
def test_a_type_streamcore_cannot_play_is_415(api: Api, content_type: str | None) -> None:
    movie_id = new_movie(api)
    headers = {"Content-Type": content_type} if content_type else {}
    answer = api.request(
        "PUT", f"/api/movie/{movie_id}/media", "editor", content=b"data", headers=headers
    )
    assert answer.status_code == 415, answer.text
    assert answer.json()["status"] == 415
    assert leftovers(api) == []


def test_a_missing_movie_is_404_before_any_byte_is_kept(api: Api) -> None:
    answer = api.request(
        "PUT",
        "/api/movie/999999/media",
        "editor",
        content=b"data",
        headers={"Content-Type": "video/mp4"},
    )
    assert answer.status_code == 404
    assert leftovers(api) == []


def test_a_subscriber_is_refused_and_nothing_kept(api: Api) -> None:
    movie_id = new_movie(api)
    answer = api.request(
        "PUT",
        f"/api/movie/{movie_id}/media",
        "subscriber",
        content=b"data",
        headers={"Content-Type": "video/mp4"},
    )
    assert answer.status_code == 403
    assert leftovers(api) == []
