"""The repository ports, called directly, behave alike on memory, SQLite and PostgreSQL.

The services rely on these answers: what a miss returns, what a write returns, what the store
refuses on its own, that a row lock changes nothing about what is read, and that a re-hash only
replaces the hash it was computed from. Each test runs its writes in one unit of work and reads
them back in a fresh one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streamcore import StreamCore
from streamcore.auth.errors import DuplicateEmailError
from streamcore.auth.models import UserCreate
from streamcore.config import Settings
from streamcore.movies.errors import DuplicateMovieError
from streamcore.movies.models import MovieCreate
from streamcore.movies.repository import title_key
from streamcore.subscriptions.errors import (
    DuplicatePlanError,
    LiveSubscriptionExistsError,
    PaymentConflictError,
)
from streamcore.subscriptions.models import Payment, PlanCreate

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
LOCKS = (None, "share", "update")


@pytest.fixture
def core(database_url: str, tmp_path: Path) -> Iterator[StreamCore]:
    with StreamCore.open(Settings(database_url=database_url, media_root=tmp_path)) as opened:
        yield opened


def write(core: StreamCore) -> Any:
    return core.storage.unit_of_work()


def read(core: StreamCore) -> Any:
    return core.storage.unit_of_work(readonly=True)


def user_data(email: str = "ann@example.org") -> UserCreate:
    return UserCreate(email=email, password="correct horse battery", name="Ann")


def plan_data(name: str = "Basic") -> PlanCreate:
    return PlanCreate(name=name, price="9.99", currency="EUR", period="month")


def test_movies_add_get_save_and_conflicts(core: StreamCore) -> None:
    with write(core) as uow:
        alien = uow.movies.add(MovieCreate(title="Alien", year=1979), NOW)
        ids = uow.movies.add_many(
            [MovieCreate(title="Heat", year=1995), MovieCreate(title="Ran", year=1985)], NOW
        )
        uow.commit()
    assert ids == [alien.id + 1, alien.id + 2]
    with write(core) as uow:
        assert [uow.movies.get(alien.id, lock=lock) for lock in LOCKS] == [alien] * 3
        assert uow.movies.get(999) is None
        uow.movies.save(alien.model_copy(update={"description": "In space."}))
        with pytest.raises(DuplicateMovieError):
            uow.movies.add(MovieCreate(title="ALIEN", year=1979), NOW)
    with read(core) as uow:
        assert uow.movies.get(alien.id) == alien  # the failed unit of work left nothing
        keys = [(title_key("alien"), 1979), (title_key("heat"), 1995), ("nope", 1)]
        assert uow.movies.live_conflicts(keys) == set(keys[:2])
        assert uow.movies.live_conflicts(keys, exclude_id=alien.id) == {keys[1]}


def test_users_hashes_and_compare_and_set(core: StreamCore) -> None:
    with write(core) as uow:
        ann = uow.users.add(user_data(), "hash-1", NOW)
        uow.commit()
    with write(core) as uow:
        assert [uow.users.get(ann.id, lock=lock) for lock in LOCKS] == [ann] * 3
        assert uow.users.get_by_email("ann@example.org") == ann
        assert uow.users.get_by_email("bob@example.org") is None
        assert uow.users.password_hash(ann.id) == "hash-1"
        assert uow.users.replace_password_hash(ann.id, "stale", "hash-2") is False
        assert uow.users.replace_password_hash(ann.id, "hash-1", "hash-2") is True
        with pytest.raises(DuplicateEmailError):
            uow.users.add(user_data(), "hash-3", NOW)
    with write(core) as uow:
        assert uow.users.password_hash(ann.id) == "hash-1"  # the failed unit of work rolled back
        uow.users.set_password_hash(ann.id, "hash-4")
        uow.commit()
    with read(core) as uow:
        assert uow.users.password_hash(ann.id) == "hash-4"
        assert uow.users.password_hash(999) is None


def test_tokens_and_failed_logins(core: StreamCore) -> None:
    with write(core) as uow:
        ann = uow.users.add(user_data(), "hash", NOW)
        for digest, hours in (("a", 1), ("b", 2), ("c", -1)):
            uow.tokens.add(digest * 64, ann.id, NOW, NOW + timedelta(hours=hours))
        for minutes in (1, 2, 3):
            uow.login_attempts.record_failure("x@example.org", NOW + timedelta(minutes=minutes))
        uow.commit()
    with write(core) as uow:
        assert uow.tokens.user_for("a" * 64, NOW) == ann
        assert uow.tokens.user_for("c" * 64, NOW) is None  # expired
        assert uow.tokens.delete_expired(NOW) == 1
        assert uow.tokens.delete("a" * 64) is True
        assert uow.tokens.delete("a" * 64) is False
        assert uow.tokens.delete_for_user(ann.id) == 1
        recent = uow.login_attempts.recent_failures("x@example.org", NOW + timedelta(minutes=1), 5)
        assert recent == [NOW + timedelta(minutes=3), NOW + timedelta(minutes=2)]
        assert uow.login_attempts.delete_before(NOW + timedelta(minutes=2)) == 1
        uow.login_attempts.clear("x@example.org")
        assert uow.login_attempts.recent_failures("x@example.org", NOW, 5) == []
        uow.commit()


def test_plans_and_their_movies(core: StreamCore) -> None:
    with write(core) as uow:
        basic = uow.plans.add(plan_data(), NOW)
        movie = uow.movies.add(MovieCreate(title="Alien", year=1979), NOW)
        assert uow.plans.add_movie(basic.id, movie.id) is True
        assert uow.plans.add_movie(basic.id, movie.id) is False
        uow.commit()
    with write(core) as uow:
        assert [uow.plans.get(basic.id, lock=lock) for lock in LOCKS] == [basic] * 3
        assert uow.plans.get_by_name("BASIC") == basic
        with pytest.raises(DuplicatePlanError):
            uow.plans.add(plan_data("basic"), NOW)
    with write(core) as uow:
        assert uow.plans.remove_movie(basic.id, movie.id) is True
        assert uow.plans.remove_movie(basic.id, movie.id) is False
        uow.plans.delete(basic.id, NOW)
        uow.commit()
    with read(core) as uow:
        assert uow.plans.get(basic.id) is None
        assert uow.plans.get_by_name("Basic") is None


def test_subscriptions_and_payments(core: StreamCore) -> None:
    with write(core) as uow:
        ann = uow.users.add(user_data(), "hash", NOW)
        plan = uow.plans.add(plan_data(), NOW)
        record = uow.subscriptions.add(ann.id, plan.id, NOW)
        uow.commit()
    with write(core) as uow:
        assert [uow.subscriptions.get(record.id, lock=lock) for lock in LOCKS] == [record] * 3
        assert uow.subscriptions.open_for_user(ann.id) == [record]
        assert uow.subscriptions.open_for_plan(plan.id) == [record]
        with pytest.raises(LiveSubscriptionExistsError):
            uow.subscriptions.add(ann.id, plan.id, NOW)
    paid = Payment(
        id=0,
        subscription_id=record.id,
        amount=plan.price,
        currency="EUR",
        reference="ref-1",
        paid_at=NOW,
        period_start=NOW,
        period_end=NOW + timedelta(days=31),
    )
    with write(core) as uow:
        first = uow.payments.add(paid)
        uow.commit()
    with write(core) as uow:
        assert uow.payments.get_by_reference("ref-1") == first
        assert uow.payments.get_by_reference("ref-2") is None
        with pytest.raises(PaymentConflictError):
            uow.payments.add(paid)
    with write(core) as uow:
        uow.subscriptions.close(record.id, NOW)
        uow.commit()
    with read(core) as uow:
        assert uow.subscriptions.open_for_user(ann.id) == []


def test_the_entitlement_read_model_answers_with_and_without_locks(core: StreamCore) -> None:
    with write(core) as uow:
        ann = uow.users.add(user_data(), "hash", NOW)
        movie = uow.movies.add(MovieCreate(title="Alien", year=1979), NOW)
        uow.commit()
    with write(core) as uow:
        viewers = {uow.entitlements.viewer(ann.id, lock=lock) for lock in LOCKS}
        assert len(viewers) == 1
        assert next(iter(viewers)).may_log_in
        assert uow.entitlements.viewer(999) is None
        assert all(uow.entitlements.movie_is_live(movie.id, lock=lock) for lock in LOCKS)
        assert not uow.entitlements.movie_is_live(999)
