"""SQL repositories of the auth domain: users, token digests, failed logins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from streamcore.auth.models import User, UserCreate, UserQuery
from streamcore.auth.repository import user_search_key
from streamcore.storage.sql.link import Link, Lookup
from streamcore.storage.sql.locks import lock_variants
from streamcore.storage.sql.schema import login_failures, tokens, users
from streamcore.storage.sql.text import contains
from streamcore.storage.sql.violations import integrity_failure
from streamcore.uow import RowLock

_USER_COLUMNS = [c for c in users.c if c.name not in {"password_hash", "search_key"}]


# Built and rendered once, run on the driver (link.py): every request with a token asks it.
_USER_FOR_TOKEN = Lookup(
    sa.select(*_USER_COLUMNS)
    .join(tokens, tokens.c.user_id == users.c.id)
    .where(
        tokens.c.digest == sa.bindparam("digest"),
        tokens.c.expires_at > sa.bindparam("now"),
        users.c.is_active == sa.true(),
        users.c.deleted_at.is_(None),
    )
)
_USER_BY_ID = sa.select(*_USER_COLUMNS).where(users.c.id == sa.bindparam("id"))
_USER_BY_ID_LOCKED = lock_variants(_USER_BY_ID)


class SqlUserRepository:
    """``UserRepository`` over SQLAlchemy Core; never commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, data: UserCreate, password_hash: str, now: datetime) -> User:
        """Insert a user; raises ``DuplicateEmailError`` if the email is taken."""
        values: dict[str, Any] = data.model_dump(exclude={"password"})
        values.update(
            password_hash=password_hash,
            search_key=user_search_key(data.email, data.name),
            created_at=now,
            updated_at=now,
        )
        try:
            user_id = self._conn.execute(
                sa.insert(users).values(values).returning(users.c.id)
            ).scalar_one()
        except IntegrityError as exc:
            raise integrity_failure(exc, users, values, self._conn) from exc
        return User(
            id=user_id, **data.model_dump(exclude={"password"}), created_at=now, updated_at=now
        )

    def get(self, user_id: int, *, lock: RowLock | None = None) -> User | None:
        """The user with this id, deleted or not; ``lock`` holds its row until commit."""
        row = self._conn.execute(_USER_BY_ID_LOCKED[lock], {"id": user_id}).mappings().first()
        return None if row is None else _user(row)

    def get_by_email(self, email: str) -> User | None:
        """The user with this (normalized) email, deleted or not."""
        return self._one(users.c.email == email)

    def password_hash(self, user_id: int) -> str | None:
        """The stored hash of the user's password."""
        stmt = sa.select(users.c.password_hash).where(users.c.id == user_id)
        return self._conn.execute(stmt).scalar_one_or_none()

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the stored hash."""
        self._conn.execute(
            sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        )

    def replace_password_hash(self, user_id: int, old: str, new: str) -> bool:
        """Replace the stored hash only if it is still ``old`` (a re-hash); whether it was."""
        stmt = (
            sa.update(users)
            .where(users.c.id == user_id, users.c.password_hash == old)
            .values(password_hash=new)
        )
        return self._conn.execute(stmt).rowcount > 0

    def save(self, user: User) -> None:
        """Overwrite the stored fields of ``user`` (matched by id)."""
        values = user.model_dump(exclude={"id", "email", "created_at"})
        values["search_key"] = user_search_key(user.email, user.name)
        self._conn.execute(sa.update(users).where(users.c.id == user.id).values(values))

    def notifiable_emails(self) -> list[str]:
        """Emails of the active, not deleted users who want news of new movies, by id."""
        stmt = (
            sa.select(users.c.email)
            .where(
                users.c.is_active == sa.true(),
                users.c.deleted_at.is_(None),
                users.c.notify_new_movies == sa.true(),
            )
            .order_by(users.c.id)
        )
        return list(self._conn.execute(stmt).scalars())

    def _one(self, condition: sa.ColumnElement[bool]) -> User | None:
        row = self._conn.execute(sa.select(*_USER_COLUMNS).where(condition)).mappings().first()
        return None if row is None else _user(row)

    def list(self, query: UserQuery) -> tuple[list[User], int]:
        """One page of users matching ``query`` (by id), and the number of all matches."""
        conditions = _user_conditions(query)
        page = (
            sa.select(*_USER_COLUMNS)
            .where(*conditions)
            .order_by(users.c.id)
            .limit(query.limit)
            .offset(query.offset)
        )
        items = [_user(row) for row in self._conn.execute(page).mappings()]
        if query.offset == 0 and len(items) < query.limit:
            return items, len(items)
        count = sa.select(sa.func.count()).select_from(users).where(*conditions)
        return items, self._conn.execute(count).scalar_one()


class SqlTokenRepository:
    """``TokenRepository`` over SQLAlchemy Core; never commits."""

    def __init__(self, link: Link | Connection) -> None:
        self._link = link if isinstance(link, Link) else Link.over(link)

    @property
    def _conn(self) -> Connection:
        return self._link.connection

    def add(self, digest: str, user_id: int, created_at: datetime, expires_at: datetime) -> None:
        """Store a new token's digest."""
        self._conn.execute(
            sa.insert(tokens).values(
                digest=digest, user_id=user_id, created_at=created_at, expires_at=expires_at
            )
        )

    def user_for(self, digest: str, now: datetime) -> User | None:
        """The active, not deleted user whose unexpired token has this digest (one lookup)."""
        values = self._link.first(_USER_FOR_TOKEN, {"digest": digest, "now": now})
        return None if values is None else User.model_validate(values)

    def delete(self, digest: str) -> bool:
        """Revoke one token; whether it existed."""
        return self._delete(tokens.c.digest == digest) > 0

    def delete_for_user(self, user_id: int) -> int:
        """Revoke every token of a user; how many there were."""
        return self._delete(tokens.c.user_id == user_id)

    def delete_expired(self, now: datetime) -> int:
        """Remove tokens that expired; how many there were."""
        return self._delete(tokens.c.expires_at <= now)

    def _delete(self, condition: sa.ColumnElement[bool]) -> int:
        return self._conn.execute(sa.delete(tokens).where(condition)).rowcount


