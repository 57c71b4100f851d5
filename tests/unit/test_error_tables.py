"""Each face maps every error category, and only categories (SPEC §4, §5, §6)."""

from __future__ import annotations

import pytest

from streamcore.api.problems import HTTP_STATUS, UNEXPECTED, status_for
from streamcore.auth.errors import DuplicateEmailError, InvalidCredentialsError, InvalidTokenError
from streamcore.errors import (
    CATEGORIES,
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    SchemaOutdatedError,
    StorageError,
    StreamcoreError,
    TooManyAttemptsError,
    category_of,
)
from streamcore.movies.errors import DuplicateMovieError, MovieNotFoundError
from streamcore.subscriptions.errors import PaymentConflictError, PlanInUseError


def _leaves(root: type[StreamcoreError]) -> set[type[StreamcoreError]]:
    found = set()
    for sub in root.__subclasses__():
        found |= {sub, *_leaves(sub)}
    return found


def test_the_categories_are_the_seven_of_the_spec() -> None:
    assert set(CATEGORIES) == {
        NotFoundError,
        ConflictError,
        InvalidInputError,
        NotAuthenticatedError,
        PermissionDeniedError,
        TooManyAttemptsError,
        StorageError,
    }


def test_every_error_class_belongs_to_exactly_one_category() -> None:
    for leaf in _leaves(StreamcoreError):
        assert sum(issubclass(leaf, c) for c in CATEGORIES) == 1, leaf


def test_the_http_table_has_an_entry_for_every_category() -> None:
    assert set(HTTP_STATUS) == set(CATEGORIES)
    assert HTTP_STATUS[StorageError] == 503


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (MovieNotFoundError(7), 404),
        (DuplicateMovieError("Alien", 1979), 409),
        (PaymentConflictError("ref"), 409),
        (PlanInUseError(3), 409),
        (DuplicateEmailError("ann@example.org"), 409),
        (InvalidInputError.single("title", "must not be empty"), 422),
        (InvalidCredentialsError(), 401),
        (InvalidTokenError(), 401),
        (PermissionDeniedError("no"), 403),
        (TooManyAttemptsError("later", retry_after=9), 429),
        (SchemaOutdatedError("behind"), 503),
        (StorageError("busy"), 503),
        (StreamcoreError("outside every category"), UNEXPECTED),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_leaves_answer_with_their_categorys_status(error: StreamcoreError, status: int) -> None:
    assert status_for(error) == status


def test_category_of_finds_the_nearest_category() -> None:
    assert category_of(SchemaOutdatedError("x")) is StorageError
    assert category_of(InvalidTokenError()) is NotAuthenticatedError
