"""In-process REST fixtures: the app over a core (SQLite by default), and a caller per role.

``api`` talks to ``create_app(core)`` through Starlette's TestClient (no socket, no server);
``tests/e2e`` talks to a real ``streamcore serve``. Unexpected errors come back as the 500 a
client would see instead of being raised into the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streamcore import StreamCore
from streamcore.api.app import create_app
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import Argon2Hasher
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from tests.conftest import CHEAPEST, FakeClock

PASSWORD = "correct horse battery"


@dataclass
class Api:
    """A TestClient over the app of ``core``, and bearer headers for users it made."""

    core: StreamCore
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def user(self, role: Role | str = Role.SUBSCRIBER, *, email: str | None = None) -> int:
        """Add a user with ``role`` (through the core) and log it in; its id."""
        email = email or f"{role}{len(self.tokens) + 1}@example.com"
        user = self.core.auth.create_user(
            UserCreate(email=email, password=PASSWORD, name=str(role).title(), role=Role(role)),
            actor=SYSTEM,
        )
        self.tokens[email] = self.login(email)
        return user.id

    def login(self, email: str, password: str = PASSWORD) -> str:
        """A fresh token for ``email`` through ``POST /api/auth/login``."""
        answer = self.client.post("/api/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def headers(self, email: str) -> dict[str, str]:
        """``Authorization: Bearer`` for a user made by ``user``."""
        return {"Authorization": f"Bearer {self.tokens[email]}"}

    def as_role(self, role: Role | str) -> dict[str, str]:
        """Headers of a (new, once per role) user with ``role``."""
        email = f"the-{role}@example.com"
        if email not in self.tokens:
            self.user(role, email=email)
        return self.headers(email)

    def request(self, method: str, path: str, role: str | None = None, **kwargs: Any) -> Any:
        """``method path`` as a new user with ``role`` (``None``: anonymous)."""
        headers = {**(self.as_role(role) if role else {}), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


def make_api(settings: Settings, clock: FakeClock) -> Iterator[Api]:
    """An ``Api`` over a core opened with ``settings``; closed afterwards."""
    with (
        StreamCore.open(settings, clock=clock, hasher=Argon2Hasher(CHEAPEST)) as core,
        TestClient(create_app(core), raise_server_exceptions=False) as client,
    ):
        yield Api(core, client)


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """The settings the ``api`` fixture opens its core with (override to change them)."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", media_root=tmp_path / "media")


@pytest.fixture
def api(api_settings: Settings, clock: FakeClock) -> Iterator[Api]:
    """The app over a fresh SQLite core, through an in-process client."""
    yield from make_api(api_settings, clock)
