"""``AuthService``: accounts, passwords, login, tokens and lockout (SPEC §3.1).

Each method is one use case. Login is the exception that proves the rule: it reads the
stored hash in one short unit of work, verifies the password outside any transaction (argon2 is
slow on purpose and must not hold SQLite's write lock), and then, in a second one that holds the
user's row, counts a failure or opens the session — only if the hash it verified is still the
stored one. Every method that changes a user holds its row until it commits.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from streamcore.auth.errors import (
    DuplicateEmailError,
    InvalidCredentialsError,
    InvalidTokenError,
    UserNotFoundError,
)
from streamcore.auth.models import (
    Credentials,
    LoginResult,
    PasswordChange,
    ProfilePatch,
    Registration,
    User,
    UserCreate,
    UserPatch,
    UserQuery,
    normalize_email,
)
from streamcore.auth.passwords import PasswordHasher
from streamcore.auth.permissions import Permission, Principal, Role, allows, require
from streamcore.auth.repository import AuthUnitOfWork
from streamcore.clock import Clock, utcnow
from streamcore.errors import (
    InvalidInputError,
    NotAuthenticatedError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from streamcore.events import UserDeleted, UserRegistered, UserUpdated
from streamcore.paging import Page
from streamcore.uow import RowLock, UnitOfWorkFactory
from streamcore.validation import is_valid_id

MAX_FAILED_LOGINS = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
TOKEN_BYTES = 32  # 256 random bits
CREDENTIAL_RACES = 3
"""How often a login verifies again when the stored hash changed while it was verifying."""


UserDeletionHook = Callable[[AuthUnitOfWork, int, datetime], None]
"""Work other domains do inside the unit of work that deletes a user (wired by core.py)."""


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    # surrogatepass: any str a caller sends has a digest (and simply matches no token).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class AuthService:
    """Users (CRUD, profile, passwords) and sessions (login, logout, authenticate)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[AuthUnitOfWork],
        hasher: PasswordHasher,
        *,
        token_ttl: timedelta = timedelta(days=1),
        clock: Clock = utcnow,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(TOKEN_BYTES),
        on_user_deleted: Sequence[UserDeletionHook] = (),
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._token_ttl = token_ttl
        self._clock = clock
        self._new_token = new_token
        self._on_user_deleted = tuple(on_user_deleted)

    # -- accounts -------------------------------------------------------------------------

    def register(self, data: Registration) -> User:
        """Sign up as a subscriber. Raises ``DuplicateEmailError``."""
        return self._add(UserCreate(**data.model_dump(), role=Role.SUBSCRIBER))

    def create_user(self, data: UserCreate, *, actor: Principal) -> User:
        """An administrator adds a user with any role. Raises ``DuplicateEmailError``."""
        require(actor, Permission.MANAGE_USERS)
        return self._add(data)

    def get_user(self, user_id: int, *, actor: Principal, include_deleted: bool = False) -> User:
        """One user: any for an administrator, oneself for everyone else."""
        _require_self_or(actor, user_id, Permission.READ_OWN_PROFILE)
        with self._uow(readonly=True) as uow:
            return _load(uow, user_id, include_deleted=include_deleted)

    def find_user(self, ref: str, *, actor: Principal, include_deleted: bool = False) -> User:
        """A user by id or email (administrators). Raises ``UserNotFoundError``."""
        require(actor, Permission.MANAGE_USERS)
        ref = ref.strip()  # " 1 " is user 1; normalize_email refuses text no email can be
        with self._uow(readonly=True) as uow:
            if ref.isascii() and ref.isdigit():
                user = uow.users.get(int(ref)) if is_valid_id(int(ref)) else None
            else:
                user = uow.users.get_by_email(normalize_email(ref))
        if user is None or (user.deleted_at is not None and not include_deleted):
            raise UserNotFoundError(ref)
        return user

    def list_users(self, query: UserQuery | None = None, *, actor: Principal) -> Page[User]:
        """One page of users (administrators only)."""
        require(actor, Permission.MANAGE_USERS)
        query = query or UserQuery()
        with self._uow(readonly=True) as uow:
            items, total = uow.users.list(query)
        return Page[User](items=tuple(items), total=total, limit=query.limit, offset=query.offset)

    def update_user(self, user_id: int, patch: UserPatch, *, actor: Principal) -> User:
        """An administrator changes name, role, activity or the notify flag.

        Deactivating a user revokes its tokens.
        """
        require(actor, Permission.MANAGE_USERS)
        return self._change(user_id, patch.changes())

    def update_profile(self, patch: ProfilePatch, *, actor: Principal) -> User:
        """A user changes its own name, password or notify flag (never role or activity)."""
        require(actor, Permission.UPDATE_OWN_PROFILE)
        if actor.user_id is None:  # SYSTEM has no profile
            raise NotAuthenticatedError("update_profile needs the logged-in user as actor")
        changes = {k: v for k, v in patch.changes().items() if k != "password"}
        return self._change(actor.user_id, changes, password=patch.password_value())

    def set_password(self, user_id: int, change: PasswordChange, *, actor: Principal) -> User:
        """Set a new password (an administrator, or the user itself); revokes every token."""
        _require_self_or(actor, user_id, Permission.UPDATE_OWN_PROFILE)
        return self._change(user_id, {}, password=change.password.get_secret_value())

    def delete_user(self, user_id: int, *, actor: Principal) -> None:
        """Soft-delete a user: no more logins, every token revoked, gone from listings."""
        require(actor, Permission.MANAGE_USERS)
        with self._uow() as uow:
            user = _load(uow, user_id, lock="update")
            now = self._clock()
            uow.users.save(user.model_copy(update={"deleted_at": now, "updated_at": now}))
            uow.tokens.delete_for_user(user_id)
            for hook in self._on_user_deleted:  # e.g. cancel the user's subscription, same commit
                hook(uow, user_id, now)
            uow.collect(UserDeleted(occurred_at=now, user_id=user_id))
            uow.commit()

    def restore_user(self, user_id: int, *, actor: Principal) -> User:
        """Undo a soft delete; a user that is not deleted is returned as it is."""
        require(actor, Permission.MANAGE_USERS)
        with self._uow() as uow:
            user = _load(uow, user_id, include_deleted=True, lock="update")
            if user.deleted_at is None:
                return user
            now = self._clock()
            restored = user.model_copy(update={"deleted_at": None, "updated_at": now})
            uow.users.save(restored)
            uow.collect(UserUpdated(occurred_at=now, user_id=user_id, changed=("deleted_at",)))
            uow.commit()
        return restored

    # -- sessions -------------------------------------------------------------------------

    def login(self, credentials: Credentials) -> LoginResult:
        """Check email and password and issue a bearer token.

        Raises ``TooManyAttemptsError`` after too many recent failures (even for the right
        password) and ``InvalidCredentialsError`` for a wrong email or password.
        """
        email, password = credentials.email, credentials.password.get_secret_value()
        now = self._clock()
        with self._uow(readonly=True) as uow:
            self._check_lockout(uow, email, now)  # refused at once: no slow verify for it
            user = uow.users.get_by_email(email)
            stored = uow.users.password_hash(user.id) if user else None
        for _ in range(CREDENTIAL_RACES):
            verified = self._verify(stored, password)
            # Re-hash (slow on purpose) before the transaction, not while holding its locks.
            rehashed = (
                self._hasher.hash(password)
                if verified and stored and self._hasher.needs_rehash(stored)
                else None
            )
            with self._uow() as uow:
                uow.login_attempts.lock(email)
                # Again under the lock: failures counted meanwhile stop this attempt too, so
                # no caller learns the answer to more than the allowed number of guesses.
                self._check_lockout(uow, email, now)
                current = uow.users.get(user.id, lock="update") if user else None
                now_stored = uow.users.password_hash(user.id) if user else None
                if verified and now_stored != stored:
                    stored = now_stored  # a new password or a re-hash meanwhile: verify again
                    continue
                if not verified or current is None or not _may_log_in(current):
                    uow.login_attempts.record_failure(email, now)
                    uow.commit()
                    raise InvalidCredentialsError
                return self._open_session(uow, current, stored, rehashed, now)
        raise InvalidCredentialsError  # the hash kept changing under us: refuse, count nothing

    def logout(self, token: str) -> None:
        """Revoke a token. Raises ``InvalidTokenError`` if it is not a live token."""
        digest = token_digest(token)
        with self._uow() as uow:
            if uow.tokens.user_for(digest, self._clock()) is None:
                raise InvalidTokenError
            uow.tokens.delete(digest)
            uow.commit()

    def authenticate(self, token: str) -> User:
        """The user a bearer token belongs to: one indexed lookup, no hashing.

        Raises ``InvalidTokenError`` for an unknown, expired or revoked token, or one whose
        user is inactive or deleted.
        """
        with self._uow(readonly=True) as uow:
            user = uow.tokens.user_for(token_digest(token), self._clock())
        if user is None:
            raise InvalidTokenError
        return user

    def notification_recipients(self) -> list[str]:
        """Emails of the active users who asked to hear of new movies."""
        with self._uow(readonly=True) as uow:
            return uow.users.notifiable_emails()

    def purge_expired(self) -> int:
        """Delete expired tokens and stale login failures; how many tokens went."""
        now = self._clock()
        with self._uow() as uow:
            removed = uow.tokens.delete_expired(now)
            uow.login_attempts.delete_before(now - LOCKOUT_WINDOW)
            uow.commit()
        return removed

    # -- helpers --------------------------------------------------------------------------

    def _add(self, data: UserCreate) -> User:
        password_hash = self._hasher.hash(data.password.get_secret_value())
        with self._uow() as uow:
            holder = uow.users.get_by_email(data.email)
            if holder is not None:
                deleted_id = holder.id if holder.deleted_at is not None else None
                raise DuplicateEmailError(data.email, deleted_id=deleted_id)
            user = uow.users.add(data, password_hash, self._clock())
            uow.collect(
                UserRegistered(
                    occurred_at=user.created_at, user_id=user.id, email=user.email, role=user.role
                )
            )
            uow.commit()
        return user

    def _change(
        self, user_id: int, changes: Mapping[str, object], *, password: str | None = None
    ) -> User:
        new_hash = self._hasher.hash(password) if password is not None else None
        with self._uow() as uow:
            user = _load(uow, user_id, lock="update")
            if password is not None and password.strip().lower() == user.email:
                raise InvalidInputError.single("password", "must not be the email address")
            changed = [k for k, v in changes.items() if v != getattr(user, k)]
            if not changed and new_hash is None:
                return user
            now = self._clock()
            updated = user.model_copy(
                update={**{k: changes[k] for k in changed}, "updated_at": now}
            )
            uow.users.save(updated)
            if new_hash is not None:
                uow.users.set_password_hash(user_id, new_hash)
                changed.append("password")
            if new_hash is not None or updated.is_active is False:
                uow.tokens.delete_for_user(user_id)
            uow.collect(UserUpdated(occurred_at=now, user_id=user_id, changed=tuple(changed)))
            uow.commit()
        return updated

    def _check_lockout(self, uow: AuthUnitOfWork, email: str, now: datetime) -> None:
        recent = uow.login_attempts.recent_failures(email, now - LOCKOUT_WINDOW, MAX_FAILED_LOGINS)
        if len(recent) >= MAX_FAILED_LOGINS:
            # Open again once the oldest of the last five failures leaves the window.
            wait = (recent[-1] + LOCKOUT_WINDOW - now).total_seconds()
            raise TooManyAttemptsError(
                "too many failed logins for this email; try again later",
                retry_after=max(1, math.ceil(wait)),
            )

    def _verify(self, stored: str | None, password: str) -> bool:
        if stored is None:
            self._hasher.verify_dummy(password)  # as slow as a real verify: no user probing
            return False
        return self._hasher.verify(stored, password)

    def _open_session(
        self,
        uow: AuthUnitOfWork,
        user: User,
        stored: str | None,
        rehashed: str | None,
        now: datetime,
    ) -> LoginResult:
        token = self._new_token()
        expires_at = now + self._token_ttl
        if rehashed is not None and stored is not None:
            uow.users.replace_password_hash(user.id, stored, rehashed)
        uow.login_attempts.clear(user.email)
        uow.tokens.delete_expired(now)
        uow.tokens.add(token_digest(token), user.id, now, expires_at)
        uow.commit()
        return LoginResult(access_token=token, expires_at=expires_at, user=user)


def _may_log_in(user: User) -> bool:
    return user.is_active and user.deleted_at is None


def _load(
    uow: AuthUnitOfWork,
    user_id: int,
    *,
    include_deleted: bool = False,
    lock: RowLock | None = None,
) -> User:
    user = uow.users.get(user_id, lock=lock) if is_valid_id(user_id) else None
    if user is None or (user.deleted_at is not None and not include_deleted):
        raise UserNotFoundError(user_id)
    return user


def _require_self_or(actor: Principal, user_id: int, own: Permission) -> None:
    """Administrators may act on anyone; others only on themselves."""
    if allows(actor, Permission.MANAGE_USERS):
        return
    require(actor, own)
    if actor.user_id != user_id:
        raise PermissionDeniedError("you may only act on your own account")
