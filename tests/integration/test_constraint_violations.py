"""Each constraint the database refuses a change with is told apart by its name.

Repository level, on SQLite and PostgreSQL, with the services' pre-checks out of the way: the
unique constraint a domain rule stands on is that rule's conflict; a missing referenced row is
``InvalidInputError`` naming the field (never a conflict); an unnamed rule is ``StorageError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from streamcore import StreamCore
from streamcore.auth.errors import DuplicateEmailError
from streamcore.auth.models import UserCreate
from streamcore.errors import ConflictError, InvalidInputError, StorageError, StreamcoreError
from streamcore.movies.errors import DuplicateMovieError
from streamcore.movies.models import MovieCreate
from streamcore.storage import StorageUnitOfWork
from streamcore.storage.sql.storage import SqlStorage
from streamcore.storage.sql.violations import CONFLICTS
from streamcore.subscriptions.errors import (
    DuplicatePlanError,
    LiveSubscriptionExistsError,
    PaymentConflictError,
)
from streamcore.subscriptions.models import Payment, PlanCreate

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PLAN = PlanCreate(name="Basic", price=Decimal("9.99"), currency="EUR", period="month")


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[SqlStorage]:
    url = sqlite_url
    if request.param == "postgres":
        from tests.conftest import empty_postgres

        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    with StreamCore.open(url) as core:
        assert isinstance(core.storage, SqlStorage)
        yield core.storage


@contextmanager
def committed(storage: SqlStorage) -> Iterator[StorageUnitOfWork]:
    """One unit of work that commits when the block ends without an error."""
    with storage.unit_of_work() as uow:
        yield uow
        uow.commit()


def seed(storage: SqlStorage) -> tuple[int, int, int]:
    """A user, a plan, and the user's open subscription: their ids."""
    with committed(storage) as uow:
        user = uow.users.add(user_data("ann@example.org"), "hash", NOW)
        plan = uow.plans.add(PLAN, NOW)
        subscription = uow.subscriptions.add(user.id, plan.id, NOW)
    return user.id, plan.id, subscription.id


def user_data(email: str) -> UserCreate:
    return UserCreate(email=email, password="correct horse", name="Ann")


def payment(subscription_id: int, reference: str) -> Payment:
    return Payment(
        id=0,
        subscription_id=subscription_id,
        amount=Decimal("9.99"),
        currency="EUR",
        reference=reference,
        paid_at=NOW,
        period_start=NOW,
        period_end=NOW,
    )


def refused(storage: SqlStorage, change: object) -> StreamcoreError:
    """The exception a change raises inside a unit of work (which then rolls back)."""
    assert callable(change)
    with pytest.raises(StreamcoreError) as caught, storage.unit_of_work() as uow:
        change(uow)
    error = caught.value
    assert isinstance(error.__cause__, sa.exc.IntegrityError)
    return error


# --- unique constraints: the rule's conflict ------------------------------------------------


def test_a_taken_email_is_duplicate_email(storage: SqlStorage) -> None:
    seed(storage)
    error = refused(storage, lambda uow: uow.users.add(user_data("ann@example.org"), "h", NOW))
    assert isinstance(error, DuplicateEmailError)
    assert str(error) == "a user with email ann@example.org already exists"


def test_a_taken_plan_name_is_duplicate_plan_on_insert_and_on_rename(storage: SqlStorage) -> None:
    seed(storage)
    error = refused(storage, lambda uow: uow.plans.add(PLAN, NOW))
    assert isinstance(error, DuplicatePlanError)
    with committed(storage) as uow:
        other = uow.plans.add(PLAN.model_copy(update={"name": "Premium"}), NOW)
    renamed = other.model_copy(update={"name": "BASIC"})
    error = refused(storage, lambda uow: uow.plans.save(renamed))
    assert isinstance(error, DuplicatePlanError)
    assert "'BASIC'" in str(error)


