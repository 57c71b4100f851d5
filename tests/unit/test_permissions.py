"""The one permission table and its gate (SPEC §3.1), and the movie service's use of it.

``EXPECTED`` is SPEC §3.1's "Roles and permissions" table written out by hand, independently of
``streamcore.auth.permissions``: the test walks every role and every ``Permission`` and compares
the code's table, ``Principal.may`` and ``require`` with it. The movie service is checked with an
actor for every write and read (``SYSTEM`` is the trusted local caller and may do everything;
there is no implicit one).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streamcore import (
    MovieCreate,
    MoviePatch,
    MovieQuery,
    NotAuthenticatedError,
    PermissionDeniedError,
    StreamCore,
)
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import (
    ANONYMOUS,
    PERMISSIONS,
    SYSTEM,
    Permission,
    Principal,
    Role,
    require,
)

# --- SPEC §3.1, row by row ------------------------------------------------------------------

# anonymous: register, log in, list and read active plans, health. Registering, logging in and
# the health check are open to every caller, so they take no actor and need no permission.
_ANONYMOUS = {"read_plans"}
# subscriber: the above; read the movie catalogue; read and update own profile; create, read and
# cancel own subscription; list the movies it may watch; play/stream those
_SUBSCRIBER = _ANONYMOUS | {
    "read_movies",
    "read_own_profile",
    "update_own_profile",
    "manage_own_subscription",
    "list_watchable",
    "play_entitled",
}
# editor: subscriber's rights; create, update, delete, restore movies; see deleted movies;
# add/remove movies to/from plans; play any movie
_EDITOR = _SUBSCRIBER | {"write_movies", "read_deleted_movies", "write_plan_movies", "play_any"}
# admin: everything: users, roles, plans, every subscription, payments
_ADMIN = _EDITOR | {"manage_users", "manage_plans", "manage_subscriptions", "record_payments"}

EXPECTED: dict[str | None, set[str]] = {
    None: _ANONYMOUS,
    "subscriber": _SUBSCRIBER,
    "editor": _EDITOR,
    "admin": _ADMIN,
}
EVERY_ACTION = _ADMIN

PRINCIPALS: dict[str | None, Principal] = {
    None: ANONYMOUS,
    "subscriber": Principal(user_id=1, role=Role.SUBSCRIBER),
    "editor": Principal(user_id=2, role=Role.EDITOR),
    "admin": Principal(user_id=3, role=Role.ADMIN),
}


def test_the_permissions_are_exactly_the_actions_of_the_spec() -> None:
    assert {p.value for p in Permission} == EVERY_ACTION


def test_the_table_has_one_row_per_role_and_one_for_anonymous() -> None:
    assert set(PERMISSIONS) == {None, *Role}
    assert {r.value for r in Role} == {"admin", "editor", "subscriber"}


def test_each_role_includes_the_rights_of_the_one_below() -> None:
    anonymous, subscriber = PERMISSIONS[None], PERMISSIONS[Role.SUBSCRIBER]
    editor, admin = PERMISSIONS[Role.EDITOR], PERMISSIONS[Role.ADMIN]
    assert anonymous < subscriber < editor < admin
    assert admin == frozenset(Permission)


@pytest.mark.parametrize("permission", list(Permission), ids=str)
@pytest.mark.parametrize("role", list(EXPECTED), ids=lambda r: r or "anonymous")
def test_the_table_matches_the_spec(role: str | None, permission: Permission) -> None:
    allowed = permission.value in EXPECTED[role]
    principal = PRINCIPALS[role]
    key = None if role is None else Role(role)

    assert (permission in PERMISSIONS[key]) is allowed
    assert principal.may(permission) is allowed
    if allowed:
        require(principal, permission)  # passes
    elif role is None:
        with pytest.raises(NotAuthenticatedError):
            require(principal, permission)
    else:
        with pytest.raises(PermissionDeniedError):
            require(principal, permission)


@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_the_trusted_local_caller_may_do_everything(permission: Permission) -> None:
    require(SYSTEM, permission)  # raises nothing
    assert not SYSTEM.is_anonymous


@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_a_forgotten_actor_is_refused_not_granted(permission: Permission) -> None:
    with pytest.raises(TypeError, match="SYSTEM"):
        require(None, permission)  # type: ignore[arg-type]


def _service_methods() -> list[tuple[str, inspect.Signature]]:
    from streamcore.auth.service import AuthService
    from streamcore.movies.service import MovieService
    from streamcore.subscriptions.service import (
        EntitlementService,
        PlanService,
        SubscriptionService,
    )

    services = (AuthService, MovieService, PlanService, SubscriptionService, EntitlementService)
    return [
        (f"{service.__name__}.{name}", inspect.signature(method))
        for service in services
        for name, method in inspect.getmembers(service, inspect.isfunction)
        if not name.startswith("_")
    ]


def test_every_actor_parameter_is_required_and_keyword_only() -> None:
    with_actor = [
        (name, sig.parameters["actor"])
        for name, sig in _service_methods()
        if "actor" in sig.parameters
    ]
    assert len(with_actor) > 30
    for name, parameter in with_actor:
        assert parameter.default is inspect.Parameter.empty, name
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name


def test_every_permission_is_asked_for_somewhere() -> None:
    package = Path(__file__).parents[2] / "streamcore"
    code = "\n".join(
        path.read_text() for path in package.rglob("*.py") if path.name != "permissions.py"
    )
    asked = set(re.findall(r"Permission\.([A-Z_]+)", code))
    assert asked == {p.name for p in Permission}


def test_a_refusal_names_the_role_and_the_action() -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        require(PRINCIPALS["editor"], Permission.MANAGE_USERS)
    assert refused.value.code == "permission_denied"
    assert "editor" in str(refused.value)
    assert "manage users" in str(refused.value)
    with pytest.raises(NotAuthenticatedError) as anonymous:
        require(ANONYMOUS, Permission.READ_MOVIES)
    assert anonymous.value.code == "not_authenticated"


def test_anonymous_is_a_principal_without_user_or_role() -> None:
    assert ANONYMOUS.is_anonymous
    assert ANONYMOUS.user_id is None
    assert ANONYMOUS.role is None
    assert not Principal(user_id=7, role=Role.SUBSCRIBER).is_anonymous


# --- the movie service asks the gate ----------------------------------------------------------


@pytest.fixture
def core() -> Iterator[StreamCore]:
    """A memory core (the checks come before any storage) with one live, one deleted movie."""
    with StreamCore.open("memory://", hasher=Argon2Hasher(CHEAPEST)) as opened:
        opened.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
        gone = opened.movies.create(MovieCreate(title="Brazil", year=1985), actor=SYSTEM)
        opened.movies.delete(gone.id, actor=SYSTEM)
        yield opened


LIVE_ID, DELETED_ID = 1, 2
EVERYTHING = MovieQuery(trashed="with", limit=100)
MovieCall = Callable[[StreamCore, Principal], Any]

WRITES: dict[str, MovieCall] = {
    "create": lambda core, actor: core.movies.create(
        MovieCreate(title="Heat", year=1995), actor=actor
    ),
    "replace": lambda core, actor: core.movies.replace(
        LIVE_ID, MovieCreate(title="Aliens", year=1986), actor=actor
    ),
    "update": lambda core, actor: core.movies.update(
        LIVE_ID, MoviePatch(description="In space."), actor=actor
    ),
    "delete": lambda core, actor: core.movies.delete(LIVE_ID, actor=actor),
    "restore": lambda core, actor: core.movies.restore(DELETED_ID, actor=actor),
    "import_movies": lambda core, actor: core.movies.import_movies(
        [(2, {"title": "Heat", "year": 1995})], actor=actor
    ),
}
READS: dict[str, MovieCall] = {
    "get": lambda core, actor: core.movies.get(LIVE_ID, actor=actor),
    "list": lambda core, actor: core.movies.list(actor=actor),
}
DELETED_READS: dict[str, MovieCall] = {
    "get include_deleted": lambda core, actor: core.movies.get(
        DELETED_ID, include_deleted=True, actor=actor
    ),
    "list trashed=with": lambda core, actor: core.movies.list(
        MovieQuery(trashed="with"), actor=actor
    ),
    "list trashed=only": lambda core, actor: core.movies.list(
        MovieQuery(trashed="only"), actor=actor
    ),
}


def _cases(calls: dict[str, MovieCall], allowed: set[str | None]) -> list[Any]:
    return [
        pytest.param(name, role, role in allowed, id=f"{name}-{role or 'anonymous'}")
        for name in calls
        for role in EXPECTED
    ]


def _check(core: StreamCore, call: MovieCall, role: str | None, allowed: bool) -> bool:
    """Call as ``role``; assert it passes or is refused; return whether the catalogue changed."""
    before = core.movies.list(EVERYTHING, actor=SYSTEM)
    if allowed:
        call(core, PRINCIPALS[role])
    else:
        expected = NotAuthenticatedError if role is None else PermissionDeniedError
        with pytest.raises(expected):
            call(core, PRINCIPALS[role])
    return core.movies.list(EVERYTHING, actor=SYSTEM) != before


@pytest.mark.parametrize(("name", "role", "allowed"), _cases(WRITES, {"editor", "admin"}))
def test_movie_writes_need_an_editor_or_admin(
    core: StreamCore, name: str, role: str | None, allowed: bool
) -> None:
    changed = _check(core, WRITES[name], role, allowed)
    assert changed is allowed  # an allowed write took effect; a refused one changed nothing


@pytest.mark.parametrize(
    ("name", "role", "allowed"), _cases(READS, {"subscriber", "editor", "admin"})
)
def test_movie_reads_need_a_logged_in_actor(
    core: StreamCore, name: str, role: str | None, allowed: bool
) -> None:
    assert not _check(core, READS[name], role, allowed)


@pytest.mark.parametrize(("name", "role", "allowed"), _cases(DELETED_READS, {"editor", "admin"}))
def test_seeing_deleted_movies_needs_an_editor_or_admin(
    core: StreamCore, name: str, role: str | None, allowed: bool
) -> None:
    assert not _check(core, DELETED_READS[name], role, allowed)


@pytest.mark.parametrize("name", [*WRITES, *READS, *DELETED_READS])
def test_the_trusted_local_caller_may_call_every_movie_method(core: StreamCore, name: str) -> None:
    {**WRITES, **READS, **DELETED_READS}[name](core, SYSTEM)  # raises nothing


def _sample(annotation: str) -> object:
    """A valid argument of the annotated type, so that only the actor is wrong."""
    from streamcore.auth.models import PasswordChange, ProfilePatch, UserCreate, UserPatch
    from streamcore.subscriptions.models import (
        PaymentCreate,
        PlanChange,
        PlanCreate,
        PlanPatch,
        SubscriptionCreate,
    )

    samples: dict[str, object] = {
        "int": 1,
        "str": "1",
        "MovieCreate": MovieCreate(title="Heat", year=1995),
        "MoviePatch": MoviePatch(title="Heat"),
        "UserCreate": UserCreate(email="a@example.org", password="long enough", name="A"),
        "UserPatch": UserPatch(name="A"),
        "ProfilePatch": ProfilePatch(name="A"),
        "PasswordChange": PasswordChange(password="long enough"),
        "PlanCreate": PlanCreate(name="Basic", price="1", currency="EUR", period="month"),
        "PlanPatch": PlanPatch(name="Basic"),
        "PlanChange": PlanChange(plan_id=1),
        "SubscriptionCreate": SubscriptionCreate(plan_id=1),
        "PaymentCreate": PaymentCreate(amount="1", currency="EUR", reference="r"),
    }
    return samples.get(annotation, [])


def test_no_service_method_takes_none_for_an_actor() -> None:
    """A forgotten actor (None) raises TypeError before anything is read or written."""
    with StreamCore.open("memory://", hasher=Argon2Hasher(CHEAPEST)) as core:
        calls = [
            method
            for service in (
                core.auth,
                core.movies,
                core.plans,
                core.subscriptions,
                core.entitlements,
            )
            for name, method in inspect.getmembers(service, inspect.ismethod)
            if not name.startswith("_") and "actor" in inspect.signature(method).parameters
        ]
        for method in calls:
            arguments = [
                _sample(p.annotation)
                for p in inspect.signature(method).parameters.values()
                if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
            ]
            with pytest.raises(TypeError, match="actor must be a Principal"):
                method(*arguments, actor=None)
    assert len(calls) > 30
