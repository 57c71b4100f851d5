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
from hypothesis import given, settings
from hypothesis import strategies as st
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
from streamcore.validation import NOT_ONE_LINE

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


# --- SPEC §3 and §3.1: the cases issue 7 saw ----------------------------------------------------


def outcome(call: Any) -> tuple[object, tuple[str, ...]]:
    """What ``call`` returned, or the fields its ``InvalidInputError`` named."""
    try:
        return call(), ()
    except InvalidInputError as error:
        return None, error.fields


CAFE_NFC = "caf\u00e9@example.org"
CAFE_NFD = "cafe\u0301@example.org"
FULL_WIDTH = "\uff41nn@example.org"  # a full-width "a"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (CAFE_NFC, CAFE_NFC),
        (CAFE_NFD, CAFE_NFC),
        (FULL_WIDTH, "ann@example.org"),
        ("\uff21\uff2e\uff2e@EXAMPLE.org", "ann@example.org"),
        ("  \u00c9MILE@example.org\u3000", "\u00e9mile@example.org"),
    ],
)
def test_emails_are_nfkc_then_lower_case_everywhere(given: str, stored: str) -> None:
    assert normalize_email(given) == stored
    assert registration(email=given).email == stored
    assert user_create(email=given).email == stored
    assert Credentials(email=given, password="whatever").email == stored


@given(st.text(st.characters(codec="utf-8"), max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_normal_form_of_an_email_is_its_own_normal_form(text: str) -> None:
    once, refused = outcome(lambda: normalize_email(text))
    assert refused in {(), ("email",)}
    if not refused:
        assert normalize_email(str(once)) == once


@pytest.mark.parametrize(
    "ref", ["ann\ud800@example.org", "ann\x00@example.org", "ann\u202e@example.org", "a\nb"]
)
def test_a_lookup_email_no_storage_could_hold_is_invalid_input(ref: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        normalize_email(ref)
    assert caught.value.fields == ("email",)


SURROGATE_PASSWORD = "correct horse \ud800 battery"
BUILDS_WITH_A_PASSWORD = [
    pytest.param(lambda p: registration(password=p), id="Registration"),
    pytest.param(lambda p: user_create(password=p), id="UserCreate"),
    pytest.param(lambda p: ProfilePatch(password=p), id="ProfilePatch"),
    pytest.param(lambda p: PasswordChange(password=p), id="PasswordChange"),
    pytest.param(lambda p: Credentials(email="ann@example.org", password=p), id="Credentials"),
]


@pytest.mark.parametrize("build", BUILDS_WITH_A_PASSWORD)
@pytest.mark.parametrize(
    ("password", "rule"),
    [
        (SURROGATE_PASSWORD, "valid Unicode"),
        ("correct horse \udcff battery", "valid Unicode"),
        ("correct horse \x00 battery", "NUL"),
    ],
)
def test_a_password_that_cannot_be_hashed_as_utf_8_is_invalid_input(
    build: Any, password: str, rule: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build(password)
    assert caught.value.fields == ("password",)
    assert rule in str(caught.value)


@pytest.mark.parametrize("build", BUILDS_WITH_A_PASSWORD)
def test_a_password_may_hold_any_other_unicode(build: Any) -> None:
    password = " \u202e\t\u00e9\U0001f600 tab\x07 "  # kept as typed, spaces and all
    assert build(password).password.get_secret_value() == password


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "ann\ud800@example.org"},
        {"email": b"ann@example.org"},
        {"email": None},
        {"email": ["ann@example.org"]},
        {"email": "x" * 100_000},
        {"password": None},
        {"password": 12345678},
        {"password": b"secret-bytes"},
        {"password": "x" * 100_000},
        {"password": SURROGATE_PASSWORD},
    ],
)
def test_credentials_raise_only_invalid_input(fields: dict[str, Any]) -> None:
    data = {"email": "ann@example.org", "password": "whatever"} | fields
    _, refused = outcome(lambda: Credentials.model_validate(data))  # anything else escapes
    assert set(refused) <= set(fields)


def test_a_password_that_is_the_email_in_another_form_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        registration(email=CAFE_NFC, password=" CAFE\u0301@Example.org")
    assert caught.value.fields == ("password",)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "name: must not be empty"),
        ({"name": "x" * 101}, "name: must be at most 100 characters"),
        ({"role": "root"}, "role: must be one of admin, editor, subscriber"),
        ({"is_active": "maybe"}, "is_active: must be true or false"),
        ({"password_hash": "x"}, "password_hash: is not a known field"),
        ({"name": "Ann\u2028Smith"}, f"name: {NOT_ONE_LINE}"),
    ],
)
def test_messages_are_ours_not_pydantics(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        user_create(**fields)
    assert str(caught.value) == message


def test_a_missing_password_is_required() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Registration(email="ann@example.org", name="Ann")
    assert str(caught.value) == "password: is required"
