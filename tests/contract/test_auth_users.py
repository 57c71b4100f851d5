"""The user accounts contract (SPEC §3.1) that every storage backend must pass.

Everything goes through ``core.auth`` (``AuthService``) on the memory, SQLite and PostgreSQL
backends: register, create by an admin, get, list, update, soft delete, restore, set password and
update profile, with their permission and ownership checks. Emails are unique case-insensitively,
and the storage enforces that too, past the service's own check. No returned model shows the
password or its hash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from streamcore import (
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    StreamCore,
)
from streamcore.auth.errors import DuplicateEmailError, InvalidCredentialsError, UserNotFoundError
from streamcore.auth.models import (
    Credentials,
    PasswordChange,
    ProfilePatch,
    Registration,
    User,
    UserCreate,
    UserPatch,
    UserQuery,
)
from streamcore.auth.permissions import ANONYMOUS, SYSTEM, Principal, Role
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
NEW_PASSWORD = "new staple battery"
EVERYONE = UserQuery(trashed="with", limit=100)


def register(core: StreamCore, email: str = "ann@example.org", name: str = "Ann") -> User:
    return core.auth.register(Registration(email=email, password=PASSWORD, name=name))


def create(core: StreamCore, email: str, role: Role = Role.SUBSCRIBER, **fields: Any) -> User:
    data = UserCreate(email=email, password=PASSWORD, name=email.split("@")[0], role=role, **fields)
    return core.auth.create_user(data, actor=SYSTEM)


def admin_of(core: StreamCore) -> Principal:
    return create(core, "root@example.org", Role.ADMIN).principal


def snapshot(core: StreamCore) -> list[User]:
    """Every stored user, deleted ones included."""
    return list(core.auth.list_users(EVERYONE, actor=SYSTEM).items)


def can_log_in(core: StreamCore, email: str, password: str = PASSWORD) -> bool:
    try:
        core.auth.login(Credentials(email=email, password=password))
    except InvalidCredentialsError:
        return False
    return True


def outcome(call: Callable[..., object], *args: Any, **kwargs: Any) -> str:
    """``"ok"``, or the name of the error ``call`` raised: tables of cases compare as a whole."""
    try:
        call(*args, **kwargs)
    except Exception as exc:
        return type(exc).__name__
    return "ok"


def stored_hash(core: StreamCore, user_id: int) -> str | None:
    with core.storage.unit_of_work(readonly=True) as uow:
        return uow.users.password_hash(user_id)


# --- register and create --------------------------------------------------------------------------


def test_register_makes_an_active_notified_subscriber(core: StreamCore, clock: FakeClock) -> None:
    user = core.auth.register(
        Registration(email="  Ann@Example.ORG ", password=PASSWORD, name="  Ann Smith ")
    )

    assert user == User(
        id=user.id,
        email="ann@example.org",
        name="Ann Smith",
        role=Role.SUBSCRIBER,
        is_active=True,
        notify_new_movies=True,
        created_at=clock.now,
        updated_at=clock.now,
        deleted_at=None,
    )
    assert core.auth.get_user(user.id, actor=SYSTEM) == user
    assert core.auth.find_user("ANN@example.org", actor=SYSTEM) == user
    assert core.auth.find_user(str(user.id), actor=SYSTEM) == user


def test_registered_users_get_their_own_ids(core: StreamCore) -> None:
    ids = [register(core, f"user{n}@example.org").id for n in range(3)]
    assert len(set(ids)) == 3
    assert [u.id for u in snapshot(core)] == sorted(ids)


def test_an_admin_creates_users_with_any_role(core: StreamCore, clock: FakeClock) -> None:
    admin = admin_of(core)
    created = {
        role: core.auth.create_user(
            UserCreate(
                email=f"{role.value.upper()}@Example.org",
                password=PASSWORD,
                name=role.value,
                role=role,
                is_active=role is not Role.EDITOR,
                notify_new_movies=role is Role.EDITOR,
            ),
            actor=admin,
        )
        for role in Role
    }

    assert {
        role: (u.email, u.role, u.is_active, u.notify_new_movies) for role, u in created.items()
    } == {
        Role.ADMIN: ("admin@example.org", Role.ADMIN, True, False),
        Role.EDITOR: ("editor@example.org", Role.EDITOR, False, True),
        Role.SUBSCRIBER: ("subscriber@example.org", Role.SUBSCRIBER, True, False),
    }
    assert all(u.created_at == u.updated_at == clock.now for u in created.values())
    assert snapshot(core)[1:] == list(created.values())


def test_only_an_admin_creates_users(core: StreamCore) -> None:
    data = UserCreate(email="bob@example.org", password=PASSWORD, name="Bob", role=Role.ADMIN)
    actors = {
        "anonymous": ANONYMOUS,
        "subscriber": Principal(user_id=1, role=Role.SUBSCRIBER),
        "editor": Principal(user_id=2, role=Role.EDITOR),
    }
    results = {who: outcome(core.auth.create_user, data, actor=a) for who, a in actors.items()}
    assert results == {
        "anonymous": "NotAuthenticatedError",
        "subscriber": "PermissionDeniedError",
        "editor": "PermissionDeniedError",
    }
    assert snapshot(core) == []


def test_emails_are_unique_case_insensitively(core: StreamCore) -> None:
    first = register(core, "Ann@example.org")
    again = ["ann@example.org", "ANN@EXAMPLE.ORG", " Ann@Example.Org "]
    errors: dict[tuple[str, str], Exception] = {}
    for email in again:
        with pytest.raises(DuplicateEmailError) as registered:
            register(core, email, name="Other Ann")
        with pytest.raises(DuplicateEmailError) as created:
            create(core, email, Role.EDITOR)
        errors |= {("register", email): registered.value, ("create", email): created.value}
    assert len(errors) == 6
    assert all(isinstance(e, ConflictError) for e in errors.values())
    assert all("ann@example.org" in str(e) for e in errors.values())
    assert snapshot(core) == [first]


def test_a_deleted_users_email_stays_taken(core: StreamCore) -> None:
    ann = register(core)
    core.auth.delete_user(ann.id, actor=SYSTEM)
    with pytest.raises(DuplicateEmailError):
        register(core, "ANN@example.org")


@pytest.mark.parametrize("commit_between", [False, True], ids=["one-transaction", "two"])
def test_the_storage_itself_refuses_a_second_user_with_the_same_email(
    core: StreamCore, clock: FakeClock, commit_between: bool
) -> None:
    """Past the service's pre-check: ``uow.users.add`` twice, as two racing processes would."""
    first = UserCreate(email="ann@example.org", password=PASSWORD, name="Ann")
    second = UserCreate(email="ANN@Example.ORG", password=PASSWORD, name="Other Ann")
    if commit_between:
        with core.storage.unit_of_work() as uow:
            uow.users.add(first, "hash-1", clock.now)
            uow.commit()

    def add_second() -> None:
        with core.storage.unit_of_work() as uow:
            if not commit_between:
                uow.users.add(first, "hash-1", clock.now)
            uow.users.add(second, "hash-2", clock.now)
            uow.commit()

    with pytest.raises(DuplicateEmailError):
        add_second()

    assert [u.email for u in snapshot(core)] == (["ann@example.org"] if commit_between else [])


