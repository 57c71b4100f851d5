"""``/api/user``: accounts, for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from streamcore.api.auth import Core, MayManageUsers
from streamcore.api.docs import errors
from streamcore.auth.models import User, UserCreate, UserPatch, UserQuery
from streamcore.paging import Page

router = APIRouter(prefix="/api/user", tags=["users"])

UserId = Annotated[int, Path(alias="id", description="The user's id.")]


@router.get("", responses=errors(401, 403, 422))
def list_users(
    query: Annotated[UserQuery, Query()], actor: MayManageUsers, core: Core
) -> Page[User]:
    """One page of users (deleted ones with ``trashed``)."""
    return core.auth.list_users(query, actor=actor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(401, 403, 409, 422))
def create_user(data: UserCreate, response: Response, actor: MayManageUsers, core: Core) -> User:
    """Add a user with any role; ``Location`` names it."""
    user = core.auth.create_user(data, actor=actor)
    response.headers["Location"] = f"/api/user/{user.id}"
    return user


@router.get("/{id}", responses=errors(401, 403, 404, 422))
def get_user(user_id: UserId, actor: MayManageUsers, core: Core) -> User:
    """One user, deleted ones too (``deleted_at`` says so)."""
    return core.auth.get_user(user_id, actor=actor, include_deleted=True)


@router.put("/{id}", responses=errors(401, 403, 404, 422))
def update_user(user_id: UserId, patch: UserPatch, actor: MayManageUsers, core: Core) -> User:
    """Change name, role, activity or the notify flag (deactivating revokes its tokens)."""
    return core.auth.update_user(user_id, patch, actor=actor)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404))
def delete_user(user_id: UserId, actor: MayManageUsers, core: Core) -> None:
    """Soft-delete a user: its tokens go and its live subscription is canceled."""
    core.auth.delete_user(user_id, actor=actor)


@router.post("/{id}/restore", responses=errors(401, 403, 404, 409))
def restore_user(user_id: UserId, actor: MayManageUsers, core: Core) -> User:
    """Undo a delete."""
    return core.auth.restore_user(user_id, actor=actor)
