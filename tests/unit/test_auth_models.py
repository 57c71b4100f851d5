"""The auth models (SPEC §3.1): validated inputs, immutable outputs, no secret in sight.

Constructing an input model raises ``InvalidInputError`` naming each offending field. Emails are
stripped and lower-cased; names are 1..100 characters; self-service inputs have no role or
activity field (extra fields are forbidden). No ``User`` carries a password or a hash, and the
repr of a ``LoginResult`` does not show its token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from streamcore import InvalidInputError
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
from streamcore.auth.permissions import Principal, Role

PASSWORD = "correct horse battery"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


BASICS = {"email": "ann@example.org", "password": PASSWORD, "name": "Ann"}


def registration(**fields: Any) -> Registration:
    return Registration(**(BASICS | fields))


def user_create(**fields: Any) -> UserCreate:
    return UserCreate(**(BASICS | fields))


def a_user(**fields: Any) -> User:
    values: dict[str, Any] = {
        "id": 1,
        "email": "ann@example.org",
        "name": "Ann",
        "role": Role.SUBSCRIBER,
        "is_active": True,
        "notify_new_movies": True,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return User(**(values | fields))


def invalid_fields(build: Any, **fields: Any) -> tuple[str, ...]:
    with pytest.raises(InvalidInputError) as error:
        build(**fields)
    return error.value.fields


# --- emails ----------------------------------------------------------------------------------

EMAIL_FORMS = [
    ("ann@example.org", "ann@example.org"),
    ("Ann@Example.ORG", "ann@example.org"),
    ("  ANN@EXAMPLE.ORG\t", "ann@example.org"),
    ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
]


@pytest.mark.parametrize(("given", "stored"), EMAIL_FORMS)
@pytest.mark.parametrize("build", [registration, user_create], ids=["Registration", "UserCreate"])
def test_emails_are_stripped_and_lower_cased(build: Any, given: str, stored: str) -> None:
    assert build(email=given).email == stored


@pytest.mark.parametrize(("given", "stored"), EMAIL_FORMS)
def test_login_emails_are_normalised_the_same_way(given: str, stored: str) -> None:
    assert Credentials(email=given, password="whatever").email == stored
    assert normalize_email(given) == stored


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.org",
        "ann@example",
        "ann@@example.org",
        "ann smith@example.org",
        "ann@example.",
        "a" * 245 + "@example.org",  # 257 characters
    ],
)
@pytest.mark.parametrize("build", [registration, user_create], ids=["Registration", "UserCreate"])
def test_an_invalid_email_is_refused_by_name(build: Any, email: str) -> None:
    assert invalid_fields(build, email=email) == ("email",)


def test_the_longest_email_is_accepted() -> None:
    email = "a" * 242 + "@example.org"  # 254 characters
    assert len(email) == 254
    assert registration(email=email).email == email


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"), [(" Ann ", "Ann"), ("A", "A"), ("x" * 100, "x" * 100), ("Zoë", "Zoë")]
)
def test_names_are_stripped_and_1_to_100_characters(given: str, stored: str) -> None:
    assert registration(name=given).name == stored
    assert UserPatch(name=given).name == stored
    assert ProfilePatch(name=given).name == stored


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
@pytest.mark.parametrize(
    "build", [registration, user_create, UserPatch, ProfilePatch], ids=lambda b: b.__name__
)
def test_a_bad_name_is_refused_by_name(build: Any, name: str) -> None:
    assert invalid_fields(build, name=name) == ("name",)


# --- what each input may hold ----------------------------------------------------------------


def test_a_user_made_by_an_admin_defaults_to_an_active_notified_subscriber() -> None:
    data = user_create()
    assert (data.role, data.is_active, data.notify_new_movies) == (Role.SUBSCRIBER, True, True)


@pytest.mark.parametrize("role", list(Role))
def test_an_admin_may_give_any_role(role: Role) -> None:
    assert user_create(role=role.value).role is role
    assert UserPatch(role=role.value).role is role


@pytest.mark.parametrize("build", [user_create, UserPatch], ids=["UserCreate", "UserPatch"])
@pytest.mark.parametrize("role", ["root", "Admin ", "", "owner"])
def test_an_unknown_role_is_refused(build: Any, role: str) -> None:
    assert invalid_fields(build, role=role) == ("role",)


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [
        (registration, "role", "admin"),
        (registration, "is_active", False),
        (ProfilePatch, "role", "admin"),
        (ProfilePatch, "is_active", False),
        (ProfilePatch, "email", "new@example.org"),
        (ProfilePatch, "password_hash", "x"),
        (UserPatch, "password", PASSWORD),
        (PasswordChange, "role", "admin"),
    ],
)
def test_extra_fields_are_refused_by_name(build: Any, field: str, value: object) -> None:
    fields: dict[str, Any] = {"password": PASSWORD} if build is PasswordChange else {}
    assert invalid_fields(build, **fields, **{field: value}) == (field,)


def test_a_profile_patch_has_no_role_or_activity_field() -> None:
    assert set(ProfilePatch.model_fields) == {"name", "password", "notify_new_movies"}
    assert set(Registration.model_fields) == {"email", "password", "name"}


@pytest.mark.parametrize("build", [UserPatch, ProfilePatch], ids=lambda b: b.__name__)
@pytest.mark.parametrize("field", ["name", "notify_new_movies"])
def test_a_patch_may_not_set_a_field_to_null(build: Any, field: str) -> None:
    with pytest.raises(InvalidInputError, match="may not be null") as error:
        build(**{field: None})
    assert error.value.fields == (field,)


def test_a_patch_knows_which_fields_were_given() -> None:
    assert UserPatch(role="editor", is_active=False).changes() == {
        "role": Role.EDITOR,
        "is_active": False,
    }
    assert ProfilePatch(notify_new_movies=False).changes() == {"notify_new_movies": False}
    assert ProfilePatch().password_value() is None
    assert ProfilePatch(password=PASSWORD).password_value() == PASSWORD


@pytest.mark.parametrize(
    "fields",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"trashed": "all"},
        {"role": "root"},
        {"q": "x" * 255},
        {"sort": "email"},
    ],
)
def test_a_bad_user_query_is_refused_by_name(fields: dict[str, Any]) -> None:
    assert invalid_fields(UserQuery, **fields) == tuple(fields)


def test_a_user_query_defaults_to_the_first_20_live_users() -> None:
    query = UserQuery(q="  ann  ")
    assert (query.q, query.limit, query.offset, query.trashed) == ("ann", 20, 0, "without")


# --- outputs ----------------------------------------------------------------------------------


def test_a_user_holds_no_password_or_hash() -> None:
    assert set(User.model_fields) == {
        "id",
        "email",
        "name",
        "role",
        "is_active",
        "notify_new_movies",
        "created_at",
        "updated_at",
        "deleted_at",
    }


def test_outputs_are_immutable() -> None:
    user = a_user()
    with pytest.raises(ValidationError):
        user.role = Role.ADMIN  # type: ignore[misc]
    result = LoginResult(access_token="t" * 43, expires_at=NOW, user=user)
    with pytest.raises(ValidationError):
        result.access_token = "other"  # type: ignore[misc]


def test_a_user_is_the_principal_of_its_own_calls() -> None:
    assert a_user(id=7, role=Role.EDITOR).principal == Principal(user_id=7, role=Role.EDITOR)


def test_the_repr_of_a_login_result_hides_the_token() -> None:
    token = "Q2hhbmdlIG1lIHBsZWFzZSB0aGlzIGlzIGEgdG9rZW4"
    result = LoginResult(access_token=token, expires_at=NOW, user=a_user())
    assert token not in repr(result)
    assert token not in str(result)
    assert result.token_type == "bearer"
    assert result.access_token == token  # shown once, to whoever logged in


# --- secrets in inputs and errors ----------------------------------------------------------------

SECRET = "Sw0rdfish-secret"


@pytest.mark.parametrize(
    "build",
    [
        lambda: registration(password=SECRET),
        lambda: user_create(password=SECRET),
        lambda: ProfilePatch(password=SECRET),
        lambda: PasswordChange(password=SECRET),
        lambda: Credentials(email="ann@example.org", password=SECRET),
    ],
    ids=["Registration", "UserCreate", "ProfilePatch", "PasswordChange", "Credentials"],
)
def test_inputs_holding_a_password_never_show_it(build: Any) -> None:
    model = build()
    shown = [repr(model), str(model), model.model_dump_json(), str(model.model_dump())]
    assert [SECRET in text for text in shown] == [False] * len(shown)
    assert model.password.get_secret_value() == SECRET  # kept, only hidden


BAD_PASSWORDS = [
    pytest.param(lambda p: registration(password=p), "short7!", id="Registration-too-short"),
    pytest.param(lambda p: registration(password=p), "Z" * 257, id="Registration-too-long"),
    pytest.param(lambda p: user_create(password=p), "short7!", id="UserCreate-too-short"),
    pytest.param(lambda p: ProfilePatch(password=p), "short7!", id="ProfilePatch-too-short"),
    pytest.param(lambda p: PasswordChange(password=p), "Z" * 257, id="PasswordChange-too-long"),
    pytest.param(
        lambda p: Credentials(email="ann@example.org", password=p),
        "Z" * 257,
        id="Credentials-too-long",
    ),
    pytest.param(lambda p: registration(password=p), "ann@example.org", id="Registration-email"),
    pytest.param(lambda p: registration(password=p), "ANN@Example.ORG", id="Registration-EMAIL"),
    pytest.param(lambda p: user_create(password=p), "Ann@Example.org", id="UserCreate-email"),
]


@pytest.mark.parametrize(("build", "password"), BAD_PASSWORDS)
def test_an_error_about_a_password_never_shows_it(build: Any, password: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        build(password)
    assert error.value.fields == ("password",)
    shown = " ".join([str(error.value), repr(error.value), *map(str, error.value.errors)])
    assert password not in shown
    assert password.lower() not in shown.lower()