# --- get ------------------------------------------------------------------------------------------


def test_get_an_unknown_user(core: StreamCore) -> None:
    register(core)
    unknown = [0, -1, 999, 2**31, 2**63]
    results = {n: outcome(core.auth.get_user, n, actor=SYSTEM) for n in unknown}
    assert results == dict.fromkeys(unknown, "UserNotFoundError")
    assert issubclass(UserNotFoundError, NotFoundError)


def test_a_user_reads_its_own_profile_an_admin_any(core: StreamCore) -> None:
    users = {
        "ann": register(core, "ann@example.org"),
        "bob": register(core, "bob@example.org"),
        "editor": create(core, "ed@example.org", Role.EDITOR),
        "admin": create(core, "root@example.org", Role.ADMIN),
    }
    actors = {who: u.principal for who, u in users.items()} | {"anonymous": ANONYMOUS}

    def read(who: str, whom: str) -> str:
        try:
            got = core.auth.get_user(users[whom].id, actor=actors[who])
        except Exception as exc:
            return type(exc).__name__
        return "ok" if got == users[whom] else f"wrong user {got.id}"

    results = {(who, whom): read(who, whom) for who in actors for whom in users}
    ok, denied = "ok", "PermissionDeniedError"
    assert results == {
        **{("ann", w): denied for w in users} | {("ann", "ann"): ok},
        **{("bob", w): denied for w in users} | {("bob", "bob"): ok},
        **{("editor", w): denied for w in users} | {("editor", "editor"): ok},
        **{("admin", w): ok for w in users},
        **{("anonymous", w): "NotAuthenticatedError" for w in users},
    }


