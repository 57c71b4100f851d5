"""Authorization from the outside (issue 8, item 3): every route against every kind of caller.

Two tables below are the contract under test, written from SPEC §6 and §3.1:
``ANONYMOUS_ROUTES`` (the routes anyone may call) and ``MATRIX`` (what each caller gets from
each route). Both are checked against the routes the app actually serves, so a route added
later without a row here fails ``test_every_served_route_is_in_the_tables`` and a route not
listed as anonymous is tried without a token by ``test_every_other_route_refuses_...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.movies.models import MovieQuery
from streamcore.subscriptions.models import SubscriptionQuery
from tests.api.conftest import PASSWORD, Api
from tests.api.world import (
    ADMIN,
    ANONYMOUS,
    CALLERS,
    DEACTIVATED,
    DELETED,
    EDITOR,
    EXPIRED,
    SUBSCRIBER,
    World,
    WorldTemplate,
    served_routes,
    world_settings,
)
from tests.conftest import FakeClock

ANONYMOUS_ROUTES = {
    # SPEC §6: "anyone".
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/plan"),
    ("GET", "/api/plan/{id}"),
    ("GET", "/api/health"),
    # Not in SPEC §6's table, public by issue 8 item 8: the API's own description.
    ("GET", "/openapi.json"),
    ("HEAD", "/openapi.json"),
    # Its interactive docs (Swagger UI, served by streamcore itself).
    ("GET", "/docs"),
}
"""The only routes a caller without a token may use; every other one answers 401."""

MOVIE_BODY = {"title": "Brazil", "year": 1985, "genres": ["sci-fi"], "countries": ["GB"]}
PLAN_BODY = {"name": "Family", "price": "19.99", "currency": "EUR", "period": "month"}
NEW_USER = {"email": "new@example.com", "password": PASSWORD, "name": "New", "role": "editor"}


@dataclass(frozen=True)
class Row:
    """One route: how to call it in a ``World``, and what each caller gets.

    ``expect`` is (anonymous, subscriber, editor, admin, dead token); a dead token is the
    deactivated user's, the deleted user's and the expired one. ``prepare`` runs on the world
    first (so that an allowed call can succeed).
    """

    method: str
    route: str
    target: str
    expect: tuple[int, int, int, int, int]
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[World], None] | None = None

    def status_for(self, caller: str) -> int:
        """The status SPEC §6 gives ``caller`` on this route."""
        index = {ANONYMOUS: 0, SUBSCRIBER: 1, EDITOR: 2, ADMIN: 3}.get(caller, 4)
        return self.expect[index]

    @property
    def key(self) -> tuple[str, str]:
        """(method, path as the app declares it)."""
        return self.method, self.route


def _cancel_own_subscription(world: World) -> None:
    # The subscriber holds a live subscription; a second would be a conflict, not a refusal.
    world.api.core.subscriptions.cancel(world.ids["subscription"], actor=SYSTEM)


ANYONE = (200, 200, 200, 200, 200)
LOGGED_IN = (401, 200, 200, 200, 401)
EDITORS = (401, 403, 200, 200, 401)
ADMINS = (401, 403, 403, 200, 401)


def _ok(expect: tuple[int, int, int, int, int], status: int) -> tuple[int, int, int, int, int]:
    """``expect`` with every 200 (an allowed call) replaced by ``status``."""
    return tuple(status if s == 200 else s for s in expect)  # type: ignore[return-value]


MATRIX = (
    # -- auth: register and login take no caller at all, so even a dead token is ignored.
    Row("POST", "/api/auth/register", "/api/auth/register", _ok(ANYONE, 201),
        json={"email": "fresh@example.com", "password": PASSWORD, "name": "Fresh"}),
    Row("POST", "/api/auth/login", "/api/auth/login", ANYONE,
        json={"email": "subscriber@example.com", "password": PASSWORD}),
    Row("POST", "/api/auth/logout", "/api/auth/logout", _ok(LOGGED_IN, 204)),
    Row("GET", "/api/auth/me", "/api/auth/me", LOGGED_IN),
    Row("PATCH", "/api/auth/me", "/api/auth/me", LOGGED_IN, json={"name": "Renamed"}),
    # -- users: administrators only.
    Row("GET", "/api/user", "/api/user", ADMINS),
    Row("POST", "/api/user", "/api/user", _ok(ADMINS, 201), json=NEW_USER),
    Row("GET", "/api/user/{id}", "/api/user/{victim}", ADMINS),
    Row("PUT", "/api/user/{id}", "/api/user/{victim}", ADMINS, json={"name": "Renamed"}),
    Row("DELETE", "/api/user/{id}", "/api/user/{victim}", _ok(ADMINS, 204)),
    Row("POST", "/api/user/{id}/restore", "/api/user/{gone}/restore", ADMINS),
    # -- the catalogue: read when logged in, written by editors.
    Row("GET", "/api/movie", "/api/movie", LOGGED_IN),
    Row("POST", "/api/movie", "/api/movie", _ok(EDITORS, 201), json=MOVIE_BODY),
    Row("GET", "/api/movie/{id}", "/api/movie/{movie}", LOGGED_IN),
    Row("PUT", "/api/movie/{id}", "/api/movie/{loose_movie}", EDITORS, json=MOVIE_BODY),
    Row("PATCH", "/api/movie/{id}", "/api/movie/{loose_movie}", EDITORS,
        json={"description": "A heist."}),
    Row("DELETE", "/api/movie/{id}", "/api/movie/{loose_movie}", _ok(EDITORS, 204)),
    Row("POST", "/api/movie/{id}/restore", "/api/movie/{deleted_movie}/restore", EDITORS),
    Row("GET", "/api/me/movie", "/api/me/movie", LOGGED_IN),
    # -- playback (SPEC §3.5): whoever may watch the movie; uploads by editors.
    Row("GET", "/api/movie/{id}/stream", "/api/movie/{movie}/stream", LOGGED_IN),
    Row("HEAD", "/api/movie/{id}/stream", "/api/movie/{movie}/stream", LOGGED_IN),
    Row("POST", "/api/movie/{id}/playback", "/api/movie/{movie}/playback", LOGGED_IN),
    Row("PUT", "/api/movie/{id}/media", "/api/movie/{loose_movie}/media", EDITORS,
        content=b"\x00\x00\x00\x18ftypmp42", headers={"Content-Type": "video/mp4"}),
    # -- plans: read by anyone (a dead token is refused, not ignored), written by admins.
    Row("GET", "/api/plan", "/api/plan", (200, 200, 200, 200, 401)),
    Row("POST", "/api/plan", "/api/plan", _ok(ADMINS, 201), json=PLAN_BODY),
    Row("GET", "/api/plan/{id}", "/api/plan/{plan}", (200, 200, 200, 200, 401)),
    Row("PUT", "/api/plan/{id}", "/api/plan/{spare_plan}", ADMINS, json=PLAN_BODY),
    Row("PATCH", "/api/plan/{id}", "/api/plan/{spare_plan}", ADMINS, json={"description": "x"}),
    Row("DELETE", "/api/plan/{id}", "/api/plan/{spare_plan}", _ok(ADMINS, 204)),
    Row("GET", "/api/plan/{id}/movie", "/api/plan/{plan}/movie", LOGGED_IN),
    Row("PUT", "/api/plan/{id}/movie/{movie_id}", "/api/plan/{plan}/movie/{loose_movie}",
        _ok(EDITORS, 204)),
    Row("DELETE", "/api/plan/{id}/movie/{movie_id}", "/api/plan/{plan}/movie/{movie}",
        _ok(EDITORS, 204)),
    # -- subscriptions: one's own (an editor owns none here: the subscriber's is not found
    #    for it, never forbidden), every one for admins; payments by admins.
    Row("GET", "/api/subscription", "/api/subscription", LOGGED_IN),
    Row("POST", "/api/subscription", "/api/subscription", _ok(LOGGED_IN, 201),
        json={"plan_id": 0}, prepare=_cancel_own_subscription),
    Row("GET", "/api/subscription/{id}", "/api/subscription/{subscription}",
        (401, 200, 404, 200, 401)),
    Row("PUT", "/api/subscription/{id}", "/api/subscription/{subscription}",
        (401, 200, 404, 200, 401), json={"plan_id": 0}),
    Row("POST", "/api/subscription/{id}/cancel", "/api/subscription/{subscription}/cancel",
        (401, 200, 404, 200, 401)),
    Row("POST", "/api/subscription/{id}/payment", "/api/subscription/{subscription}/payment",
        _ok(ADMINS, 201), json={"amount": "9.99", "currency": "EUR", "reference": "pay-2"}),
    # -- health and the API's description: anyone, a dead token changes nothing.
    Row("GET", "/api/health", "/api/health", ANYONE),
    Row("GET", "/openapi.json", "/openapi.json", ANYONE),
    Row("HEAD", "/openapi.json", "/openapi.json", ANYONE),
    Row("GET", "/docs", "/docs", ANYONE),
)  # fmt: skip
"""SPEC §6 as (route, caller) → status."""

PLAN_ID_BODIES = {"/api/subscription", "/api/subscription/{id}"}
"""Rows whose ``plan_id`` is the world's spare plan (ids are only known once it is built)."""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WorldTemplate:
    """The world, built once per module (opening a new SQLite file migrates it: ~1 s)."""
    root = tmp_path_factory.mktemp("world")
    return WorldTemplate.build(root, world_settings(root))


