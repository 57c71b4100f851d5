"""The one permission table (SPEC §3.1) and the one gate, ``require``.

Every REST route and every service call that needs a permission asks ``require`` here. Which
*rows* a caller may touch (its own profile, its own subscription) is for the services to say;
this table says which *actions* a role may take. This module depends on nothing but the
standard library and ``streamcore.errors``, so every domain may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from streamcore.errors import NotAuthenticatedError, PermissionDeniedError


class Role(StrEnum):
    """What a user is."""

    ADMIN = "admin"
    EDITOR = "editor"
    SUBSCRIBER = "subscriber"


class Permission(StrEnum):
    """An action someone may be allowed to take."""

    READ_PLANS = "read_plans"
    READ_MOVIES = "read_movies"
    READ_OWN_PROFILE = "read_own_profile"
    UPDATE_OWN_PROFILE = "update_own_profile"
    MANAGE_OWN_SUBSCRIPTION = "manage_own_subscription"
    LIST_WATCHABLE = "list_watchable"
    PLAY_ENTITLED = "play_entitled"
    WRITE_MOVIES = "write_movies"
    READ_DELETED_MOVIES = "read_deleted_movies"
    WRITE_PLAN_MOVIES = "write_plan_movies"
    PLAY_ANY = "play_any"
    MANAGE_USERS = "manage_users"
    MANAGE_PLANS = "manage_plans"
    MANAGE_SUBSCRIPTIONS = "manage_subscriptions"
    RECORD_PAYMENTS = "record_payments"


P = Permission
# Registering, logging in and the health check are open to every caller: they take no actor.
_ANONYMOUS = frozenset({P.READ_PLANS})
_SUBSCRIBER = _ANONYMOUS | {
    P.READ_MOVIES,
    P.READ_OWN_PROFILE,
    P.UPDATE_OWN_PROFILE,
    P.MANAGE_OWN_SUBSCRIPTION,
    P.LIST_WATCHABLE,
    P.PLAY_ENTITLED,
}
_EDITOR = _SUBSCRIBER | {P.WRITE_MOVIES, P.READ_DELETED_MOVIES, P.WRITE_PLAN_MOVIES, P.PLAY_ANY}

PERMISSIONS: dict[Role | None, frozenset[Permission]] = {
    None: _ANONYMOUS,
    Role.SUBSCRIBER: _SUBSCRIBER,
    Role.EDITOR: _EDITOR,
    Role.ADMIN: frozenset(Permission),
}
"""Who may do what; ``None`` is the anonymous caller. Admins may do everything."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a logged-in user, nobody (``ANONYMOUS``) or the trusted ``SYSTEM``."""

    user_id: int | None
    role: Role | None
    is_system: bool = False

    @property
    def is_anonymous(self) -> bool:
        """True for a caller without a valid token."""
        return self.user_id is None and not self.is_system

    def may(self, permission: Permission) -> bool:
        """Whether this caller's role grants ``permission`` (``SYSTEM`` may do everything)."""
        return self.is_system or permission in PERMISSIONS[self.role]


ANONYMOUS = Principal(user_id=None, role=None)
SYSTEM = Principal(user_id=None, role=None, is_system=True)
"""A trusted local caller (the CLI, embedding code): named on purpose, never a default."""


def allows(principal: Principal, permission: Permission) -> bool:
    """Whether ``principal`` may take ``permission``; anything but a ``Principal`` is refused.

    The services ask this (never ``principal.may`` directly) so that a forgotten actor fails
    the same way everywhere: ``TypeError``, never a permission.
    """
    if not isinstance(principal, Principal):
        raise TypeError(
            f"actor must be a Principal (SYSTEM for a trusted caller), not {principal!r}"
        )
    return principal.may(permission)


def require(principal: Principal, permission: Permission) -> None:
    """Pass, or raise ``NotAuthenticatedError`` / ``PermissionDeniedError``.

    There is no implicit trusted caller: the CLI and embedding code pass ``SYSTEM``; anything
    that is not a ``Principal`` (a forgotten actor, ``None``) is refused, never granted.
    """
    if allows(principal, permission):
        return
    if principal.is_anonymous:
        raise NotAuthenticatedError("log in first: this needs a valid bearer token")
    raise PermissionDeniedError(f"a {principal.role} may not {permission.value.replace('_', ' ')}")