# --- list -----------------------------------------------------------------------------------------

LISTINGS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "default": ({}, ["root", "ann", "bob", "cat"]),
    "q email, any case": ({"q": "ANN"}, ["ann"]),
    "q name, any case": ({"q": "builder"}, ["bob"]),
    "q domain": ({"q": "example.org"}, ["root", "ann", "bob", "cat"]),
    "q percent is literal": ({"q": "%"}, ["cat"]),
    "q underscore is literal": ({"q": "_"}, []),
    "q no match": ({"q": "zed"}, []),
    "q deleted user hidden": ({"q": "dan"}, []),
    "role editor": ({"role": "editor"}, ["bob"]),
    "role subscriber": ({"role": "subscriber"}, ["ann", "cat"]),
    "inactive": ({"is_active": False}, ["cat"]),
    "active": ({"is_active": True}, ["root", "ann", "bob"]),
    "trashed only": ({"trashed": "only"}, ["dan"]),
    "trashed with": ({"trashed": "with"}, ["root", "ann", "bob", "cat", "dan"]),
    "role and trashed": ({"role": "subscriber", "trashed": "with"}, ["ann", "cat", "dan"]),
    "q and role": ({"q": "example", "role": "admin"}, ["root"]),
}


def population(core: StreamCore) -> None:
    """root (admin), ann, bob (editor), cat (inactive), dan (deleted): ids 1..5."""
    create(core, "root@example.org", Role.ADMIN)
    register(core, "ann@example.org", "Ann Smith")
    core.auth.create_user(
        UserCreate(email="bob@example.org", password=PASSWORD, name="Bob Builder", role="editor"),
        actor=SYSTEM,
    )
    create(core, "cat@example.org", is_active=False)
    dan = register(core, "dan@example.org", "Dan")
    core.auth.delete_user(dan.id, actor=SYSTEM)
    # cat's name has a percent sign: a LIKE wildcard if not escaped.
    core.auth.update_user(4, UserPatch(name="Cat 100% Fan"), actor=SYSTEM)


def test_list_filters(core: StreamCore) -> None:
    population(core)

    def listed(fields: dict[str, Any]) -> tuple[list[str], int]:
        page = core.auth.list_users(UserQuery(**fields), actor=SYSTEM)
        return [u.email.split("@")[0] for u in page.items], page.total

    actual = {case: listed(fields) for case, (fields, _) in LISTINGS.items()}
    expected = {case: (names, len(names)) for case, (_, names) in LISTINGS.items()}
    assert actual == expected


PAGES: dict[str, tuple[dict[str, Any], list[str], int]] = {
    "first page": ({"limit": 2}, ["root", "ann"], 4),
    "second page": ({"limit": 2, "offset": 2}, ["bob", "cat"], 4),
    "a short last page": ({"limit": 2, "offset": 3}, ["cat"], 4),
    "just past the end": ({"limit": 2, "offset": 4}, [], 4),
    "far past the end": ({"limit": 100, "offset": 10}, [], 4),
    "filtered": ({"limit": 1, "role": "subscriber"}, ["ann"], 2),
    "filtered past the end": ({"limit": 1, "offset": 1, "trashed": "only"}, [], 1),
    "exactly full": ({"limit": 4}, ["root", "ann", "bob", "cat"], 4),
}


def test_list_pages_and_counts_every_match(core: StreamCore) -> None:
    population(core)

    def page_of(fields: dict[str, Any]) -> tuple[list[str], int, int, int]:
        page = core.auth.list_users(UserQuery(**fields), actor=SYSTEM)
        names = [u.email.split("@")[0] for u in page.items]
        return names, page.total, page.limit, page.offset

    actual = {case: page_of(fields) for case, (fields, _, _) in PAGES.items()}
    expected = {
        case: (names, total, fields["limit"], fields.get("offset", 0))
        for case, (fields, names, total) in PAGES.items()
    }
    assert actual == expected


