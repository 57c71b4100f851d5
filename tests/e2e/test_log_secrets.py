"""The server's output never holds a password or a token: access log, error log, at every level.

A real ``streamcore serve`` (stdout and stderr into one file) sees a session of a user who
registers, logs in, fails a login, is refused a short password, uses its token (also in a query
string, where a careless client might put it), logs out and tries the revoked token; then the
whole output is searched for every secret sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from tests.e2e.server import LiveServer, start_server

EMAIL = "ann@example.org"
PASSWORD = "ann-secret-password-1"
WRONG = "ann-wrong-password-2"
SHORT = "sh0rt!"


@pytest.fixture(params=["default", "--verbose"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A server at the default log level, or at DEBUG (``--verbose``)."""
    args = [] if request.param == "default" else [request.param]
    started = start_server(tmp_path, args=args)
    try:
        yield started
    finally:
        started.stop()


def session(server: LiveServer) -> str:
    """The user's requests; the token it was given."""
    with server.client() as http:
        body = {"email": EMAIL, "password": PASSWORD, "name": "Ann"}
        assert http.post("/api/auth/register", json=body).status_code == 201
        short = {"email": "bob@example.org", "password": SHORT, "name": "Bob"}
        assert http.post("/api/auth/register", json=short).status_code == 422
        wrong = http.post("/api/auth/login", json={"email": EMAIL, "password": WRONG})
        assert wrong.status_code == 401
        login = http.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200
        token: str = login.json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert http.get("/api/auth/me", headers=bearer).status_code == 200
        in_query = http.get("/api/movie", params={"access_token": token, "q": "nosferatu"})
        assert in_query.status_code == 401  # a token in a URL is never accepted
        assert http.post("/api/auth/logout", headers=bearer).status_code == 204
        assert http.get("/api/auth/me", headers=bearer).status_code == 401
    return token


def test_no_secret_reaches_the_log(server: LiveServer) -> None:
    token = session(server)
    server.stop()  # everything flushed
    log = server.log()
    # The check looks where the secrets would be: the access log has each request.
    assert '"POST /api/auth/login HTTP/1.1" 200' in log
    assert '"GET /api/movie?access_token=***&q=nosferatu HTTP/1.1" 401' in log
    for secret in (PASSWORD, WRONG, SHORT, token, token[:16], token[-16:]):
        assert secret not in log


def add_editor(workdir: Path) -> None:
    """An editor who asked to hear of new movies, in the server's SQLite file."""
    with StreamCore.open(f"sqlite:///{workdir / 'streamcore.db'}") as core:
        data = UserCreate(email=EMAIL, name="Ann", password=PASSWORD, role=Role.EDITOR)
        core.auth.create_user(data, actor=SYSTEM)


@pytest.mark.parametrize(
    ("option", "shown"),
    [("", {"INFO"}), ("--verbose", {"INFO", "DEBUG"}), ("--quiet", set())],
)
def test_streamcore_log_lines_follow_the_level(
    tmp_path: Path, option: str, shown: set[str]
) -> None:
    """The log mailer's lines (INFO: how many; DEBUG: to whom) show as the CLI's level says."""
    add_editor(tmp_path)
    server = start_server(tmp_path, args=[option] if option else [])
    try:
        with server.client() as http:
            login = http.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
            bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            movie = {"title": "Nosferatu", "year": 1922}
            assert http.post("/api/movie", json=movie, headers=bearer).status_code == 201
        wait_for(server, "would have mailed" if shown else "POST /api/movie")
    finally:
        server.stop()
    log = server.log()
    lines = {
        "INFO": "INFO:     streamcore.mail: log mailer (no SMTP URL set): would have mailed 1 user",
        "DEBUG": f"DEBUG:    streamcore.mail: log mailer: would have mailed {EMAIL}",
    }
    assert {level for level, line in lines.items() if line in log} == shown
    assert ('"POST /api/movie HTTP/1.1" 201' in log) == (option != "--quiet")
    assert PASSWORD not in log


def wait_for(server: LiveServer, text: str, timeout: float = 10) -> None:
    """Until ``text`` is in the server's output (mail may go out after the response)."""
    deadline = time.monotonic() + timeout
    while text not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
