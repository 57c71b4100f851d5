"""The one table from error categories to HTTP statuses (RFC 9457 problem responses).

Faces map categories, never leaves: ``DuplicateMovieError`` is a 409 because it is a
``ConflictError``. An error outside every category, or any other exception, is a 500.
"""

from __future__ import annotations

from streamcore.errors import (
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    StreamcoreError,
    TooManyAttemptsError,
    category_of,
)

HTTP_STATUS: dict[type[StreamcoreError], int] = {
    InvalidInputError: 422,
    NotAuthenticatedError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    TooManyAttemptsError: 429,
    StorageError: 503,
}
"""Status of each category; 401 answers carry ``WWW-Authenticate: Bearer``, 429 ``Retry-After``."""

UNEXPECTED = 500


def status_for(error: StreamcoreError) -> int:
    """The HTTP status that answers ``error``."""
    return HTTP_STATUS.get(category_of(error), UNEXPECTED)