def test_list_without_a_query_is_the_first_page(core: StreamCore) -> None:
    population(core)
    page = core.auth.list_users(actor=SYSTEM)
    assert (len(page.items), page.total, page.limit, page.offset) == (4, 4, 20, 0)


NON_ADMINS = {
    "anonymous": ANONYMOUS,
    "subscriber itself": Principal(user_id=1, role=Role.SUBSCRIBER),
    "editor": Principal(user_id=2, role=Role.EDITOR),
}
REFUSED = {
    "anonymous": "NotAuthenticatedError",
    "subscriber itself": "PermissionDeniedError",
    "editor": "PermissionDeniedError",
}


def test_only_an_admin_lists_users(core: StreamCore) -> None:
    register(core)
    create(core, "ed@example.org", Role.EDITOR)
    admin = admin_of(core)
    results = {who: outcome(core.auth.list_users, actor=a) for who, a in NON_ADMINS.items()}
    assert results == REFUSED
    assert core.auth.list_users(actor=admin).total == 3


# --- update ---------------------------------------------------------------------------------------


def test_an_admin_updates_name_role_activity_and_notify_flag(
    core: StreamCore, clock: FakeClock
) -> None:
    admin = admin_of(core)
    ann = register(core)
    created_at = clock.now
    clock.advance(minutes=5)

    patch = UserPatch(name=" Ann B. ", role="editor", is_active=False, notify_new_movies=False)
    updated = core.auth.update_user(ann.id, patch, actor=admin)

    assert updated == ann.model_copy(
        update={
            "name": "Ann B.",
            "role": Role.EDITOR,
            "is_active": False,
            "notify_new_movies": False,
            "updated_at": clock.now,
        }
    )
    assert updated.created_at == created_at
    assert core.auth.get_user(ann.id, actor=SYSTEM) == updated
    assert core.auth.list_users(UserQuery(q="ann"), actor=SYSTEM).items == (updated,)


def test_an_update_that_changes_nothing_keeps_updated_at(
    core: StreamCore, clock: FakeClock
) -> None:
    ann = register(core)
    clock.advance(minutes=5)
    assert (
        core.auth.update_user(ann.id, UserPatch(name="Ann", role="subscriber"), actor=SYSTEM) == ann
    )
    assert core.auth.update_user(ann.id, UserPatch(), actor=SYSTEM) == ann
    assert core.auth.get_user(ann.id, actor=SYSTEM) == ann


@pytest.mark.parametrize("method", ["update_user", "delete_user", "restore_user"])
def test_only_an_admin_updates_deletes_or_restores(core: StreamCore, method: str) -> None:
    ann = register(core)
    create(core, "ed@example.org", Role.EDITOR)
    if method == "restore_user":
        core.auth.delete_user(ann.id, actor=SYSTEM)
    args: tuple[Any, ...] = (UserPatch(role="admin"),) if method == "update_user" else ()
    before = snapshot(core)

    call = getattr(core.auth, method)
    results = {who: outcome(call, ann.id, *args, actor=a) for who, a in NON_ADMINS.items()}

    assert results == REFUSED
    assert snapshot(core) == before


@pytest.mark.parametrize("deleted", [False, True], ids=["unknown", "deleted"])
def test_update_of_an_unknown_or_deleted_user(core: StreamCore, deleted: bool) -> None:
    ann = register(core)
    if deleted:
        core.auth.delete_user(ann.id, actor=SYSTEM)
    with pytest.raises(UserNotFoundError):
        core.auth.update_user(ann.id if deleted else 99, UserPatch(name="X"), actor=SYSTEM)


# --- delete and restore ---------------------------------------------------------------------------


