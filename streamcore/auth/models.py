"""User models: validated inputs, immutable outputs, the principal (SPEC §3.1).

No model returned by the core holds a password or a hash; password inputs are ``SecretStr`` so
that no repr, log line or error message can show them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from streamcore.auth.permissions import Principal, Role
from streamcore.errors import FieldError, InvalidInputError
from streamcore.paging import PageQuery, Trashed
from streamcore.validation import (
    ONE_LINE,
    InputModel,
    OutputModel,
    secret_problem,
    text_problem,
)

KEEP_PASSWORD_SPACES = ConfigDict(str_strip_whitespace=False)
"""Passwords are taken as typed (merged into the base config); names and emails strip anyway."""

MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_EMAIL = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def normalize_email(value: str) -> str:
    """The one form of an email, at registration, login and every lookup (SPEC §3.1).

    Stripped, Unicode NFKC, then lower-cased: ``ANN@example.org`` in full-width letters and
    ``ann@example.org`` (or ``café`` composed and decomposed) are one address. Raises
    ``InvalidInputError`` for text that breaks SPEC §3's one-line rules (a lone surrogate,
    NUL, a control character), so a lookup with such a string is a clear error rather than a
    driver's.
    """
    problem = text_problem(value.strip())
    if problem:
        raise InvalidInputError.single("email", problem)
    # NFKC maps no character to a control, separator or bidi one (checked over all of Unicode).
    return _normal_form(value)


def _normal_form(text: str) -> str:
    if text.isascii():  # NFKC leaves ASCII alone
        return text.strip().lower()
    return unicodedata.normalize("NFKC", text.strip()).lower().strip()


def _check_email(value: str) -> str:
    # The length twice: before normalising (cheap, bounds NFKC's work) and after.
    email = normalize_email(value) if len(value) <= 4 * MAX_EMAIL else ""
    if not email or len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise ValueError("must be an email address like name@example.org")
    return email


def _login_email(value: str) -> str:
    # A login's email is only normalised and bounded: one that is no address matches nobody.
    email = normalize_email(value) if len(value) <= 4 * MAX_EMAIL else value
    if len(email) > MAX_EMAIL:
        raise ValueError(f"must be at most {MAX_EMAIL} characters")
    return email


def _storable_password(value: SecretStr) -> SecretStr:
    # Hashed as UTF-8 (pydantic-core already refuses a lone surrogate) and never with a NUL.
    problem = secret_problem(value.get_secret_value())
    if problem:
        raise ValueError(problem)
    return value


def _check_password(value: SecretStr) -> SecretStr:
    # The messages never echo the password.
    text = _storable_password(value).get_secret_value()
    if not MIN_PASSWORD <= len(text) <= MAX_PASSWORD:
        raise ValueError(f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long")
    if not text.strip():
        raise ValueError("must not be only spaces")
    return value


Email = Annotated[str, ONE_LINE, AfterValidator(_check_email)]
Name = Annotated[
    str, ONE_LINE, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
Password = Annotated[SecretStr, AfterValidator(_check_password)]


def _not_the_email(email: str | None, password: SecretStr | None) -> None:
    # Compared in the email's normal form; the password itself may hold what an email may not.
    if email and password and _normal_form(password.get_secret_value()) == email:
        raise InvalidInputError([FieldError("password", "must not be the email address")])


class Registration(InputModel):
    """Self-service sign-up: always a subscriber."""

    model_config = KEEP_PASSWORD_SPACES

    email: Email
    password: Password
    name: Name

    @model_validator(mode="after")
    def _password_is_not_email(self) -> Registration:
        _not_the_email(self.email, self.password)
        return self


class UserCreate(InputModel):
    """A user made by an administrator, with any role."""

    model_config = KEEP_PASSWORD_SPACES

    email: Email
    password: Password
    name: Name
    role: Role = Role.SUBSCRIBER
    is_active: bool = True
    notify_new_movies: bool = True

    @model_validator(mode="after")
    def _password_is_not_email(self) -> UserCreate:
        _not_the_email(self.email, self.password)
        return self


class UserPatch(InputModel):
    """An administrator's partial update of a user."""

    name: Name | None = None
    role: Role | None = None
    is_active: bool | None = None
    notify_new_movies: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> UserPatch:
        self.reject_nulls(type(self).model_fields)
        return self


class ProfilePatch(InputModel):
    """What users may change about themselves: not role, not is_active."""

    model_config = KEEP_PASSWORD_SPACES

    name: Name | None = None
    password: Password | None = None
    notify_new_movies: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> ProfilePatch:
        self.reject_nulls(type(self).model_fields)
        return self

    def password_value(self) -> str | None:
        """The new password in clear, for hashing; ``None`` if not changing it."""
        return None if self.password is None else self.password.get_secret_value()


class PasswordChange(InputModel):
    """A new password (set by an administrator or the user)."""

    model_config = KEEP_PASSWORD_SPACES

    password: Password


class Credentials(InputModel):
    """Email and password of a login: only their upper bounds are checked; a wrong one fails."""

    model_config = KEEP_PASSWORD_SPACES

    email: Annotated[str, ONE_LINE, AfterValidator(_login_email)]
    password: Annotated[
        SecretStr, Field(max_length=MAX_PASSWORD), AfterValidator(_storable_password)
    ]


class UserQuery(PageQuery):
    """Filters and page of a user listing (sorted by id)."""

    q: Annotated[str, ONE_LINE, StringConstraints(strip_whitespace=True, max_length=254)] | None = (
        None
    )
    role: Role | None = None
    is_active: bool | None = None
    trashed: Trashed = "without"


class User(OutputModel):
    """A user as the core returns it: never a password or a hash."""

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    notify_new_movies: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def principal(self) -> Principal:
        """This user as a caller of the services."""
        return Principal(user_id=self.id, role=self.role)


class LoginResult(OutputModel):
    """A new bearer token and whose it is; ``access_token`` is shown once, stored as a digest."""

    access_token: str = Field(repr=False)
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_at: datetime
    user: User
