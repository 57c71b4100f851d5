"""Sample data to try streamcore at once: ``seed_demo(core)`` (``streamcore serve --demo``).

It fills an empty database through the services, as the trusted local caller: 38 silent-era
films (``movies.jsonl``), two plans, an administrator, an editor and a subscriber who has paid
for the smaller plan, and one short video (``streamcore-demo.mp4``, see README.md in this
folder) copied into the media root and attached to twelve of the films.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from streamcore.auth.models import UserCreate, UserQuery
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.errors import ConflictError
from streamcore.movies.importer import read_rows
from streamcore.movies.models import Movie, MovieQuery
from streamcore.subscriptions.models import (
    PaymentCreate,
    PlanCreate,
    PlanQuery,
    SubscriptionCreate,
)

if TYPE_CHECKING:
    from streamcore.core import StreamCore

MEDIA_PATH = "demo/streamcore-demo.mp4"
"""Where the demo video goes, relative to the media root (the ``media_path`` of its movies)."""
CLASSIC_UNTIL = 1925
"""The smaller plan holds the films up to this year; the larger one holds every film."""
CLASSIC = PlanCreate(
    name="Classic",
    description=f"Silent films up to {CLASSIC_UNTIL}.",
    price="4.99",
    currency="EUR",
    period="month",
)
PREMIUM = PlanCreate(
    name="Premium",
    description="The whole catalogue, and every movie added later.",
    price="9.99",
    currency="EUR",
    period="month",
    includes_new_movies=True,
)
PEOPLE = (
    (Role.ADMIN, "admin@example.com", "Ada Admin"),
    (Role.EDITOR, "editor@example.com", "Ed Editor"),
    (Role.SUBSCRIBER, "subscriber@example.com", "Sam Subscriber"),
)
PAYMENT_REFERENCE = "demo-payment-1"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A user the demo made, with its password in clear (shown once, never stored so)."""

    role: Role
    email: str
    password: str = field(repr=False)  # a repr in a log or a traceback does not show it


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """What ``seed_demo`` made: whom to log in as, and a movie the subscriber may play."""

    accounts: tuple[DemoAccount, ...]
    movies: int
    plans: tuple[str, ...]
    media_file: Path
    subscriber_plan: str
    playable_movie_id: int

    def account(self, role: Role) -> DemoAccount:
        """The demo's user with ``role``."""
        return next(a for a in self.accounts if a.role == role)


def new_password() -> str:
    """A fresh random password: 96 bits, 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def seed_demo(core: StreamCore, *, password: Callable[[], str] = new_password) -> DemoCredentials:
    """Fill the empty database of ``core`` with the demo data; what to log in with.

    Raises ``ConflictError`` when the database already holds a user, a movie or a plan (the
    demo never mixes with real data), and ``ConflictError`` when the media root already holds
    another file at ``MEDIA_PATH``.
    """
    ensure_empty(core)
    media_file = _copy_video(core.settings.media_root)
    with resources.as_file(resources.files(__name__) / "movies.jsonl") as catalogue:
        ids = core.movies.import_movies(read_rows(catalogue), actor=SYSTEM)
    movies = [core.movies.get(movie_id, actor=SYSTEM) for movie_id in ids]
    classic = core.plans.create(CLASSIC, actor=SYSTEM)
    premium = core.plans.create(PREMIUM, actor=SYSTEM)
    for movie in movies:
        core.plans.add_movie(premium.id, movie.id, actor=SYSTEM)
        if movie.year <= CLASSIC_UNTIL:
            core.plans.add_movie(classic.id, movie.id, actor=SYSTEM)
    accounts = tuple(_add_user(core, role, email, name, password()) for role, email, name in PEOPLE)
    subscriber = core.auth.find_user(PEOPLE[-1][1], actor=SYSTEM)
    subscription = core.subscriptions.create(
        SubscriptionCreate(plan_id=classic.id, user_id=subscriber.id), actor=SYSTEM
    )
    payment = PaymentCreate(
        amount=classic.price, currency=classic.currency, reference=PAYMENT_REFERENCE
    )
    core.subscriptions.record_payment(subscription.id, payment, actor=SYSTEM)
    return DemoCredentials(
        accounts=accounts,
        movies=len(movies),
        plans=(classic.name, premium.name),
        media_file=media_file,
        subscriber_plan=classic.name,
        playable_movie_id=_first_playable(movies, CLASSIC_UNTIL).id,
    )


def ensure_empty(core: StreamCore) -> None:
    """Raise ``ConflictError`` unless the database holds no user, movie or plan (deleted too)."""
    held = {
        "users": core.auth.list_users(UserQuery(trashed="with", limit=1), actor=SYSTEM).total,
        "movies": core.movies.list(MovieQuery(trashed="with", limit=1), actor=SYSTEM).total,
        "plans": core.plans.list(PlanQuery(include_inactive=True, limit=1), actor=SYSTEM).total,
    }
    found = ", ".join(f"{n} {what if n > 1 else what[:-1]}" for what, n in held.items() if n)
    if found:
        raise ConflictError(f"the demo needs an empty database; this one holds {found}")


def _add_user(core: StreamCore, role: Role, email: str, name: str, password: str) -> DemoAccount:
    data = UserCreate(email=email, name=name, password=password, role=role)
    core.auth.create_user(data, actor=SYSTEM)
    return DemoAccount(role=role, email=email, password=password)


def _first_playable(movies: list[Movie], until: int) -> Movie:
    return next(m for m in movies if m.media_path and m.year <= until)


def _copy_video(media_root: Path) -> Path:
    """The shipped video at ``MEDIA_PATH`` under ``media_root``, written whole or not at all."""
    source = resources.files(__name__) / "streamcore-demo.mp4"
    data = source.read_bytes()
    target = media_root / MEDIA_PATH
    if target.exists():
        if target.is_file() and target.read_bytes() == data:
            return target
        raise ConflictError(f"{target} already exists and is not the demo video")
    target.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file beside the target, renamed into place: a reader never sees half of it.
    # Not tempfile.mkstemp: its 0600 mode would hide the file from a web server (offload).
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with temporary.open("xb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
