"""SPEC §3's input rules where they meet the storage, on the memory, SQLite and PostgreSQL backends.

The largest price a plan may have (10 integer digits, 2 decimals) is stored and read back
exactly; an email is one account in every Unicode form (NFKC, then lower-case, SPEC §3.1):
registered in one form, it logs in and is found in another, and another form of it is a
duplicate; a lookup or login with text no storage could hold is ``InvalidInputError``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from streamcore import InvalidInputError, StreamCore
from streamcore.auth.errors import DuplicateEmailError
from streamcore.auth.models import Credentials, Registration, UserCreate
from streamcore.auth.permissions import SYSTEM
from streamcore.subscriptions.models import (
    MAX_AMOUNT,
    PaymentCreate,
    PlanCreate,
    PlanQuery,
    SubscriptionCreate,
)

PASSWORD = "correct horse battery"
CAFE_NFC = "caf\u00e9@example.org"
CAFE_NFD = "cafe\u0301@example.org"
ANN_FULL_WIDTH = "\uff41nn@example.org"  # a full-width "a"


def test_the_largest_price_is_stored_and_read_back_exactly(core: StreamCore) -> None:
    assert str(MAX_AMOUNT) == "9999999999.99"
    data = PlanCreate(name="Everything", price="9999999999.99", currency="EUR", period="year")
    plan = core.plans.create(data, actor=SYSTEM)
    user = core.auth.create_user(
        UserCreate(email="ann@example.org", password=PASSWORD, name="Ann"), actor=SYSTEM
    )
    subscription = core.subscriptions.create(
        SubscriptionCreate(plan_id=plan.id, user_id=user.id), actor=SYSTEM
    )
    payment = PaymentCreate(amount="9999999999.99", currency="EUR", reference="ch_max")

    first = core.subscriptions.record_payment(subscription.id, payment, actor=SYSTEM)
    replay = core.subscriptions.record_payment(subscription.id, payment, actor=SYSTEM)

    assert core.plans.get(plan.id, actor=SYSTEM).price == Decimal("9999999999.99")
    listed = core.plans.list(PlanQuery(include_inactive=True), actor=SYSTEM).items
    assert [p.price for p in listed] == [Decimal("9999999999.99")]
    assert (first.created, replay.created) == (True, False)  # the replay is read from storage
    assert replay.payment.amount == Decimal("9999999999.99")
    assert str(replay.payment.amount) == "9999999999.99"


@pytest.mark.parametrize(
    ("registered", "logs_in_with"),
    [
        (CAFE_NFD, CAFE_NFC),
        (CAFE_NFC, CAFE_NFD),
        (ANN_FULL_WIDTH, "ann@example.org"),
        ("ann@example.org", ANN_FULL_WIDTH),
        ("ANN@Example.org", " \uff41NN@EXAMPLE.ORG "),
    ],
)
def test_an_email_is_one_account_in_every_form(
    core: StreamCore, registered: str, logs_in_with: str
) -> None:
    user = core.auth.register(Registration(email=registered, password=PASSWORD, name="Ann"))

    session = core.auth.login(Credentials(email=logs_in_with, password=PASSWORD))

    assert session.user.id == user.id
    assert core.auth.find_user(logs_in_with, actor=SYSTEM).id == user.id
    with pytest.raises(DuplicateEmailError):
        core.auth.register(Registration(email=logs_in_with, password=PASSWORD, name="Bob"))
    with pytest.raises(DuplicateEmailError):
        core.auth.create_user(
            UserCreate(email=logs_in_with, password=PASSWORD, name="Bob"), actor=SYSTEM
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "ann\ud800@example.org"},
        {"email": "ann\x00@example.org"},
        {"password": "correct \ud800 horse"},
        {"password": f"correct {chr(0xDCFF)} horse"},  # chr(): ruff folds surrogates
        {"password": "correct \x00 horse"},
    ],
)
def test_a_login_with_text_no_storage_holds_is_invalid_input(
    core: StreamCore, fields: dict[str, str]
) -> None:
    core.auth.register(Registration(email="ann@example.org", password=PASSWORD, name="Ann"))
    data = {"email": "ann@example.org", "password": PASSWORD} | fields

    with pytest.raises(InvalidInputError) as caught:
        core.auth.login(Credentials(**data))

    assert caught.value.fields == tuple(fields)


@pytest.mark.parametrize("ref", ["ann\ud800@example.org", "ann\x00@example.org", "a\u202eb@x.org"])
def test_a_lookup_by_an_email_no_storage_holds_is_invalid_input(core: StreamCore, ref: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        core.auth.find_user(ref, actor=SYSTEM)

    assert caught.value.fields == ("email",)