@pytest.fixture
def api_settings(template: WorldTemplate, tmp_path: Path) -> Settings:
    """The ``api`` fixture's core opens a fresh copy of the world's database."""
    template.copy_to(tmp_path / "world")
    return world_settings(tmp_path / "world")


@pytest.fixture
def world(api: Api, clock: FakeClock, template: WorldTemplate) -> World:
    """A world with one caller of every kind, on its own copy."""
    return template.world(api, clock)


def _call(world: World, row: Row, caller: str) -> Any:
    body = row.json
    if row.route in PLAN_ID_BODIES and isinstance(body, dict):
        body = {**body, "plan_id": world.ids["spare_plan"]}
    return world.api.client.request(
        row.method,
        world.path(row.target),
        headers={**world.headers(caller), **row.headers},
        json=body,
        content=row.content,
    )


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


# --- the tables cover what the app serves ------------------------------------------------------


def test_every_served_route_is_in_the_tables(api: Api) -> None:
    served = set(served_routes(api.client.app))
    missing = served - {row.key for row in MATRIX}
    assert not missing, f"routes with no row in MATRIX: {sorted(missing)}"
    assert served >= ANONYMOUS_ROUTES, "every anonymous route of SPEC §6 is served"


def test_the_anonymous_routes_are_the_matrix_routes_anonymous_callers_may_use() -> None:
    # The two tables agree: a route is anonymous exactly when its row lets anonymous in.
    open_rows = {row.key for row in MATRIX if row.status_for(ANONYMOUS) < 400}
    assert open_rows == ANONYMOUS_ROUTES


