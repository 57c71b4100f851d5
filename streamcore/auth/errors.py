"""Errors of the auth domain: leaves of the categories in ``streamcore.errors``."""

from __future__ import annotations

from streamcore.errors import ConflictError, NotAuthenticatedError, NotFoundError


class UserNotFoundError(NotFoundError):
    """No user with that id or email (or it is deleted and deleted ones were not asked for)."""

    def __init__(self, user: int | str) -> None:
        super().__init__(f"user {user} not found")


class DuplicateEmailError(ConflictError):
    """Another user already has this email address (a deleted one keeps its email)."""

    def __init__(self, email: str, *, deleted_id: int | None = None) -> None:
        self.deleted_id = deleted_id
        if deleted_id is None:
            super().__init__(f"a user with email {email} already exists")
        else:  # the user probably wants that account back, not a second one
            super().__init__(
                f"a deleted user (id {deleted_id}) has email {email}; restore it instead"
            )


class InvalidCredentialsError(NotAuthenticatedError):
    """Wrong email or password; deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("invalid email or password")


class InvalidTokenError(NotAuthenticatedError):
    """The bearer token is unknown, expired or revoked."""

    def __init__(self) -> None:
        super().__init__("the bearer token is invalid, expired or revoked")
