"""``/api/auth``: register, log in and out, one's own profile."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from streamcore.api.auth import (
    NO_STORE,
    Core,
    LoggedIn,
    MayReadOwnProfile,
    MayUpdateOwnProfile,
    Token,
    own_id,
)
from streamcore.api.docs import errors
from streamcore.auth.models import Credentials, LoginResult, ProfilePatch, Registration, User

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 422),
    openapi_extra={"security": []},
)
def register(data: Registration, core: Core) -> User:
    """Sign up as a subscriber."""
    return core.auth.register(data)


@router.post("/login", responses=errors(401, 422, 429), openapi_extra={"security": []})
def login(credentials: Credentials, response: Response, core: Core) -> LoginResult:
    """Exchange email and password for a bearer token."""
    result = core.auth.login(credentials)
    response.headers["cache-control"] = NO_STORE  # RFC 6749 §5.1: an answer with a token
    return result


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401))
def logout(token: Token, actor: LoggedIn, core: Core) -> None:
    """Revoke the token this request carries."""
    core.auth.logout(token)


@router.get("/me", responses=errors(401))
def me(actor: MayReadOwnProfile, core: Core) -> User:
    """The caller's own user."""
    return core.auth.get_user(own_id(actor), actor=actor)


@router.patch("/me", responses=errors(401, 422))
def update_me(patch: ProfilePatch, actor: MayUpdateOwnProfile, core: Core) -> User:
    """Change one's own name, password or notify flag."""
    return core.auth.update_profile(patch, actor=actor)
