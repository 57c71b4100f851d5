"""Every error status of SPEC §6 is one problem+json shape from one builder (issue 8, item 2).

Each test makes the failure happen for real: a body that really is too large (and is shown
not to have been read), a SQLite file really locked by another connection, a PostgreSQL
server really cut off behind a proxy, a service that really raises.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.exceptions import WebSocketRequestValidationError

from streamcore import StreamCore
from streamcore.api.app import create_app
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.movies.models import MovieQuery
from tests.api.conftest import PASSWORD, Api, make_api
from tests.api.live import CuttableProxy, LiveServer, read_response
from tests.conftest import FakeClock, empty_postgres

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
LIMIT = 4096
"""``STREAMCORE_MAX_BODY`` of these tests."""


def assert_problem(answer: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """``answer`` is the one builder's problem for ``status``; its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert PROBLEM_KEYS <= set(body) <= PROBLEM_KEYS | {"errors"}
    assert body["type"] == "about:blank"
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """A small body limit and a short busy timeout (the locked-file test waits it out)."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}",
        media_root=tmp_path / "media",
        max_body=LIMIT,
        db_busy_timeout=0.3,
    )


# --- 401, 403, 404, 405, 409, 415 ------------------------------------------------------------


def test_401_says_bearer(api: Api) -> None:
    answer = api.client.get("/api/auth/me")
    assert_problem(answer, 401, "not_authenticated")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_401_for_a_wrong_password_says_bearer_and_not_which_was_wrong(api: Api) -> None:
    api.user("subscriber", email="ann@example.com")
    wrong = api.client.post(
        "/api/auth/login", json={"email": "ann@example.com", "password": "not the password"}
    )
    unknown = api.client.post(
        "/api/auth/login", json={"email": "bob@example.com", "password": "not the password"}
    )
    assert assert_problem(wrong, 401) == assert_problem(unknown, 401)
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_403_for_a_role_that_may_not(api: Api) -> None:
    answer = api.request("POST", "/api/movie", "subscriber", json={"title": "A", "year": 2000})
    assert_problem(answer, 403, "permission_denied")
    assert "www-authenticate" not in answer.headers
    assert api.core.movies.list(actor=SYSTEM).total == 0


@pytest.mark.parametrize("path", ["/nope", "/api/movie/1/nothing", "/api/", "/API/health"])
def test_404_for_an_unknown_route(api: Api, path: str) -> None:
    body = assert_problem(api.client.get(path), 404, "not_found")
    assert body["detail"] == f"there is no route {path}"


@pytest.mark.parametrize(
    "path", ["/api/movie/4242", "/api/plan/4242/movie", "/api/subscription/4242"]
)
def test_404_for_an_unknown_id(api: Api, path: str) -> None:
    body = assert_problem(api.request("GET", path, "admin"), 404, "not_found")
    assert "4242" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/health", {"GET"}),
        ("PATCH", "/api/movie", {"GET", "POST"}),
        ("POST", "/api/movie/1", {"GET", "PUT", "PATCH", "DELETE"}),
        ("GET", "/api/auth/login", {"POST"}),
    ],
)
def test_405_names_the_allowed_methods(api: Api, method: str, path: str, allow: set[str]) -> None:
    answer = api.client.request(method, path)
    body = assert_problem(answer, 405, "method_not_allowed")
    assert {m.strip() for m in answer.headers["allow"].split(",")} == allow
    assert body["detail"] == f"{path} does not answer {method}"


def test_409_for_a_duplicate(api: Api) -> None:
    movie = {"title": "Alien", "year": 1979}
    assert api.request("POST", "/api/movie", "editor", json=movie).status_code == 201
    again = api.request("POST", "/api/movie", "editor", json={"title": "ALIEN", "year": 1979})
    assert_problem(again, 409)
    assert api.core.movies.list(actor=SYSTEM).total == 1


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_415_for_a_body_that_is_not_json(api: Api, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = api.request(
        "POST", "/api/movie", "editor", content=b'{"title": "Alien", "year": 1979}', headers=headers
    )
    assert_problem(answer, 415, "unsupported_media_type")
    assert api.core.movies.list(actor=SYSTEM).total == 0


def test_json_with_a_charset_or_a_suffix_is_json(api: Api) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        body = f'{{"title": "{content_type}", "year": 1979}}'.encode()
        answer = api.request(
            "POST", "/api/movie", "editor", content=body, headers={"Content-Type": content_type}
        )
        assert answer.status_code == 201, answer.text


# --- 413: refused before the body is read -------------------------------------------------------


def _asgi_post(app: Any, headers: list[tuple[bytes, bytes]], chunk: bytes) -> tuple[int, int]:
    """POST /api/auth/register straight through ASGI with an endless body of ``chunk``s;
    (status, bytes the app pulled)."""
    pulled = 0
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/auth/register",
        "raw_path": b"/api/auth/register",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))
    return statuses[0], pulled


def test_413_for_a_declared_length_over_the_limit_reads_nothing(api: Api) -> None:
    status, pulled = _asgi_post(
        api.client.app, [(b"content-length", str(LIMIT + 1).encode())], b"x" * 1024
    )
    assert (status, pulled) == (413, 0)


def test_413_for_a_chunked_body_stops_reading_at_the_limit(api: Api) -> None:
    # An endless body: without the count the app would read forever (and wait_for fails).
    status, pulled = _asgi_post(api.client.app, [(b"transfer-encoding", b"chunked")], b"x" * 1000)
    assert status == 413
    assert LIMIT < pulled <= LIMIT + 1000


def test_413_on_a_real_server_before_the_body_is_sent(api: Api) -> None:
    with LiveServer(api.client.app) as server, server.connect() as conn:
        conn.sendall(
            b"POST /api/auth/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {100 * LIMIT}\r\n\r\n".encode()
            + b'{"email": "'
        )
        # Only 11 bytes of 400 KiB were sent: an answer now means the body was not awaited.
        status, headers, body = read_response(conn)
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert b"body_too_large" in body


def test_413_on_a_real_server_for_a_chunked_body_before_it_ends(api: Api) -> None:
    with LiveServer(api.client.app) as server, server.connect() as conn:
        conn.sendall(
            b"POST /api/auth/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for _ in range(LIMIT // 1024 + 1):
            conn.sendall(b"400\r\n" + b" " * 1024 + b"\r\n")
        # No last chunk: the body never ends, so only a count can have stopped it.
        status, headers, body = read_response(conn)
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert b'"status":413' in body
    assert api.core.auth.list_users(actor=SYSTEM).total == 0


def test_a_body_at_the_limit_is_read(api: Api) -> None:
    body = b'{"email": "ann@example.com", "password": "%s", "name": "Ann"}' % PASSWORD.encode()
    padded = body[:-1] + b" " * (LIMIT - len(body)) + b"}"
    assert len(padded) == LIMIT
    answer = api.client.post(
        "/api/auth/register", content=padded, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text


# --- 422: FastAPI's own validation in our words, never the value sent ---------------------------


def test_422_names_each_field_and_rule_and_echoes_no_value(api: Api) -> None:
    secret = "s3cr3t!"  # 7 characters: too short
    answer = api.client.post(
        "/api/auth/register", json={"email": "ann@example.com", "password": secret, "name": ""}
    )
    body = assert_problem(answer, 422, "invalid_input")
    assert body["errors"] == [
        {"field": "password", "message": "must be 8 to 256 characters long"},
        {"field": "name", "message": "must not be empty"},
    ]
    assert secret not in answer.text
    assert api.core.auth.list_users(actor=SYSTEM).total == 0


def test_422_for_a_long_hostile_title_does_not_echo_it(api: Api) -> None:
    title = "<script>alert('pwned')</script>\u202e" + "Ω" * 300
    answer = api.request("POST", "/api/movie", "editor", json={"title": title, "year": 1979})
    body = assert_problem(answer, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["title"]
    for piece in ("<script>", "pwned", "\u202e", "ΩΩΩ"):
        assert piece not in answer.text
        assert piece not in answer.content.decode("unicode_escape", "replace")
    # pydantic's own wording ("String should have at most ...") is never shown either.
    assert "should" not in answer.text.lower()


def test_422_has_one_entry_per_field(api: Api) -> None:
    answer = api.request(
        "POST",
        "/api/movie",
        "editor",
        json={"title": "", "year": "MCMLXXIX", "duration_minutes": 0, "bogus": 1},
    )
    body = assert_problem(answer, 422)
    fields = [e["field"] for e in body["errors"]]
    assert sorted(fields) == ["bogus", "duration_minutes", "title", "year"]
    assert "MCMLXXIX" not in answer.text


def test_422_for_query_and_path_parameters(api: Api) -> None:
    body = assert_problem(api.request("GET", "/api/movie?limit=500", "subscriber"), 422)
    assert body["errors"] == [{"field": "limit", "message": "must be at most 100"}]
    body = assert_problem(api.request("GET", "/api/movie/abc", "subscriber"), 422)
    assert body["errors"] == [{"field": "id", "message": "must be a whole number"}]


# --- 429 ---------------------------------------------------------------------------------------


def test_429_with_retry_after_after_five_wrong_logins(api: Api, clock: FakeClock) -> None:
    api.user("subscriber", email="ann@example.com")
    wrong = {"email": "ann@example.com", "password": "not the password"}
    for _ in range(5):
        assert_problem(api.client.post("/api/auth/login", json=wrong), 401)
    right = {"email": "ann@example.com", "password": PASSWORD}
    answer = api.client.post("/api/auth/login", json=right)
    assert_problem(answer, 429, "too_many_attempts")
    assert 1 <= int(answer.headers["retry-after"]) <= 15 * 60
    assert "access_token" not in answer.text
    clock.advance(minutes=15, seconds=1)
    assert api.client.post("/api/auth/login", json=right).status_code == 200


# --- 503: storage really unavailable ------------------------------------------------------------

DRIVER_WORDS = ("sqlite", "psycopg", "operationalerror", "locked", "refused", "select", "sql")


def _assert_no_driver_text(answer: httpx.Response, *more: str) -> None:
    text = answer.text.lower()
    for word in (*DRIVER_WORDS, *more):
        assert word.lower() not in text, word


def test_503_when_the_sqlite_file_is_locked_by_another_writer(api: Api, tmp_path: Path) -> None:
    holder = sqlite3.connect(tmp_path / "api.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held until we let go
        answer = api.client.post(
            "/api/auth/register",
            json={"email": "ann@example.com", "password": PASSWORD, "name": "Ann"},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    body = assert_problem(answer, 503)
    assert body["detail"] == "the service's storage is unavailable; try again later"
    assert answer.headers["retry-after"] == "5"
    _assert_no_driver_text(answer, str(tmp_path), "busy")
    # And once the lock is gone, the same request goes through.
    again = api.client.post(
        "/api/auth/register", json={"email": "ann@example.com", "password": PASSWORD, "name": "A"}
    )
    assert again.status_code == 201


@pytest.fixture
def cut_off_postgres(
    postgres_url: str, clock: FakeClock, tmp_path: Path
) -> Iterator[tuple[Api, CuttableProxy]]:
    """An ``Api`` over PostgreSQL reached through a proxy that the test can cut."""
    empty_postgres(postgres_url)
    real = sa.make_url(postgres_url)
    with CuttableProxy((real.host or "127.0.0.1", real.port or 5432)) as proxy:
        url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = Settings(
            database_url=url, media_root=tmp_path, db_connect_timeout=1, db_pool_timeout=2
        )
        yield from ((api, proxy) for api in make_api(settings, clock))


def test_503_when_postgres_is_unreachable(cut_off_postgres: tuple[Api, CuttableProxy]) -> None:
    api, proxy = cut_off_postgres
    port = str(proxy.port)
    headers = api.as_role("subscriber")
    assert api.client.get("/api/movie", headers=headers).status_code == 200
    proxy.cut()
    for answer in (
        api.client.get("/api/health"),
        api.client.get("/api/movie", headers=headers),
        api.client.get("/api/plan"),
        api.client.post("/api/auth/login", json={"email": "x@example.com", "password": "p" * 9}),
    ):
        body = assert_problem(answer, 503)
        assert body["detail"] == "the service's storage is unavailable; try again later"
        _assert_no_driver_text(answer, port, "127.0.0.1", "postgres", "connect")


# --- 500: unexpected, logged, and silent to the client -------------------------------------------

SECRET = "hunter2-the-secret-key"


@pytest.fixture
def broken_get(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """``movies.get`` of the app's core raises an unexpected error holding a secret.

    Patched on the core instance the app holds (``app.state.core``), so the real route,
    dependencies and handlers run; only the service call fails.
    """

    def get(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"password={SECRET} in /srv/secret/path")

    monkeypatch.setattr(api.client.app.state.core.movies, "get", get)


def _assert_silent_500(status: int, text: str) -> None:
    assert status == 500
    for leak in (SECRET, "Traceback", "RuntimeError", "/srv/secret", 'File "'):
        assert leak not in text


@pytest.mark.usefixtures("broken_get")
def test_500_says_nothing_of_what_went_wrong(api: Api) -> None:
    answer = api.request("GET", "/api/movie/1", "subscriber")
    body = assert_problem(answer, 500, "unexpected")
    assert body["detail"] == "something went wrong on our side; it has been logged"
    _assert_silent_500(answer.status_code, answer.text + str(answer.headers))


@pytest.mark.usefixtures("broken_get")
def test_500_on_a_real_server_logs_the_traceback(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    headers = api.as_role("subscriber")
    caplog.set_level(logging.ERROR)
    with LiveServer(api.client.app) as server:
        answer = httpx.get(f"http://127.0.0.1:{server.port}/api/movie/1", headers=headers)
    assert_problem(answer, 500, "unexpected")
    _assert_silent_500(answer.status_code, answer.text + str(answer.headers))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert errors, "the 500's traceback was logged"
    assert "Traceback" in caplog.text
    assert f"RuntimeError: password={SECRET}" in caplog.text  # the log has it all
    assert api.client.get("/api/health").status_code == 200  # the server went on serving


def test_an_unexpected_error_changes_nothing(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # A listener that fails after a commit is logged (SPEC §3.4); a service that fails before
    # its commit leaves nothing behind: the movie it was making is not there.
    core: StreamCore = api.client.app.state.core
    original = core.movies.create

    def create(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(core.movies, "create", create)
    answer = api.request("POST", "/api/movie", "editor", json={"title": "Alien", "year": 1979})
    _assert_silent_500(answer.status_code, answer.text)
    monkeypatch.setattr(core.movies, "create", original)
    assert core.movies.list(MovieQuery(), actor=SYSTEM).total == 0


def test_every_problem_comes_from_the_one_builder() -> None:
    # The app installs exactly our handlers: nothing else can shape an error answer.
    with StreamCore.open("memory://", hasher=Argon2Hasher(CHEAPEST)) as core:
        app = create_app(core)
        owners = {
            handler.__module__
            for kind, handler in app.exception_handlers.items()
            if kind is not WebSocketRequestValidationError  # no WebSocket routes here
        }
    assert owners == {"streamcore.api.problems", "streamcore.api.app"}