# --- item 3: every other route refuses a caller without a valid token --------------------------


def _dead_token(api: Api, clock: FakeClock, kind: str) -> dict[str, str]:
    """An Authorization header that is no valid token, of one ``kind``."""
    if kind == "none":
        return {}
    if kind == "garbage":
        return {"Authorization": "Bearer not-a-token-at-all"}
    if kind == "empty bearer":
        return {"Authorization": "Bearer "}
    if kind == "other scheme":
        return {"Authorization": f"Basic {api.as_role('admin')['Authorization'].split()[1]}"}
    if kind == "revoked by logout":
        headers = api.as_role("admin")
        assert api.client.post("/api/auth/logout", headers=headers).status_code == 204
        return headers
    if kind == "revoked by password change":
        headers = api.as_role("admin")
        change = {"password": "a brand new password"}
        assert api.client.patch("/api/auth/me", headers=headers, json=change).status_code == 200
        return headers
    assert kind == "expired"
    headers = api.as_role("admin")
    clock.advance(seconds=api.core.settings.token_ttl + 1)
    return headers


@pytest.mark.parametrize(
    "kind",
    [
        "none",
        "garbage",
        "empty bearer",
        "other scheme",
        "revoked by logout",
        "revoked by password change",
        "expired",
    ],
)
def test_every_other_route_refuses_a_caller_without_a_valid_token(
    api: Api, clock: FakeClock, kind: str
) -> None:
    headers = _dead_token(api, clock, kind)
    routes = [r for r in served_routes(api.client.app) if r not in ANONYMOUS_ROUTES]
    assert len(routes) >= 30  # the enumeration found the routers' routes, not just /openapi.json
    wrong = []
    for method, path in routes:
        body = {} if method in {"POST", "PUT", "PATCH"} else None
        answer = api.client.request(method, _fill(path), headers=headers, json=body)
        problem = answer.json() if method != "HEAD" else {"status": answer.status_code}
        if (
            answer.status_code != 401
            or answer.headers.get("www-authenticate") != "Bearer"
            or answer.headers.get("content-type") != "application/problem+json"
            or problem.get("status") != 401
        ):
            wrong.append((method, path, answer.status_code, dict(answer.headers)))
    assert wrong == []


