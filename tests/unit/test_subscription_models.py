"""The input and output models of the subscriptions domain (SPEC §3.3, §4).

Money is a ``Decimal`` from a decimal string (at most 2 decimals, >= 0), never a float;
currencies are ISO 4217, upper-cased; every refusal is an ``InvalidInputError`` naming the
field; outputs are immutable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from streamcore import InvalidInputError
from streamcore.storage.sql.schema import subscriptions
from streamcore.subscriptions.models import (
    MAX_AMOUNT,
    PaymentCreate,
    Plan,
    PlanChange,
    PlanCreate,
    PlanPatch,
    PlanQuery,
    SubscriptionCreate,
    SubscriptionQuery,
    SubscriptionRecord,
)
from streamcore.subscriptions.periods import period_end

PLAN: dict[str, Any] = {"name": "Basic", "price": "9.99", "currency": "EUR", "period": "month"}
PAYMENT: dict[str, Any] = {"amount": "9.99", "currency": "EUR", "reference": "ref-1"}


@pytest.mark.parametrize(
    ("price", "stored"),
    [
        ("9.99", "9.99"),
        ("0", "0.00"),
        ("0.5", "0.50"),
        ("10", "10.00"),
        (" 7.25 ", "7.25"),
        ("99999999.99", "99999999.99"),
        ("9999999999.99", "9999999999.99"),  # SPEC §3.3: at most 10 integer digits
        ("0009999999999.99", "9999999999.99"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("-0"), "0.00"),
        (Decimal("3.1"), "3.10"),
        (12, "12.00"),
    ],
)
def test_a_price_becomes_an_exact_decimal(price: object, stored: str) -> None:
    plan = PlanCreate(**(PLAN | {"price": price}))

    assert isinstance(plan.price, Decimal)
    assert str(plan.price) == stored
    assert PlanPatch(price=price).price == Decimal(stored)


@pytest.mark.parametrize(
    "price",
    [
        9.99,  # a float: the exact value is already lost
        10.0,
        True,
        "9.999",
        "0.001",
        "-1",
        "-0.01",
        "abc",
        "",
        "9,99",
        "NaN",
        "Infinity",
        "1e100",
        "10000000000.00",
        "10000000000",
        10**10,
        None,
    ],
)
def test_a_bad_price_is_refused_naming_the_field(price: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PlanCreate(**(PLAN | {"price": price}))
    assert caught.value.fields == ("price",)

    with pytest.raises(InvalidInputError) as caught:
        PaymentCreate(**(PAYMENT | {"amount": price}))
    assert caught.value.fields == ("amount",)


@pytest.mark.parametrize(("given", "stored"), [("EUR", "EUR"), ("usd", "USD"), (" gbp ", "GBP")])
def test_currencies_are_upper_cased(given: str, stored: str) -> None:
    assert PlanCreate(**(PLAN | {"currency": given})).currency == stored
    assert PaymentCreate(**(PAYMENT | {"currency": given})).currency == stored
    assert PlanPatch(currency=given).currency == stored


@pytest.mark.parametrize("currency", ["", "EU", "EURO", "XYZ", "E1R", "€", "eu r"])
def test_a_currency_outside_iso_4217_is_refused(currency: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PlanCreate(**(PLAN | {"currency": currency}))
    assert caught.value.fields == ("currency",)
    with pytest.raises(InvalidInputError) as caught:
        PaymentCreate(**(PAYMENT | {"currency": currency}))
    assert caught.value.fields == ("currency",)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"description": "x" * 5001}, "description"),
        ({"period": "week"}, "period"),
        ({"period": "Month"}, "period"),
        ({"includes_new_movies": "sometimes"}, "includes_new_movies"),
        ({"status": "active"}, "status"),  # no such field
        ({"name": "Bad\x00name"}, "name"),
    ],
)
def test_bad_plan_fields_are_refused_by_name(fields: dict[str, Any], bad: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PlanCreate(**(PLAN | fields))
    assert caught.value.fields == (bad,)


def test_plan_text_is_stripped_and_defaults_apply() -> None:
    plan = PlanCreate(**(PLAN | {"name": "  Basic  ", "description": "  Some.  "}))

    assert (plan.name, plan.description) == ("Basic", "Some.")
    assert (plan.includes_new_movies, plan.is_active) == (False, True)
    assert PlanCreate(**(PLAN | {"name": "x" * 100})).name == "x" * 100
    assert PlanCreate(**(PLAN | {"period": "year"})).period == "year"


def test_a_plan_patch_holds_only_the_fields_given_and_no_nulls() -> None:
    assert PlanPatch().changes() == {}
    assert PlanPatch(is_active=False, price="1").changes() == {
        "price": Decimal("1.00"),
        "is_active": False,
    }
    for name in ("name", "price", "currency", "period", "is_active", "includes_new_movies"):
        with pytest.raises(InvalidInputError) as caught:
            PlanPatch(**{name: None})
        assert caught.value.fields == (name,)


def test_payment_fields() -> None:
    payment = PaymentCreate(**(PAYMENT | {"reference": "  ch_123  "}))
    assert (payment.reference, payment.paid_at) == ("ch_123", None)

    for fields, bad in [
        ({"reference": ""}, "reference"),
        ({"reference": "   "}, "reference"),
        ({"reference": "x" * 201}, "reference"),
        ({"paid_at": datetime(2026, 1, 31, 12, 0)}, "paid_at"),  # no time zone
        ({"paid_at": "yesterday"}, "paid_at"),
        ({"subscription_id": 1}, "subscription_id"),  # no such field
    ]:
        with pytest.raises(InvalidInputError) as caught:
            PaymentCreate(**(PAYMENT | fields))
        assert caught.value.fields == (bad,), fields


def test_paid_at_is_kept_as_a_utc_instant() -> None:
    paid_at = datetime(2026, 1, 31, 5, 0, tzinfo=timezone(timedelta(hours=9)))

    payment = PaymentCreate(**(PAYMENT | {"paid_at": paid_at}))
    parsed = PaymentCreate(**(PAYMENT | {"paid_at": "2026-01-31T05:00:00+09:00"}))

    # SPEC §3: times are timezone-aware UTC.
    utc = datetime(2026, 1, 30, 20, 0, tzinfo=UTC)
    for given in (payment, parsed):
        assert given.paid_at == utc
        assert given.paid_at is not None
        assert given.paid_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("bad_id", [0, -1, 2**31, "one", 1.5])
def test_ids_must_be_in_range(bad_id: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        SubscriptionCreate(plan_id=bad_id)
    assert caught.value.fields == ("plan_id",)
    with pytest.raises(InvalidInputError) as caught:
        SubscriptionCreate(plan_id=1, user_id=bad_id)
    assert caught.value.fields == ("user_id",)
    with pytest.raises(InvalidInputError) as caught:
        PlanChange(plan_id=bad_id)
    assert caught.value.fields == ("plan_id",)


def test_status_is_never_written_by_a_client_nor_stored() -> None:
    for model, fields in [
        (SubscriptionCreate, {"plan_id": 1}),
        (PlanChange, {"plan_id": 1}),
    ]:
        with pytest.raises(InvalidInputError) as caught:
            model(**fields, status="active")
        assert caught.value.fields == ("status",)
    assert "status" not in subscriptions.c
    assert "status" not in SubscriptionRecord.model_fields


def test_queries_page_like_every_listing() -> None:
    assert (PlanQuery().limit, PlanQuery().offset, PlanQuery().include_inactive) == (20, 0, False)
    assert SubscriptionQuery().user_id is None
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        with pytest.raises(InvalidInputError):
            PlanQuery(**bad)
        with pytest.raises(InvalidInputError):
            SubscriptionQuery(**bad)


def test_outputs_are_immutable() -> None:
    now = datetime(2026, 1, 15, tzinfo=UTC)
    plan = Plan(id=1, **PlanCreate(**PLAN).model_dump(), created_at=now, updated_at=now)

    with pytest.raises(pydantic.ValidationError):
        plan.price = Decimal("0.01")  # type: ignore[misc]
    assert plan.price == Decimal("9.99")


# --- SPEC §3 and §3.3: the cases issue 7 saw ---------------------------------------------------


@pytest.mark.parametrize(
    ("price", "rule"),
    [
        (Decimal("1e1000"), "at most 9999999999.99"),
        (Decimal("1e999999999"), "at most 9999999999.99"),
        (Decimal("-1e1000"), ">= 0"),
        (Decimal("1e-1000"), "at most 2 decimals"),
        (Decimal("NaN"), "decimal number"),
        (Decimal("sNaN"), "decimal number"),
        (Decimal("Infinity"), "decimal number"),
        ("Infinity", "decimal number"),
        ("-Infinity", "decimal number"),
        ("1" * 28, "at most 9999999999.99"),
        ("1" * 28 + ".00", "at most 9999999999.99"),
        ("9" * 5000, "decimal number"),
        (10**5000, "at most 9999999999.99"),
        (float("nan"), "not a float"),
        (float("inf"), "not a float"),
        ([9.99], "decimal number"),
        (b"9.99", "decimal number"),
    ],
    ids=lambda value: repr(value)[:20] if not isinstance(value, int) else "huge-int",
)
def test_money_of_any_size_is_invalid_input_naming_the_field(price: object, rule: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PlanCreate(**(PLAN | {"price": price}))
    assert caught.value.fields == ("price",)
    assert rule in str(caught.value)
    with pytest.raises(InvalidInputError) as caught:
        PaymentCreate(**(PAYMENT | {"amount": price}))
    assert caught.value.fields == ("amount",)


def test_money_ignores_the_callers_decimal_context() -> None:
    import decimal

    with decimal.localcontext(decimal.Context(prec=3, traps=[decimal.Inexact])):
        assert PlanCreate(**(PLAN | {"price": "9999999999.99"})).price == MAX_AMOUNT


@pytest.mark.parametrize(
    "paid_at",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-1))),
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # 1999 in UTC
        datetime(9000, 1, 1, tzinfo=UTC),
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59Z",
    ],
    ids=str,
)
def test_paid_at_far_out_is_invalid_input_with_the_bounds(paid_at: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PaymentCreate(**(PAYMENT | {"paid_at": paid_at}))
    assert str(caught.value) == "paid_at: must be between 2000-01-01 and 8999-12-31 (UTC)"


@pytest.mark.parametrize(
    "paid_at",
    [datetime(2000, 1, 1, tzinfo=UTC), datetime(8999, 12, 31, 23, 59, 59, tzinfo=UTC)],
    ids=str,
)
def test_paid_at_within_the_bounds_leaves_room_for_a_period(paid_at: datetime) -> None:
    payment = PaymentCreate(**(PAYMENT | {"paid_at": paid_at}))
    assert payment.paid_at == paid_at
    assert period_end(paid_at, "year").year == paid_at.year + 1


@pytest.mark.parametrize("paid_at", [1_700_000_000, 1.7e9, True, [2026, 1, 31]], ids=str)
def test_paid_at_is_a_date_and_time_not_a_number(paid_at: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PaymentCreate(**(PAYMENT | {"paid_at": paid_at}))
    assert caught.value.fields == ("paid_at",)


@pytest.mark.parametrize(
    "bad_id",
    [True, False, 3.0, "3.0", Decimal(3), 10**5000, "9" * 5000],
    ids=["True", "False", "3.0", "'3.0'", "Decimal(3)", "10**5000", "5000 digits"],
)
def test_an_id_is_a_whole_number_not_a_bool_or_float(bad_id: object) -> None:
    for model, field in [
        (SubscriptionCreate, "plan_id"),
        (PlanChange, "plan_id"),
        (SubscriptionQuery, "user_id"),
    ]:
        with pytest.raises(InvalidInputError) as caught:
            model(**{field: bad_id})
        assert caught.value.fields == (field,)
        assert "whole number" in str(caught.value) or "at most" in str(caught.value)


def test_an_id_may_be_given_as_digits() -> None:
    assert SubscriptionCreate(plan_id=" 7 ", user_id="12").model_dump() == {
        "plan_id": 7,
        "user_id": 12,
    }


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"name": "Basic\u202e"}, "bidirectional"),
        ({"name": "Ba\u2028sic"}, "one line"),
        ({"name": "Ba\ud800sic"}, "valid Unicode"),
        ({"description": "Ok\nbut \x1b not"}, "control characters"),
        ({"currency": "EU\u202eR"}, "bidirectional"),
        ({"currency": "E" * 100_000}, "ISO 4217"),
    ],
)
def test_plan_text_follows_spec_3(fields: dict[str, Any], rule: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PlanCreate(**(PLAN | fields))
    assert caught.value.fields == tuple(fields)
    assert rule in str(caught.value)
    assert len(str(caught.value)) < 120


def test_a_payment_reference_is_one_line() -> None:
    with pytest.raises(InvalidInputError) as caught:
        PaymentCreate(**(PAYMENT | {"reference": "ch_1\x00\n2"}))
    assert caught.value.fields == ("reference",)