def test_a_second_open_subscription_is_live_subscription_exists(storage: SqlStorage) -> None:
    user_id, plan_id, _ = seed(storage)
    error = refused(storage, lambda uow: uow.subscriptions.add(user_id, plan_id, NOW))
    assert isinstance(error, LiveSubscriptionExistsError)
    assert str(error) == f"user {user_id} already has a live subscription"


def test_a_taken_payment_reference_is_payment_conflict(storage: SqlStorage) -> None:
    _, _, subscription_id = seed(storage)
    with committed(storage) as uow:
        uow.payments.add(payment(subscription_id, "ref-1"))
    error = refused(storage, lambda uow: uow.payments.add(payment(subscription_id, "ref-1")))
    assert isinstance(error, PaymentConflictError)


def test_a_taken_live_title_and_year_is_duplicate_movie(storage: SqlStorage) -> None:
    with committed(storage) as uow:
        uow.movies.add(MovieCreate(title="Heat", year=1995), NOW)
    error = refused(storage, lambda uow: uow.movies.add(MovieCreate(title="HEAT", year=1995), NOW))
    assert isinstance(error, DuplicateMovieError)
    assert str(error) == "a movie titled 'HEAT' from 1995 already exists"


def test_every_named_conflict_is_a_constraint_of_the_schema() -> None:
    from streamcore.storage.sql.schema import metadata

    names = {
        str(item.name)
        for table in metadata.tables.values()
        for item in [*table.indexes, *table.constraints]
    }
    assert set(CONFLICTS) <= names


# --- foreign keys: the field that names a missing row ---------------------------------------


@pytest.mark.parametrize(
    ("field", "message"),
    [("user_id", "user 99 does not exist"), ("plan_id", "plan 99 does not exist")],
)
def test_a_subscription_of_a_missing_user_or_plan_names_the_field(
    storage: SqlStorage, field: str, message: str
) -> None:
    user_id, plan_id, _ = seed(storage)
    with committed(storage) as uow:  # close the open one: only the foreign key can refuse now
        record = uow.subscriptions.open_for_user(user_id)[0]
        uow.subscriptions.save(record.model_copy(update={"canceled_at": NOW}))
    ids = {"user_id": user_id, "plan_id": plan_id} | {field: 99}
    error = refused(storage, lambda uow: uow.subscriptions.add(ids["user_id"], ids["plan_id"], NOW))
    assert isinstance(error, InvalidInputError)
    assert not isinstance(error, ConflictError)
    assert error.fields == (field,)
    assert str(error) == f"{field}: {message}"


def test_a_payment_for_a_missing_subscription_names_the_field(storage: SqlStorage) -> None:
    seed(storage)
    error = refused(storage, lambda uow: uow.payments.add(payment(99, "ref-9")))
    assert isinstance(error, InvalidInputError)
    assert str(error) == "subscription_id: subscription 99 does not exist"


# --- everything else: StorageError ----------------------------------------------------------


def test_a_rule_no_domain_owns_is_a_storage_error(storage: SqlStorage) -> None:
    user_id, _, _ = seed(storage)
    with committed(storage) as uow:
        uow.tokens.add("d" * 64, user_id, NOW, NOW)
    with pytest.raises(StorageError) as error, storage.unit_of_work() as uow:
        uow.tokens.add("d" * 64, user_id, NOW, NOW)  # the primary key, outside any rule
    assert str(error.value) == "the database refused the change: it breaks the rule pk_tokens"
    assert isinstance(error.value.__cause__, sa.exc.IntegrityError)


def test_a_missing_row_no_repository_maps_is_a_storage_error(storage: SqlStorage) -> None:
    with pytest.raises(StorageError) as error, storage.unit_of_work() as uow:
        uow.tokens.add("e" * 64, 99, NOW, NOW)  # no such user; tokens map no constraint
    assert str(error.value) == (
        "the database refused the change: it refers to a row that does not exist"
    )
