"""Who is calling: one authentication dependency and one named dependency per permission.

A route's signature says who may call it (``actor: MayWriteMovies``); the dependency asks the
core's one gate (``permissions.require``) and hands the route the caller's ``Principal``, which
the route passes on as ``actor``: the service checks again, so a route cannot grant more than
the core allows. Tokens come from the ``Authorization: Bearer`` header only — never from the
query string, a cookie or a form field (a URL ends up in logs, histories and Referer headers).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from streamcore.api.blocking import run_blocking
from streamcore.auth.errors import InvalidTokenError
from streamcore.auth.permissions import ANONYMOUS, Permission, Principal, require
from streamcore.core import StreamCore
from streamcore.errors import NotAuthenticatedError

NO_STORE = "no-store"
"""``Cache-Control`` of an answer that carries a credential: a token, a playback URL."""

_bearer = HTTPBearer(
    auto_error=False,
    description="The access_token of POST /api/auth/login, as `Authorization: Bearer <token>`.",
)


def _core(request: Request) -> StreamCore:
    core: StreamCore = request.app.state.core
    return core


async def core_of(request: Request) -> StreamCore:
    """The core the app was made for."""
    # async: an attribute read; as a def it would cost a thread hop on every request.
    return _core(request)


Core = Annotated[StreamCore, Depends(core_of)]
"""The core, for a route."""


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The token of the ``Authorization: Bearer`` header, if one was sent."""
    return credentials.credentials if credentials else None


class Caller(HTTPBearer):
    """The authentication dependency: the ``Authorization: Bearer`` header, resolved to a caller.

    It is FastAPI's ``HTTPBearer`` itself (so OpenAPI shows the bearer scheme) rather than a
    function depending on one through ``bearer_token``: two dependencies fewer to solve on
    every request (decision 172).
    """

    # A dependency returns what its routes need: the Principal, not the parsed header.
    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        """``ANONYMOUS`` without a token; a bad token is refused, never ignored."""
        credentials = await super().__call__(request)
        if credentials is None:
            return ANONYMOUS
        # The lookup is storage I/O: off the loop, one hop.
        user = await run_blocking(_core(request).auth.authenticate, credentials.credentials)
        return user.principal


caller = Caller(auto_error=False, scheme_name="HTTPBearer", description=_bearer.model.description)

Anyone = Annotated[Principal, Depends(caller)]
"""Any caller, logged in or not (the route's service says what each may see)."""


async def _logged_in(principal: Anyone) -> Principal:
    if principal.is_anonymous:
        raise NotAuthenticatedError("log in first: this needs a valid bearer token")
    return principal


LoggedIn = Annotated[Principal, Depends(_logged_in)]
"""A caller with a valid token."""


def own_id(actor: Principal) -> int:
    """The user id of a logged-in caller."""
    if actor.user_id is None:
        raise NotAuthenticatedError("log in first: this needs a valid bearer token")
    return actor.user_id


async def live_token(token: Annotated[str | None, Depends(bearer_token)]) -> str:
    """The bearer token itself (logout revokes it); missing → 401."""
    if token is None:
        raise InvalidTokenError
    return token


Token = Annotated[str, Depends(live_token)]


class Authorizer:
    """A dependency that lets through only callers granted ``permission``."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, principal: Anyone) -> Principal:
        # async: a table lookup has no business on a worker thread.
        require(principal, self.permission)
        return principal

    def __repr__(self) -> str:
        return f"Authorizer({self.permission.value})"


def _needs(permission: Permission) -> object:
    return Depends(Authorizer(permission))


P = Permission
MayReadMovies = Annotated[Principal, _needs(P.READ_MOVIES)]
MayWriteMovies = Annotated[Principal, _needs(P.WRITE_MOVIES)]
MayReadOwnProfile = Annotated[Principal, _needs(P.READ_OWN_PROFILE)]
MayUpdateOwnProfile = Annotated[Principal, _needs(P.UPDATE_OWN_PROFILE)]
MayListWatchable = Annotated[Principal, _needs(P.LIST_WATCHABLE)]
MayManageUsers = Annotated[Principal, _needs(P.MANAGE_USERS)]
MayManagePlans = Annotated[Principal, _needs(P.MANAGE_PLANS)]
MayWritePlanMovies = Annotated[Principal, _needs(P.WRITE_PLAN_MOVIES)]
MayHaveSubscription = Annotated[Principal, _needs(P.MANAGE_OWN_SUBSCRIPTION)]
MayRecordPayments = Annotated[Principal, _needs(P.RECORD_PAYMENTS)]
