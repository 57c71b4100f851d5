"""The auth repository ports (users, tokens, login attempts) and their in-memory versions.

Password hashes live only behind ``UserRepository.password_hash``; no ``User`` carries one.
Tokens are stored as SHA-256 digests, never as the token itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from streamcore.auth.errors import DuplicateEmailError
from streamcore.auth.models import User, UserCreate, UserQuery
from streamcore.uow import RowLock, UnitOfWork


def user_search_key(email: str, name: str) -> str:
    """What a user search (``UserQuery.q``) looks in: email and name, case-folded.

    A newline keeps them apart, so that a search cannot match across the two.
    """
    return f"{email}\n{name}".casefold()


class UserRepository(Protocol):
    """Storage of users and their password hashes."""

    def add(self, data: UserCreate, password_hash: str, now: datetime) -> User:
        """Insert a user; raises ``DuplicateEmailError`` if the email is taken."""
        ...

    def get(self, user_id: int, *, lock: RowLock | None = None) -> User | None:
        """The user with this id, deleted or not; ``lock`` holds its row until commit."""
        ...

    def get_by_email(self, email: str) -> User | None:
        """The user with this (normalized) email, deleted or not."""
        ...

    def password_hash(self, user_id: int) -> str | None:
        """The stored hash of the user's password."""
        ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the stored hash."""
        ...

    def replace_password_hash(self, user_id: int, old: str, new: str) -> bool:
        """Replace the stored hash only if it is still ``old`` (a re-hash); whether it was."""
        ...

    def save(self, user: User) -> None:
        """Overwrite the stored fields of ``user`` (matched by id)."""
        ...

    def notifiable_emails(self) -> list[str]:
        """Emails of the active, not deleted users who want news of new movies, by id."""
        ...

    def list(self, query: UserQuery) -> tuple[list[User], int]:
        """One page of users matching ``query`` (by id), and the number of all matches."""
        ...


class TokenRepository(Protocol):
    """Storage of bearer-token digests."""

    def add(self, digest: str, user_id: int, created_at: datetime, expires_at: datetime) -> None:
        """Store a new token's digest."""
        ...

    def user_for(self, digest: str, now: datetime) -> User | None:
        """The active, not deleted user whose unexpired token has this digest."""
        ...

    def delete(self, digest: str) -> bool:
        """Revoke one token; whether it existed."""
        ...

    def delete_for_user(self, user_id: int) -> int:
        """Revoke every token of a user; how many there were."""
        ...

    def delete_expired(self, now: datetime) -> int:
        """Remove tokens that expired; how many there were."""
        ...


class LoginAttemptRepository(Protocol):
    """Failed logins per email, shared by every process that uses the storage."""

    def lock(self, email: str) -> None:
        """Serialize the login attempts of one email until the transaction ends."""
        ...

    def record_failure(self, email: str, at: datetime) -> None:
        """Remember one failed login."""
        ...

    def recent_failures(self, email: str, since: datetime, limit: int) -> list[datetime]:
        """The newest ``limit`` failures after ``since``, newest first."""
        ...

    def clear(self, email: str) -> None:
        """Forget the failures of an email (after a successful login)."""
        ...

    def delete_before(self, before: datetime) -> int:
        """Forget failures older than ``before``; how many there were."""
        ...


class AuthUnitOfWork(UnitOfWork, Protocol):
    """What the auth services need of a unit of work."""

    @property
    def users(self) -> UserRepository:
        """The users of this transaction."""
        ...

    @property
    def tokens(self) -> TokenRepository:
        """The tokens of this transaction."""
        ...

    @property
    def login_attempts(self) -> LoginAttemptRepository:
        """The failed logins of this transaction."""
        ...


@dataclass(frozen=True, slots=True)
class _TokenRow:
    user_id: int
    expires_at: datetime


@dataclass
class AuthTables:
    """The in-memory rows of the auth domain; cloned per writing unit of work."""

    users: dict[int, User] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)
    next_user_id: int = 1
    tokens: dict[str, _TokenRow] = field(default_factory=dict)
    failures: list[tuple[str, datetime]] = field(default_factory=list)

    def clone(self) -> AuthTables:
        """A copy whose changes do not touch these tables."""
        return replace(
            self,
            users=dict(self.users),
            hashes=dict(self.hashes),
            tokens=dict(self.tokens),
            failures=list(self.failures),
        )


