"""User events on every backend (SPEC §3.1, §3.4).

``user_registered``, ``user_updated`` and ``user_deleted`` carry typed, frozen payloads
(``UserRegistered``, ``UserUpdated`` with the names of the changed fields, ``UserDeleted``). They
are sent once per committed change, after the commit (a receiver already sees the change), and
never for a refused change or one that changes nothing. Every receiver connected here is
disconnected when its test ends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from blinker import ANY, NamedSignal

from streamcore import StorageError, StreamCore
from streamcore.auth.errors import UserNotFoundError
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
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import ANONYMOUS, SYSTEM, Principal, Role
from streamcore.auth.service import AuthService
from streamcore.events import (
    Event,
    UserDeleted,
    UserRegistered,
    UserUpdated,
    user_deleted,
    user_registered,
    user_updated,
)
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
NEW_PASSWORD = "new staple battery"
USER_SIGNALS = (user_registered, user_updated, user_deleted)
Heard = list[tuple[str, object, Event]]


@contextmanager
def listening(*signals: NamedSignal, sender: object = ANY) -> Iterator[Heard]:
    """Record ``(signal name, sender, event)`` for every send on ``signals`` while open."""
    heard: Heard = []
    with ExitStack() as stack:
        for signal in signals or USER_SIGNALS:

            def receiver(sender: object, *, event: Event, name: str = signal.name) -> None:
                heard.append((name, sender, event))

            stack.enter_context(signal.connected_to(receiver, sender=sender))
        yield heard


def register(core: StreamCore, email: str = "ann@example.org") -> User:
    return core.auth.register(Registration(email=email, password=PASSWORD, name="Ann"))


# --- one event per committed change ---------------------------------------------------------------


def test_register_sends_user_registered(core: StreamCore, clock: FakeClock) -> None:
    with listening() as heard:
        ann = core.auth.register(
            Registration(email=" Ann@Example.ORG ", password=PASSWORD, name="Ann")
        )

    assert heard == [
        (
            "user_registered",
            core,
            UserRegistered(
                occurred_at=clock.now, user_id=ann.id, email="ann@example.org", role="subscriber"
            ),
        )
    ]


def test_an_admin_creating_a_user_sends_user_registered_with_its_role(
    core: StreamCore, clock: FakeClock
) -> None:
    admin = core.auth.create_user(
        UserCreate(email="root@example.org", password=PASSWORD, name="Root", role="admin"),
        actor=SYSTEM,
    )
    clock.advance(minutes=1)
    with listening() as heard:
        ed = core.auth.create_user(
            UserCreate(email="ed@example.org", password=PASSWORD, name="Ed", role="editor"),
            actor=admin.principal,
        )

    assert heard == [
        (
            "user_registered",
            core,
            UserRegistered(
                occurred_at=clock.now, user_id=ed.id, email="ed@example.org", role="editor"
            ),
        )
    ]


Change = Callable[[StreamCore, User], object]
CHANGES: dict[str, tuple[Change, tuple[str, ...]]] = {
    "update_user, every field": (
        lambda core, u: core.auth.update_user(
            u.id,
            UserPatch(name="Annie", role="editor", is_active=False, notify_new_movies=False),
            actor=SYSTEM,
        ),
        ("name", "role", "is_active", "notify_new_movies"),
    ),
    "update_user, one changed of two": (
        lambda core, u: core.auth.update_user(
            u.id, UserPatch(name="Ann", role="editor"), actor=SYSTEM
        ),
        ("role",),
    ),
    "deactivation": (
        lambda core, u: core.auth.update_user(u.id, UserPatch(is_active=False), actor=SYSTEM),
        ("is_active",),
    ),
    "set_password": (
        lambda core, u: core.auth.set_password(
            u.id, PasswordChange(password=NEW_PASSWORD), actor=SYSTEM
        ),
        ("password",),
    ),
    "update_profile": (
        lambda core, u: core.auth.update_profile(
            ProfilePatch(notify_new_movies=False, name="Annie"), actor=u.principal
        ),
        ("name", "notify_new_movies"),
    ),
    "update_profile with a password": (
        lambda core, u: core.auth.update_profile(
            ProfilePatch(name="Annie", password=NEW_PASSWORD), actor=u.principal
        ),
        ("name", "password"),
    ),
}


@pytest.mark.parametrize("case", list(CHANGES))
def test_a_change_sends_user_updated_naming_the_changed_fields(
    core: StreamCore, clock: FakeClock, case: str
) -> None:
    ann = register(core)
    clock.advance(minutes=1)
    change, changed = CHANGES[case]

    with listening() as heard:
        change(core, ann)

    assert heard == [
        ("user_updated", core, UserUpdated(occurred_at=clock.now, user_id=ann.id, changed=changed))
    ]


def test_delete_sends_user_deleted_and_restore_sends_user_updated(
    core: StreamCore, clock: FakeClock
) -> None:
    ann = register(core)
    deleted_at = clock.advance(minutes=1)
    with listening() as heard:
        core.auth.delete_user(ann.id, actor=SYSTEM)
        restored_at = clock.advance(minutes=1)
        core.auth.restore_user(ann.id, actor=SYSTEM)
        core.auth.restore_user(ann.id, actor=SYSTEM)  # not deleted any more: nothing happens

    assert heard == [
        ("user_deleted", core, UserDeleted(occurred_at=deleted_at, user_id=ann.id)),
        (
            "user_updated",
            core,
            UserUpdated(occurred_at=restored_at, user_id=ann.id, changed=("deleted_at",)),
        ),
    ]


def test_logins_logouts_and_reads_send_nothing(core: StreamCore) -> None:
    ann = register(core)
    with listening() as heard:
        token = core.auth.login(Credentials(email=ann.email, password=PASSWORD)).access_token
        core.auth.authenticate(token)
        core.auth.get_user(ann.id, actor=SYSTEM)
        core.auth.list_users(actor=SYSTEM)
        core.auth.logout(token)
        core.auth.purge_expired()
    assert heard == []


# --- nothing for a refused change, or one that changes nothing ------------------------------------

SUBSCRIBER = Principal(user_id=1, role=Role.SUBSCRIBER)
EDITOR = Principal(user_id=2, role=Role.EDITOR)
REFUSED: dict[str, Callable[[StreamCore], object]] = {
    "register a taken email": lambda core: register(core, "ANN@example.org"),
    "create a taken email": lambda core: core.auth.create_user(
        UserCreate(email="ann@example.org", password=PASSWORD, name="X"), actor=SYSTEM
    ),
    "create by an editor": lambda core: core.auth.create_user(
        UserCreate(email="new@example.org", password=PASSWORD, name="X"), actor=EDITOR
    ),
    "update by the subscriber itself": lambda core: core.auth.update_user(
        1, UserPatch(role="admin"), actor=SUBSCRIBER
    ),
    "update an unknown user": lambda core: core.auth.update_user(
        99, UserPatch(name="X"), actor=SYSTEM
    ),
    "password equal to the email": lambda core: core.auth.set_password(
        1, PasswordChange(password="Ann@Example.org"), actor=SYSTEM
    ),
    "set another's password": lambda core: core.auth.set_password(
        2, PasswordChange(password=NEW_PASSWORD), actor=SUBSCRIBER
    ),
    "anonymous profile update": lambda core: core.auth.update_profile(
        ProfilePatch(name="X"), actor=ANONYMOUS
    ),
    "delete by an editor": lambda core: core.auth.delete_user(1, actor=EDITOR),
    "delete an unknown user": lambda core: core.auth.delete_user(99, actor=SYSTEM),
    "restore by anonymous": lambda core: core.auth.restore_user(3, actor=ANONYMOUS),
    "restore an unknown user": lambda core: core.auth.restore_user(99, actor=SYSTEM),
}


def error_name(call: Callable[..., object], *args: object) -> str:
    try:
        call(*args)
    except Exception as exc:
        return type(exc).__name__
    return "no error"


def test_a_refused_change_sends_nothing(core: StreamCore) -> None:
    register(core, "ann@example.org")
    register(core, "ed@example.org")
    gone = register(core, "gone@example.org")
    core.auth.delete_user(gone.id, actor=SYSTEM)

    with listening() as heard:
        refused = {case: error_name(call, core) for case, call in REFUSED.items()}

    assert heard == []
    assert refused == {
        "register a taken email": "DuplicateEmailError",
        "create a taken email": "DuplicateEmailError",
        "create by an editor": "PermissionDeniedError",
        "update by the subscriber itself": "PermissionDeniedError",
        "update an unknown user": "UserNotFoundError",
        "password equal to the email": "InvalidInputError",
        "set another's password": "PermissionDeniedError",
        "anonymous profile update": "NotAuthenticatedError",
        "delete by an editor": "PermissionDeniedError",
        "delete an unknown user": "UserNotFoundError",
        "restore by anonymous": "NotAuthenticatedError",
        "restore an unknown user": "UserNotFoundError",
    }


def test_a_change_that_changes_nothing_sends_nothing(core: StreamCore) -> None:
    ann = register(core)
    with listening() as heard:
        core.auth.update_user(
            ann.id, UserPatch(name="Ann", role="subscriber", is_active=True), actor=SYSTEM
        )
        core.auth.update_user(ann.id, UserPatch(), actor=SYSTEM)
        core.auth.update_profile(ProfilePatch(notify_new_movies=True), actor=ann.principal)
        core.auth.restore_user(ann.id, actor=SYSTEM)
    assert heard == []


# --- after the commit -----------------------------------------------------------------------------


def test_a_receiver_already_sees_the_committed_change(core: StreamCore) -> None:
    seen: list[tuple[str, object]] = []

    def look(sender: StreamCore, *, event: Event) -> None:
        assert isinstance(event, UserRegistered | UserUpdated | UserDeleted)
        try:
            name = sender.auth.get_user(event.user_id, actor=SYSTEM).name
        except UserNotFoundError:
            name = "not found"
        seen.append((type(event).__name__, name))

    with ExitStack() as stack:
        for signal in USER_SIGNALS:
            stack.enter_context(signal.connected_to(look, sender=core))
        ann = register(core)
        core.auth.update_user(ann.id, UserPatch(name="Annie"), actor=SYSTEM)
        core.auth.delete_user(ann.id, actor=SYSTEM)
        core.auth.restore_user(ann.id, actor=SYSTEM)

    assert seen == [
        ("UserRegistered", "Ann"),
        ("UserUpdated", "Annie"),
        ("UserDeleted", "not found"),
        ("UserUpdated", "Annie"),
    ]


class FailingCommits:
    """A unit-of-work factory over ``storage`` whose commits fail, as a lost connection would."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage

    def __call__(self, *, readonly: bool = False) -> Any:
        uow = self._storage.unit_of_work(readonly=readonly)

        def commit() -> None:
            raise StorageError("the database went away")

        uow.commit = commit
        return uow