def test_soft_delete_and_restore(core: StreamCore, clock: FakeClock) -> None:
    admin = admin_of(core)
    ann = register(core)
    deleted_at = clock.advance(minutes=1)

    core.auth.delete_user(ann.id, actor=admin)

    with pytest.raises(UserNotFoundError):
        core.auth.get_user(ann.id, actor=SYSTEM)
    gone = core.auth.get_user(ann.id, include_deleted=True, actor=SYSTEM)
    assert (gone.deleted_at, gone.updated_at) == (deleted_at, deleted_at)
    assert [u.id for u in core.auth.list_users(actor=SYSTEM).items] == [admin.user_id]
    assert [u.id for u in core.auth.list_users(UserQuery(trashed="only"), actor=SYSTEM).items] == [
        ann.id
    ]
    assert not can_log_in(core, "ann@example.org")
    with pytest.raises(UserNotFoundError):
        core.auth.delete_user(ann.id, actor=admin)  # already deleted

    restored_at = clock.advance(minutes=1)
    restored = core.auth.restore_user(ann.id, actor=admin)

    assert restored == ann.model_copy(update={"updated_at": restored_at})
    assert core.auth.get_user(ann.id, actor=SYSTEM) == restored
    assert [u.id for u in core.auth.list_users(actor=SYSTEM).items] == [admin.user_id, ann.id]
    assert can_log_in(core, "ann@example.org")

    clock.advance(minutes=1)
    assert core.auth.restore_user(ann.id, actor=admin) == restored  # not deleted: as it is


@pytest.mark.parametrize("method", ["delete_user", "restore_user"])
def test_delete_or_restore_an_unknown_user(core: StreamCore, method: str) -> None:
    with pytest.raises(UserNotFoundError):
        getattr(core.auth, method)(42, actor=SYSTEM)


# --- passwords and profile ------------------------------------------------------------------------

Setter = Callable[[StreamCore, User, str], User]
SETTERS: dict[str, Setter] = {
    "set_password by the trusted caller": lambda core, user, pw: core.auth.set_password(
        user.id, PasswordChange(password=pw), actor=SYSTEM
    ),
    "set_password by an admin": lambda core, user, pw: core.auth.set_password(
        user.id,
        PasswordChange(password=pw),
        actor=Principal(user_id=99, role=Role.ADMIN),
    ),
    "set_password by the user itself": lambda core, user, pw: core.auth.set_password(
        user.id, PasswordChange(password=pw), actor=user.principal
    ),
    "update_profile": lambda core, user, pw: core.auth.update_profile(
        ProfilePatch(password=pw), actor=user.principal
    ),
}


@pytest.mark.parametrize("how", list(SETTERS))
def test_a_new_password_replaces_the_old_one(core: StreamCore, clock: FakeClock, how: str) -> None:
    ann = register(core)
    old_hash = stored_hash(core, ann.id)
    clock.advance(minutes=1)

    user = SETTERS[how](core, ann, NEW_PASSWORD)

    assert user == ann.model_copy(update={"updated_at": clock.now})
    assert stored_hash(core, ann.id) != old_hash
    assert not can_log_in(core, "ann@example.org", PASSWORD)
    assert can_log_in(core, "ann@example.org", NEW_PASSWORD)


def test_a_new_password_may_not_be_the_email(core: StreamCore) -> None:
    ann = register(core)
    old_hash = stored_hash(core, ann.id)
    errors: dict[tuple[str, str], InvalidInputError] = {}
    for how, setter in SETTERS.items():
        for password in ["ann@example.org", "ANN@EXAMPLE.ORG", "Ann@Example.org"]:
            with pytest.raises(InvalidInputError) as error:
                setter(core, ann, password)
            errors[(how, password)] = error.value
    assert {case: e.fields for case, e in errors.items()} == dict.fromkeys(errors, ("password",))
    assert [case for case, e in errors.items() if case[1] in str(e)] == []
    assert stored_hash(core, ann.id) == old_hash
    assert core.auth.get_user(ann.id, actor=SYSTEM) == ann
    assert can_log_in(core, "ann@example.org", PASSWORD)


def test_only_the_user_itself_or_an_admin_sets_its_password(core: StreamCore) -> None:
    ann = register(core)
    actors = {
        "bob": register(core, "bob@example.org").principal,
        "editor": create(core, "ed@example.org", Role.EDITOR).principal,
        "anonymous": ANONYMOUS,
    }
    old_hash = stored_hash(core, ann.id)
    change = PasswordChange(password=NEW_PASSWORD)
    results = {
        who: outcome(core.auth.set_password, ann.id, change, actor=a) for who, a in actors.items()
    }
    assert results == {
        "bob": "PermissionDeniedError",
        "editor": "PermissionDeniedError",
        "anonymous": "NotAuthenticatedError",
    }
    assert stored_hash(core, ann.id) == old_hash


