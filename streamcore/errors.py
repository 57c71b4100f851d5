"""The one exception hierarchy of streamcore.

Faces map the *categories* below (never the leaves) to exit codes and HTTP statuses. Every
class has a stable ``code`` that machines can rely on; messages are for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: its dotted name and the rule it broke."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class StreamcoreError(Exception):
    """Root of every error streamcore raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(StreamcoreError):
    """The thing asked for does not exist (or is hidden from the caller)."""

    code = "not_found"


class ConflictError(StreamcoreError):
    """The change would break a uniqueness or state rule."""

    code = "conflict"


class InvalidInputError(StreamcoreError):
    """Input broke a field rule; ``errors`` names each field and its rule."""

    code = "invalid_input"

    def __init__(self, errors: Sequence[FieldError], *, prefix: str = "") -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        detail = "; ".join(str(e) for e in self.errors) or "invalid input"
        super().__init__(f"{prefix}{detail}")

    @classmethod
    def single(cls, field: str, message: str) -> InvalidInputError:
        """Build the error for one field."""
        return cls([FieldError(field, message)])

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the offending fields, in order."""
        return tuple(e.field for e in self.errors)


class NotAuthenticatedError(StreamcoreError):
    """No credentials, or credentials that are wrong, expired or revoked."""

    code = "not_authenticated"


class PermissionDeniedError(StreamcoreError):
    """The caller is known but may not do this."""

    code = "permission_denied"


class TooManyAttemptsError(StreamcoreError):
    """Refused for now; ``retry_after`` says how many seconds to wait."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageError(StreamcoreError):
    """The storage failed or is not ready (for example: its schema is behind)."""

    code = "storage_error"


class SchemaOutdatedError(StorageError):
    """The database schema is behind the code."""

    code = "schema_outdated"


CATEGORIES: tuple[type[StreamcoreError], ...] = (
    NotFoundError,
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
    PermissionDeniedError,
    TooManyAttemptsError,
    StorageError,
)
"""The categories the faces map (to exit codes, to HTTP statuses); every error is one of them."""


def category_of(error: StreamcoreError) -> type[StreamcoreError]:
    """The category ``error`` belongs to (its nearest ancestor in ``CATEGORIES``)."""
    return next(
        (category for category in type(error).__mro__ if category in CATEGORIES),
        StreamcoreError,
    )
