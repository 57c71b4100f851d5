"""CORS: origins in ``STREAMCORE_CORS_ORIGINS`` get the headers a browser needs; others none.

An unlisted origin is answered as if CORS did not exist (no ``Access-Control-*`` header at
all, preflight included), so a misconfigured front end fails in the browser, not quietly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore.api.app import EXPOSED_HEADERS
from streamcore.config import Settings
from tests.api.conftest import Api, make_api
from tests.conftest import FakeClock

LISTED = "https://app.example.com"
ALSO_LISTED = "http://localhost:4200"
UNLISTED = "https://evil.example.net"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def cors_headers(answer: object) -> dict[str, str]:
    headers = answer.headers  # type: ignore[attr-defined]
    return {k: v for k, v in headers.items() if k.lower().startswith("access-control-")}


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}",
        media_root=tmp_path / "media",
        cors_origins=(LISTED, ALSO_LISTED),
        max_body=1024,
    )


@pytest.fixture
def plain_api(tmp_path: Path, clock: FakeClock) -> Iterator[Api]:
    """The app with no origin configured."""
    yield from make_api(Settings(database_url=f"sqlite:///{tmp_path / 'plain.db'}"), clock)


@pytest.mark.parametrize("origin", [LISTED, ALSO_LISTED])
def test_a_preflight_from_a_listed_origin_is_allowed(api: Api, origin: str) -> None:
    answer = api.client.options("/api/movie", headers={"Origin": origin, **PREFLIGHT})
    assert answer.status_code == 200
    headers = cors_headers(answer)
    assert headers["access-control-allow-origin"] == origin
    assert "POST" in headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "range"} <= allowed
    assert int(headers["access-control-max-age"]) > 0
    assert "origin" in answer.headers["vary"].lower()


def test_a_simple_request_from_a_listed_origin_may_read_the_answer(api: Api) -> None:
    answer = api.client.get("/api/health", headers={"Origin": LISTED})
    assert answer.status_code == 200
    headers = cors_headers(answer)
    assert headers["access-control-allow-origin"] == LISTED
    exposed = {h.strip().lower() for h in headers["access-control-expose-headers"].split(",")}
    assert {h.lower() for h in EXPOSED_HEADERS} <= exposed
    assert {"location", "retry-after", "www-authenticate", "content-range", "etag"} <= exposed
    # Bearer tokens travel in a header, never in cookies: credentials mode is not allowed.
    assert "access-control-allow-credentials" not in headers


def test_a_created_movie_answers_its_location_to_a_listed_origin(api: Api) -> None:
    answer = api.request(
        "POST",
        "/api/movie",
        "editor",
        json={"title": "Alien", "year": 1979},
        headers={"Origin": LISTED},
    )
    assert answer.status_code == 201
    assert cors_headers(answer)["access-control-allow-origin"] == LISTED
    assert "location" in cors_headers(answer)["access-control-expose-headers"].lower()


def test_an_unlisted_origin_gets_no_cors_header(api: Api) -> None:
    simple = api.client.get("/api/health", headers={"Origin": UNLISTED})
    assert simple.status_code == 200
    assert cors_headers(simple) == {}
    preflight = api.client.options("/api/movie", headers={"Origin": UNLISTED, **PREFLIGHT})
    assert cors_headers(preflight) == {}
    assert preflight.status_code == 405  # as if CORS were off: the app has no OPTIONS route
    assert preflight.headers["content-type"] == "application/problem+json"
    assert "origin" in simple.headers["vary"].lower()


@pytest.mark.parametrize("origin", ["https://app.example.com.evil.net", "http://app.example.com"])
def test_an_origin_that_only_looks_listed_gets_none(api: Api, origin: str) -> None:
    answer = api.client.get("/api/health", headers={"Origin": origin})
    assert cors_headers(answer) == {}


def test_without_configured_origins_nobody_gets_cors_headers(plain_api: Api) -> None:
    for origin in (LISTED, UNLISTED):
        simple = plain_api.client.get("/api/health", headers={"Origin": origin})
        assert simple.status_code == 200
        assert cors_headers(simple) == {}
        preflight = plain_api.client.options("/api/movie", headers={"Origin": origin, **PREFLIGHT})
        assert cors_headers(preflight) == {}
        assert preflight.status_code == 405


def test_a_401_to_a_listed_origin_is_readable(api: Api) -> None:
    answer = api.client.get("/api/movie", headers={"Origin": LISTED})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    headers = cors_headers(answer)
    assert headers["access-control-allow-origin"] == LISTED
    assert "www-authenticate" in headers["access-control-expose-headers"].lower()


def test_a_413_to_a_listed_origin_is_readable(api: Api) -> None:
    answer = api.request(
        "POST",
        "/api/movie",
        "editor",
        content=b'{"title": "' + b"x" * 2000 + b'"}',
        headers={"Origin": LISTED, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert cors_headers(answer)["access-control-allow-origin"] == LISTED


def test_a_500_to_a_listed_origin_is_readable(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.client.app.state.core.movies, "get", broken)
    answer = api.request("GET", "/api/movie/1", "subscriber", headers={"Origin": LISTED})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert cors_headers(answer)["access-control-allow-origin"] == LISTED
    assert "RuntimeError: a bug" in caplog.text  # the traceback went to the log


def test_a_415_to_a_listed_origin_is_readable(api: Api) -> None:
    answer = api.request(
        "POST",
        "/api/movie",
        "editor",
        content=b"title=Alien",
        headers={"Origin": LISTED, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 415
    assert cors_headers(answer)["access-control-allow-origin"] == LISTED