def test_a_change_whose_commit_fails_sends_nothing(core: StreamCore, clock: FakeClock) -> None:
    ann = register(core)
    gone = register(core, "gone@example.org")
    core.auth.delete_user(gone.id, actor=SYSTEM)
    failing = AuthService(FailingCommits(core.storage), Argon2Hasher(CHEAPEST), clock=clock)
    before = core.auth.list_users(UserQuery(trashed="with"), actor=SYSTEM)
    changes: dict[str, Callable[[], object]] = {
        "register": lambda: failing.register(
            Registration(email="new@example.org", password=PASSWORD, name="New")
        ),
        "update_user": lambda: failing.update_user(ann.id, UserPatch(name="Annie"), actor=SYSTEM),
        "set_password": lambda: failing.set_password(
            ann.id, PasswordChange(password=NEW_PASSWORD), actor=SYSTEM
        ),
        "delete_user": lambda: failing.delete_user(ann.id, actor=SYSTEM),
        "restore_user": lambda: failing.restore_user(gone.id, actor=SYSTEM),
    }

    with listening() as heard:
        results = {name: error_name(change) for name, change in changes.items()}

    assert results == dict.fromkeys(changes, "StorageError")
    assert heard == []
    assert core.auth.list_users(UserQuery(trashed="with"), actor=SYSTEM) == before


def test_a_receiver_connected_to_another_core_hears_nothing(core: StreamCore) -> None:
    with StreamCore.open("memory://") as other, listening(sender=other) as heard:
        register(core)
    assert heard == []


# --- the payloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [UserRegistered, UserUpdated, UserDeleted])
def test_payloads_are_frozen_and_carry_no_secret(payload: type[Event]) -> None:
    names = {f.name for f in dataclasses.fields(payload)}
    assert names <= {"occurred_at", "user_id", "email", "role", "changed"}
    assert "user_id" in names
    assert dataclasses.is_dataclass(payload)
    assert payload.__dataclass_params__.frozen  # type: ignore[attr-defined]