def test_set_password_of_an_unknown_user(core: StreamCore) -> None:
    with pytest.raises(UserNotFoundError):
        core.auth.set_password(7, PasswordChange(password=NEW_PASSWORD), actor=SYSTEM)


def test_a_user_updates_its_own_name_and_notify_flag(core: StreamCore, clock: FakeClock) -> None:
    ann = register(core)
    bob = register(core, "bob@example.org", "Bob")
    clock.advance(hours=1)

    updated = core.auth.update_profile(
        ProfilePatch(name="Annie", notify_new_movies=False), actor=ann.principal
    )

    assert updated == ann.model_copy(
        update={"name": "Annie", "notify_new_movies": False, "updated_at": clock.now}
    )
    assert core.auth.get_user(ann.id, actor=SYSTEM) == updated
    assert core.auth.get_user(bob.id, actor=SYSTEM) == bob  # only its own
    assert can_log_in(core, "ann@example.org", PASSWORD)  # password untouched


def test_a_profile_update_cannot_change_role_activity_or_email(core: StreamCore) -> None:
    ann = register(core)
    refused = [{"role": "admin"}, {"is_active": False}, {"email": "x@example.org"}]
    named = []
    for fields in refused:
        with pytest.raises(InvalidInputError) as error:
            core.auth.update_profile(ProfilePatch.model_validate(fields), actor=ann.principal)
        named.append(error.value.fields)
    assert named == [("role",), ("is_active",), ("email",)]
    assert core.auth.get_user(ann.id, actor=SYSTEM) == ann


def test_an_anonymous_caller_has_no_profile(core: StreamCore) -> None:
    register(core)
    before = snapshot(core)
    with pytest.raises(NotAuthenticatedError):
        core.auth.update_profile(ProfilePatch(name="Ghost"), actor=ANONYMOUS)
    with pytest.raises(NotAuthenticatedError):  # the trusted local caller is nobody's profile
        core.auth.update_profile(ProfilePatch(name="Ghost"), actor=SYSTEM)
    assert snapshot(core) == before


# --- no secret leaves the core --------------------------------------------------------------------


def test_no_returned_model_or_log_line_shows_the_password_or_its_hash(
    core: StreamCore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = admin_of(core)
    ann = register(core)
    returned: list[Any] = [
        ann,
        core.auth.get_user(ann.id, actor=SYSTEM),
        core.auth.find_user("ann@example.org", actor=SYSTEM),
        core.auth.list_users(EVERYONE, actor=SYSTEM),
        core.auth.update_user(ann.id, UserPatch(name="Ann B."), actor=admin),
        core.auth.login(Credentials(email="ann@example.org", password=PASSWORD)),
        core.auth.update_profile(ProfilePatch(notify_new_movies=False), actor=ann.principal),
    ]
    clock.advance(seconds=1)
    returned.append(
        core.auth.set_password(ann.id, PasswordChange(password=NEW_PASSWORD), actor=SYSTEM)
    )
    returned.append(core.auth.login(Credentials(email="ann@example.org", password=NEW_PASSWORD)))
    with pytest.raises(InvalidCredentialsError) as failed:
        core.auth.login(Credentials(email="ann@example.org", password=PASSWORD))
    secrets = [PASSWORD, NEW_PASSWORD, stored_hash(core, ann.id), stored_hash(core, 1)]

    shown = [
        text
        for model in returned
        for text in (repr(model), str(model), model.model_dump_json(), str(model.model_dump()))
    ]
    shown += [str(failed.value), repr(failed.value), caplog.text]
    leaks = [(s, t) for s in secrets for t in shown if s and s in t]
    assert leaks == []
    assert all(s for s in secrets)


def test_updated_at_keeps_microseconds(core: StreamCore, clock: FakeClock) -> None:
    """A change at a later time moves updated_at, to the microsecond, and not created_at."""
    ann = register(core)
    later = clock.advance(days=2, microseconds=7)
    core.auth.set_password(ann.id, PasswordChange(password=NEW_PASSWORD), actor=SYSTEM)
    after = core.auth.get_user(ann.id, actor=SYSTEM)
    assert (after.created_at, after.updated_at) == (ann.created_at, later)
    assert later - ann.created_at == timedelta(days=2, microseconds=7)