class InMemoryUserRepository:
    """``UserRepository`` over ``AuthTables``."""

    def __init__(self, tables: AuthTables) -> None:
        self._t = tables

    def add(self, data: UserCreate, password_hash: str, now: datetime) -> User:
        """Insert a user; raises ``DuplicateEmailError`` if the email is taken."""
        if self.get_by_email(data.email) is not None:
            raise DuplicateEmailError(data.email)
        user = User(
            id=self._t.next_user_id,
            **data.model_dump(exclude={"password"}),
            created_at=now,
            updated_at=now,
        )
        self._t.next_user_id += 1
        self._t.users[user.id] = user
        self._t.hashes[user.id] = password_hash
        return user

    def get(self, user_id: int, *, lock: RowLock | None = None) -> User | None:
        """The user with this id, deleted or not (writers hold every row already)."""
        return self._t.users.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        """The user with this (normalized) email, deleted or not."""
        return next((u for u in self._t.users.values() if u.email == email), None)

    def password_hash(self, user_id: int) -> str | None:
        """The stored hash of the user's password."""
        return self._t.hashes.get(user_id)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the stored hash."""
        self._t.hashes[user_id] = password_hash

    def replace_password_hash(self, user_id: int, old: str, new: str) -> bool:
        """Replace the stored hash only if it is still ``old`` (a re-hash); whether it was."""
        if self._t.hashes.get(user_id) != old:
            return False
        self._t.hashes[user_id] = new
        return True

    def save(self, user: User) -> None:
        """Overwrite the stored fields of ``user`` (matched by id)."""
        self._t.users[user.id] = user

    def notifiable_emails(self) -> list[str]:
        """Emails of the active, not deleted users who want news of new movies, by id."""
        return [
            u.email
            for _, u in sorted(self._t.users.items())
            if u.is_active and u.deleted_at is None and u.notify_new_movies
        ]

    def list(self, query: UserQuery) -> tuple[list[User], int]:
        """One page of users matching ``query`` (by id), and the number of all matches."""
        matches = sorted(
            (u for u in self._t.users.values() if _user_matches(u, query)), key=lambda u: u.id
        )
        return matches[query.offset : query.offset + query.limit], len(matches)


def _user_matches(user: User, query: UserQuery) -> bool:
    deleted = user.deleted_at is not None
    if (query.trashed == "without" and deleted) or (query.trashed == "only" and not deleted):
        return False
    if query.role is not None and user.role != query.role:
        return False
    if query.is_active is not None and user.is_active != query.is_active:
        return False
    return not query.q or query.q.casefold() in user_search_key(user.email, user.name)


class InMemoryTokenRepository:
    """``TokenRepository`` over ``AuthTables``."""

    def __init__(self, tables: AuthTables) -> None:
        self._t = tables

    def add(self, digest: str, user_id: int, created_at: datetime, expires_at: datetime) -> None:
        """Store a new token's digest."""
        self._t.tokens[digest] = _TokenRow(user_id, expires_at)

    def user_for(self, digest: str, now: datetime) -> User | None:
        """The active, not deleted user whose unexpired token has this digest."""
        row = self._t.tokens.get(digest)
        if row is None or row.expires_at <= now:
            return None
        user = self._t.users.get(row.user_id)
        if user is None or not user.is_active or user.deleted_at is not None:
            return None
        return user

    def delete(self, digest: str) -> bool:
        """Revoke one token; whether it existed."""
        return self._t.tokens.pop(digest, None) is not None

    def delete_for_user(self, user_id: int) -> int:
        """Revoke every token of a user; how many there were."""
        return self._delete_where(lambda row: row.user_id == user_id)

    def delete_expired(self, now: datetime) -> int:
        """Remove tokens that expired; how many there were."""
        return self._delete_where(lambda row: row.expires_at <= now)

    def _delete_where(self, doomed: Callable[[_TokenRow], bool]) -> int:
        gone = [digest for digest, row in self._t.tokens.items() if doomed(row)]
        for digest in gone:
            del self._t.tokens[digest]
        return len(gone)


class InMemoryLoginAttemptRepository:
    """``LoginAttemptRepository`` over ``AuthTables``."""

    def __init__(self, tables: AuthTables) -> None:
        self._t = tables

    def lock(self, email: str) -> None:
        """Nothing to do: writing units of work already run one at a time."""

    def record_failure(self, email: str, at: datetime) -> None:
        """Remember one failed login."""
        self._t.failures.append((email, at))

    def recent_failures(self, email: str, since: datetime, limit: int) -> list[datetime]:
        """The newest ``limit`` failures after ``since``, newest first."""
        times = sorted((t for e, t in self._t.failures if e == email and t > since), reverse=True)
        return times[:limit]

    def clear(self, email: str) -> None:
        """Forget the failures of an email (after a successful login)."""
        self._t.failures = [(e, t) for e, t in self._t.failures if e != email]

    def delete_before(self, before: datetime) -> int:
        """Forget failures older than ``before``; how many there were."""
        kept = [(e, t) for e, t in self._t.failures if t >= before]
        removed = len(self._t.failures) - len(kept)
        self._t.failures = kept
        return removed