class SqlLoginAttemptRepository:
    """``LoginAttemptRepository`` over SQLAlchemy Core; never commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def lock(self, email: str) -> None:
        """Serialize the attempts of one email until the transaction ends.

        SQLite writers already run one at a time (BEGIN IMMEDIATE); PostgreSQL takes a
        transaction-scoped advisory lock on the email, so two processes cannot both count 4.
        """
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(email, 0)))
            )

    def record_failure(self, email: str, at: datetime) -> None:
        """Remember one failed login."""
        self._conn.execute(sa.insert(login_failures).values(email=email, failed_at=at))

    def recent_failures(self, email: str, since: datetime, limit: int) -> list[datetime]:
        """The newest ``limit`` failures after ``since``, newest first."""
        stmt = (
            sa.select(login_failures.c.failed_at)
            .where(login_failures.c.email == email, login_failures.c.failed_at > since)
            .order_by(login_failures.c.failed_at.desc())
            .limit(limit)
        )
        return list(self._conn.execute(stmt).scalars())

    def clear(self, email: str) -> None:
        """Forget the failures of an email (after a successful login)."""
        self._conn.execute(sa.delete(login_failures).where(login_failures.c.email == email))

    def delete_before(self, before: datetime) -> int:
        """Forget failures older than ``before``; how many there were."""
        stmt = sa.delete(login_failures).where(login_failures.c.failed_at < before)
        return self._conn.execute(stmt).rowcount


def _user(row: RowMapping) -> User:
    return User.model_validate(dict(row))


def _user_conditions(query: UserQuery) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if query.trashed == "without":
        conditions.append(users.c.deleted_at.is_(None))
    elif query.trashed == "only":
        conditions.append(users.c.deleted_at.is_not(None))
    if query.role is not None:
        conditions.append(users.c.role == query.role.value)
    if query.is_active is not None:
        conditions.append(users.c.is_active.is_(query.is_active))
    if query.q:
        conditions.append(contains(users.c.search_key, query.q.casefold()))
    return conditions
