"""A small world for authorization tests: one user per caller kind and one row per target.

Every caller of the matrix holds a token obtained through ``POST /api/auth/login``; the
deactivated, deleted and expired ones then lose it the way SPEC §3.1 says (deactivation and
deletion revoke it, the clock runs past the token lifetime). Ids are looked up in ``World``
so that routes can name "the subscriber's subscription" or "the deleted movie".
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from streamcore.auth.models import UserCreate, UserPatch
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from streamcore.subscriptions.models import PaymentCreate, PlanCreate, SubscriptionCreate
from tests.api.conftest import PASSWORD, Api, make_api
from tests.conftest import FakeClock

ANONYMOUS = "anonymous"
SUBSCRIBER = "subscriber"
EDITOR = "editor"
ADMIN = "admin"
DEACTIVATED = "deactivated"
DELETED = "deleted"
EXPIRED = "expired"
CALLERS = (ANONYMOUS, SUBSCRIBER, EDITOR, ADMIN, DEACTIVATED, DELETED, EXPIRED)
"""Every kind of caller the matrix tries (SPEC §3.1's roles and three dead tokens)."""

MEDIA = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8
"""The bytes of the world's media file (an mp4 header and some filler)."""


def served_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, as declared by its routes (HEAD included)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        methods = route.methods or set()
        if route.path is None:
            continue
        found.update((method, route.path) for method in methods)
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


@dataclass
class World:
    """The ids and tokens of one world; ``tokens[caller]`` is absent for ``anonymous``."""

    api: Api
    ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        """The Authorization header of ``caller`` (none for anonymous)."""
        token = self.tokens.get(caller)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def path(self, template: str) -> str:
        """``template`` with ``{name}`` filled from ``ids`` (e.g. ``/api/movie/{movie}``)."""
        return template.format(**self.ids)


def _add_user(api: Api, key: str, role: Role) -> int:
    email = f"{key}@example.com"
    user = api.core.auth.create_user(
        UserCreate(email=email, password=PASSWORD, name=key.title(), role=role), actor=SYSTEM
    )
    return user.id


def build_world(api: Api, clock: FakeClock, media_root: Path) -> World:
    """Users of every kind (tokens included), two active plans and an inactive one, movies
    (one in a plan, one with media, one deleted), and subscriptions: the subscriber's paid
    one and another subscriber's."""
    core, world = api.core, World(api)
    roles = {
        SUBSCRIBER: Role.SUBSCRIBER,
        EDITOR: Role.EDITOR,
        ADMIN: Role.ADMIN,
        DEACTIVATED: Role.SUBSCRIBER,
        DELETED: Role.SUBSCRIBER,
        EXPIRED: Role.SUBSCRIBER,
        "other": Role.SUBSCRIBER,
        "victim": Role.SUBSCRIBER,
        "gone": Role.SUBSCRIBER,
    }
    for key, role in roles.items():
        world.ids[key] = _add_user(api, key, role)
        world.emails[key] = f"{key}@example.com"
    # The expired token first: then the clock runs past its lifetime and everyone else logs in.
    world.tokens[EXPIRED] = api.login(world.emails[EXPIRED])
    clock.advance(seconds=core.settings.token_ttl + 1)
    for key in (SUBSCRIBER, EDITOR, ADMIN, DEACTIVATED, DELETED, "other"):
        world.tokens[key] = api.login(world.emails[key])
    core.auth.update_user(world.ids[DEACTIVATED], UserPatch(is_active=False), actor=SYSTEM)
    core.auth.delete_user(world.ids[DELETED], actor=SYSTEM)
    core.auth.delete_user(world.ids["gone"], actor=SYSTEM)
    world.tokens.pop("other")  # only the subscriber's own calls need "other" as a row owner

    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / "alien.mp4").write_bytes(MEDIA)
    movies = core.movies
    world.ids["movie"] = movies.create(
        MovieCreate(title="Alien", year=1979, media_path="alien.mp4"), actor=SYSTEM
    ).id
    world.ids["loose_movie"] = movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM).id
    world.ids["deleted_movie"] = movies.create(
        MovieCreate(title="Cats", year=2019), actor=SYSTEM
    ).id
    movies.delete(world.ids["deleted_movie"], actor=SYSTEM)

    plans = core.plans
    for key, active in (("plan", True), ("spare_plan", True), ("inactive_plan", False)):
        world.ids[key] = plans.create(
            PlanCreate(
                name=key.replace("_", " ").title(),
                price="9.99",
                currency="EUR",
                period="month",
                is_active=active,
            ),
            actor=SYSTEM,
        ).id
    plans.add_movie(world.ids["plan"], world.ids["movie"], actor=SYSTEM)

    subs = core.subscriptions
    for owner, key in ((SUBSCRIBER, "subscription"), ("other", "other_subscription")):
        world.ids[key] = subs.create(
            SubscriptionCreate(plan_id=world.ids["plan"], user_id=world.ids[owner]), actor=SYSTEM
        ).id
    subs.record_payment(
        world.ids["subscription"],
        PaymentCreate(amount="9.99", currency="EUR", reference="world-1"),
        actor=SYSTEM,
    )
    return world


@dataclass(frozen=True)
class WorldTemplate:
    """A world built once and saved: its SQLite file, media, clock and ids (copied per test)."""

    root: Path
    now: datetime
    ids: dict[str, int]
    emails: dict[str, str]
    tokens: dict[str, str]

    @classmethod
    def build(cls, root: Path, settings: Settings) -> WorldTemplate:
        """Build a world under ``root`` with ``settings`` (its URL a file under ``root``)."""
        clock = FakeClock()
        opened = make_api(settings, clock)
        api = next(opened)
        try:
            world = build_world(api, clock, settings.media_root)
        finally:
            opened.close()  # closes the core: SQLite folds its WAL into the file
        return cls(root, clock.now, dict(world.ids), dict(world.emails), dict(world.tokens))

    def copy_to(self, target: Path) -> None:
        """The saved database and media, copied under ``target`` (the same relative paths)."""
        shutil.copytree(self.root, target, dirs_exist_ok=True)

    def world(self, api: Api, clock: FakeClock) -> World:
        """The world over ``api`` (a core on a copy), with ``clock`` set to the world's time."""
        clock.now = self.now
        return World(api, dict(self.ids), dict(self.emails), dict(self.tokens))


def world_settings(root: Path) -> Settings:
    """The settings of a world copied to ``root``: SQLite file, media root, a 1 h token TTL."""
    return Settings(
        database_url=f"sqlite:///{root / 'api.db'}", media_root=root / "media", token_ttl=3600
    )