def test_the_dead_token_of_an_anonymous_route_is_refused_not_ignored(
    api: Api, clock: FakeClock
) -> None:
    # A caller whose token has died learns it even where no token is needed (it would
    # otherwise silently see less, e.g. an admin's inactive plans vanish).
    headers = _dead_token(api, clock, "expired")
    answer = api.client.get("/api/plan", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


# --- item 3: the matrix ----------------------------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method} {row.route}")
def test_matrix(api: Api, world: World, row: Row, caller: str) -> None:
    if row.key not in served_routes(api.client.app):
        pytest.skip(f"{row.method} {row.route} is not served yet")
    if row.prepare:
        row.prepare(world)
    answer = _call(world, row, caller)
    expected = row.status_for(caller)
    assert answer.status_code == expected, answer.text
    if expected >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
        if row.method != "HEAD":
            assert answer.json()["status"] == expected
    if expected == 401:
        assert answer.headers["www-authenticate"] == "Bearer"


def test_the_matrix_callers_are_what_they_claim(world: World) -> None:
    # The dead tokens are dead for the reason their name gives, not by accident.
    auth = world.api.core.auth
    assert auth.get_user(world.ids[DEACTIVATED], actor=SYSTEM).is_active is False
    deleted = auth.get_user(world.ids[DELETED], actor=SYSTEM, include_deleted=True)
    assert deleted.deleted_at is not None
    assert auth.get_user(world.ids[EXPIRED], actor=SYSTEM).is_active is True
    for caller in (DEACTIVATED, DELETED, EXPIRED):
        me = world.api.client.get("/api/auth/me", headers=world.headers(caller))
        assert me.status_code == 401, caller
    for caller in (SUBSCRIBER, EDITOR, ADMIN):
        me = world.api.client.get("/api/auth/me", headers=world.headers(caller))
        assert me.json()["role"] == caller


def test_a_deactivated_or_deleted_user_cannot_log_in_again(world: World) -> None:
    for caller in (DEACTIVATED, DELETED):
        answer = world.api.client.post(
            "/api/auth/login", json={"email": world.emails[caller], "password": PASSWORD}
        )
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"


# --- rows a subscriber may not touch -------------------------------------------------------------


def test_another_users_subscription_is_not_found_for_a_subscriber(world: World) -> None:
    other = world.ids["other_subscription"]
    headers = world.headers(SUBSCRIBER)
    client = world.api.client
    for method, path, body in (
        ("GET", f"/api/subscription/{other}", None),
        ("PUT", f"/api/subscription/{other}", {"plan_id": world.ids["spare_plan"]}),
        ("POST", f"/api/subscription/{other}/cancel", None),
    ):
        answer = client.request(method, path, headers=headers, json=body)
        assert answer.status_code == 404, (method, answer.text)
        assert answer.json()["code"] == "not_found"
        assert str(world.ids["other"]) not in answer.text  # nothing of its owner
    mine = client.get("/api/subscription", headers=headers).json()
    assert [s["id"] for s in mine["items"]] == [world.ids["subscription"]]
    # Nothing changed: still on its plan, not canceled.
    record = world.api.core.subscriptions.get(other, actor=SYSTEM)
    assert (record.plan_id, record.canceled_at) == (world.ids["plan"], None)


def test_a_subscriber_cannot_filter_the_listing_by_another_user(world: World) -> None:
    answer = world.api.client.get(
        f"/api/subscription?user_id={world.ids['other']}", headers=world.headers(SUBSCRIBER)
    )
    assert answer.status_code == 200
    assert [s["user_id"] for s in answer.json()["items"]] == [world.ids[SUBSCRIBER]]


def test_a_subscriber_cannot_subscribe_another_user(world: World) -> None:
    victim = world.ids["victim"]
    answer = world.api.client.post(
        "/api/subscription",
        headers=world.headers(SUBSCRIBER),
        json={"plan_id": world.ids["spare_plan"], "user_id": victim},
    )
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    query = SubscriptionQuery(user_id=victim)
    assert world.api.core.subscriptions.list(query, actor=SYSTEM).total == 0


def test_an_admin_subscribes_another_user(world: World) -> None:
    victim = world.ids["victim"]
    answer = world.api.client.post(
        "/api/subscription",
        headers=world.headers(ADMIN),
        json={"plan_id": world.ids["spare_plan"], "user_id": victim},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["user_id"] == victim


@pytest.mark.parametrize(
    "patch", [{"role": "admin"}, {"is_active": False}, {"name": "Ok", "role": "editor"}]
)
def test_a_subscriber_cannot_change_its_role_or_activity(world: World, patch: Any) -> None:
    answer = world.api.client.patch("/api/auth/me", headers=world.headers(SUBSCRIBER), json=patch)
    assert answer.status_code == 422, answer.text
    refused = {"role", "is_active"} & set(patch)
    assert {e["field"] for e in answer.json()["errors"]} == refused
    assert all(e["message"] == "is not a known field" for e in answer.json()["errors"])
    user = world.api.core.auth.get_user(world.ids[SUBSCRIBER], actor=SYSTEM)
    assert (user.role, user.is_active, user.name) == ("subscriber", True, "Subscriber")


@pytest.mark.parametrize(
    "path",
    [
        "/api/movie/{deleted_movie}?include_deleted=true",
        "/api/movie?trashed=with",
        "/api/movie?trashed=only",
    ],
)
def test_a_subscriber_never_sees_deleted_movies(world: World, path: str) -> None:
    answer = world.api.client.get(world.path(path), headers=world.headers(SUBSCRIBER))
    assert answer.status_code == 403, answer.text
    assert "Cats" not in answer.text
    editor = world.api.client.get(world.path(path), headers=world.headers(EDITOR))
    assert editor.status_code == 200
    assert "Cats" in editor.text


def test_a_deleted_movie_is_not_found_without_asking_for_it(world: World) -> None:
    for caller in (SUBSCRIBER, EDITOR):
        answer = world.api.client.get(
            world.path("/api/movie/{deleted_movie}"), headers=world.headers(caller)
        )
        assert answer.status_code == 404
    listed = world.api.client.get("/api/movie", headers=world.headers(SUBSCRIBER)).json()
    assert "Cats" not in {m["title"] for m in listed["items"]}
    assert world.api.core.movies.list(MovieQuery(trashed="only"), actor=SYSTEM).total == 1


def test_an_admin_sees_inactive_plans_and_no_one_else_does(world: World) -> None:
    client, inactive = world.api.client, world.ids["inactive_plan"]
    for caller in (ANONYMOUS, SUBSCRIBER, EDITOR, ADMIN):
        headers = world.headers(caller)
        listed = client.get("/api/plan?include_inactive=true", headers=headers)
        assert listed.status_code == 200
        names = {p["name"] for p in listed.json()["items"]}
        one = client.get(f"/api/plan/{inactive}", headers=headers)
        if caller == ADMIN:
            assert names == {"Plan", "Spare Plan", "Inactive Plan"}
            assert one.status_code == 200
        else:
            assert names == {"Plan", "Spare Plan"}, caller
            assert one.status_code == 404, caller
            assert "Inactive" not in one.text
    default = client.get("/api/plan", headers=world.headers(ADMIN)).json()
    assert "Inactive Plan" not in {p["name"] for p in default["items"]}


def test_what_a_subscriber_may_watch_is_its_own(world: World) -> None:
    mine = world.api.client.get("/api/me/movie", headers=world.headers(SUBSCRIBER)).json()
    assert [m["title"] for m in mine["items"]] == ["Alien"]
    # A query parameter cannot ask for another user's list.
    other = world.api.client.get(
        f"/api/me/movie?user_id={world.ids['other']}", headers=world.headers(SUBSCRIBER)
    )
    assert other.status_code == 422
