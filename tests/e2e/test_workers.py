"""Several server processes on one PostgreSQL share all state: tokens and the login lockout.

Two ways, both real ``streamcore serve`` processes:

- two servers on two ports over one database: what a load balancer in front of several hosts
  sees, and each request goes exactly where the test sends it;
- one ``streamcore serve --workers 2``: the kernel picks the worker for each connection, so the
  test keeps one connection per worker and learns from ``/proc`` which worker holds which
  (tests/e2e/workers.py); nothing in the server says which process answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from tests.conftest import empty_postgres
from tests.e2e.server import LiveServer, start_server
from tests.e2e.workers import ON_LINUX, Answer, one_connection_per_worker, uvicorn_workers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "correct horse battery"
WRONG = "not the password at all"
LOCKOUT_AFTER = 5


class Caller(Protocol):
    """Something that sends one request to one server process."""

    def request(
        self, method: str, path: str, body: object = None, token: str | None = None
    ) -> Answer: ...


class HttpCaller:
    """A ``Caller`` over a whole server (one of two on their own ports)."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server

    def request(
        self, method: str, path: str, body: object = None, token: str | None = None
    ) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with self.server.client() as http:
            answer = http.request(method, path, json=body, headers=headers)
        parsed = answer.json() if answer.content else None
        return Answer(answer.status_code, dict(answer.headers), parsed)


@pytest.fixture
def database(postgres_url: str) -> str:
    """This xdist worker's PostgreSQL database, emptied."""
    empty_postgres(postgres_url)
    return postgres_url


def register(caller: Caller, email: str) -> int:
    body = {"email": email, "password": PASSWORD, "name": "Ann"}
    answer = caller.request("POST", "/api/auth/register", body)
    assert answer.status == 201, answer.body
    user_id: int = answer.body["id"]
    return user_id


def login(caller: Caller, email: str, password: str = PASSWORD) -> Answer:
    return caller.request("POST", "/api/auth/login", {"email": email, "password": password})


def check_a_token_works_everywhere(issuer: Caller, other: Caller) -> None:
    user_id = register(issuer, "ann@example.org")
    answer = login(issuer, "ann@example.org")
    assert answer.status == 200
    token = answer.body["access_token"]
    for caller in (other, issuer, other):
        me = caller.request("GET", "/api/auth/me", token=token)
        assert (me.status, me.body["id"]) == (200, user_id)
    assert other.request("POST", "/api/auth/logout", token=token).status == 204
    for caller in (issuer, other):  # the logout on one is seen by the other
        assert caller.request("GET", "/api/auth/me", token=token).status == 401


def check_the_lockout_counts_across(first: Caller, second: Caller) -> None:
    register(first, "bob@example.org")
    for attempt in range(LOCKOUT_AFTER):  # spread over both: first, second, first...
        caller = (first, second)[attempt % 2]
        assert login(caller, "bob@example.org", WRONG).status == 401
    for caller in (second, first):  # even the right password, on either
        refused = login(caller, "bob@example.org")
        assert refused.status == 429, refused.body
        assert int(refused.headers["retry-after"]) > 0


@pytest.fixture
def two_servers(tmp_path: Path, database: str) -> Iterator[tuple[HttpCaller, HttpCaller]]:
    """Two ``streamcore serve`` processes on two ports, one database."""
    env = {"STREAMCORE_DATABASE_URL": database}
    first = start_server(tmp_path, env=env)
    try:
        second = start_server(tmp_path, env=env)
        try:
            assert first.port != second.port
            yield HttpCaller(first), HttpCaller(second)
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_token_issued_by_one_server_works_on_the_other(
    two_servers: tuple[HttpCaller, HttpCaller],
) -> None:
    check_a_token_works_everywhere(*two_servers)


def test_the_login_lockout_counts_across_two_servers(
    two_servers: tuple[HttpCaller, HttpCaller],
) -> None:
    check_the_lockout_counts_across(*two_servers)


@pytest.mark.skipif(not ON_LINUX, reason="tells the workers apart through Linux's /proc")
def test_two_workers_share_tokens_and_the_lockout(tmp_path: Path, database: str) -> None:
    server = start_server(
        tmp_path, env={"STREAMCORE_DATABASE_URL": database}, args=["--workers", "2"]
    )
    try:
        workers = uvicorn_workers(server.process.pid, 2)
        assert len(workers) == 2
        first, second = one_connection_per_worker(server.port, workers)
        assert {first.worker, second.worker} == workers
        try:
            check_a_token_works_everywhere(first, second)
            check_the_lockout_counts_across(first, second)
        finally:
            first.close()
            second.close()
    finally:
        server.stop()
    assert server.log().count("Application startup complete.") == 2
