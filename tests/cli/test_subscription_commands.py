"""``streamcore subscription ...`` and ``streamcore user movies``, checked through the library.

USER is an id or an email, PLAN an id or a name. The CLI runs on the real clock, so a payment
"now" makes a subscription active and a payment dated 2020 one that expired long ago.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.movies.models import MovieQuery
from streamcore.subscriptions.models import (
    PaymentCreate,
    PlanCreate,
    SubscriptionCreate,
    SubscriptionQuery,
)
from tests.cli.conftest import SAMPLE_MOVIES, Cli, assert_usage_error, table_headers

SUBSCRIPTION_KEYS = {
    "id",
    "user_id",
    "plan_id",
    "status",
    "paid_until",
    "canceled_at",
    "created_at",
    "updated_at",
}
PAYMENT_KEYS = {
    "id",
    "subscription_id",
    "amount",
    "currency",
    "reference",
    "paid_at",
    "period_start",
    "period_end",
}
LIST_COLUMNS = ["id", "user", "plan", "status", "paid until", "canceled", "created"]
MOVIE_COLUMNS = ["id", "title", "year", "genres", "countries", "minutes"]
HUGE = "9" * 30

SAMPLE_USERS: tuple[dict[str, Any], ...] = (
    {"email": "alice@example.org", "name": "Alice", "role": "admin"},
    {"email": "bob@example.org", "name": "Bob", "role": "editor"},
    {"email": "carol@example.net", "name": "Carol", "role": "subscriber"},
    {"email": "dave@example.org", "name": "Dave", "role": "subscriber"},
    {"email": "erin@example.org", "name": "Erin", "role": "subscriber", "is_active": False},
)
"""Ids 1..5 in this order (Erin is inactive)."""
CAROL, DAVE, ERIN = 3, 4, 5

SAMPLE_PLANS: tuple[dict[str, Any], ...] = (
    {"name": "Basic", "price": "9.99", "currency": "EUR", "period": "month"},
    {
        "name": "Premium",
        "price": "99.00",
        "currency": "EUR",
        "period": "year",
        "includes_new_movies": True,
    },
    {"name": "Legacy", "price": "5.00", "currency": "USD", "period": "month", "is_active": False},
)
"""Ids 1..3 (Legacy is inactive). Basic holds movies 1 and 3; Premium takes every movie."""
BASIC, PREMIUM, LEGACY = 1, 2, 3
PAY_BASIC = ("--amount", "9.99", "--currency", "EUR")


# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def library(cli: Cli) -> Iterator[StreamCore]:
    """The CLI's database through the library, hashing new passwords cheaply."""
    with StreamCore.open(cli.url, hasher=Argon2Hasher(CHEAPEST)) as core:
        yield core


def seed(cli: Cli) -> None:
    """Users 1..5, plans 1..3, movies 1..4 (all in Premium; 1 and 3 in Basic)."""
    with library(cli) as core:
        for user in SAMPLE_USERS:
            core.auth.create_user(UserCreate(**user, password="some-password-1"), actor=SYSTEM)
        for plan in SAMPLE_PLANS:
            core.plans.create(PlanCreate(**plan), actor=SYSTEM)
    cli.seed(SAMPLE_MOVIES)
    with library(cli) as core:
        core.plans.add_movie(BASIC, 1, actor=SYSTEM)
        core.plans.add_movie(BASIC, 3, actor=SYSTEM)


def subscribe(cli: Cli, user_id: int, plan_id: int = BASIC) -> int:
    with library(cli) as core:
        return core.subscriptions.create(
            SubscriptionCreate(user_id=user_id, plan_id=plan_id), actor=SYSTEM
        ).id


def pay(cli: Cli, subscription_id: int, reference: str, **fields: Any) -> None:
    """A payment through the library: Basic's price, now unless ``paid_at`` says otherwise."""
    data = {"amount": "9.99", "currency": "EUR", "reference": reference} | fields
    with library(cli) as core:
        core.subscriptions.record_payment(subscription_id, PaymentCreate(**data), actor=SYSTEM)


def stored(cli: Cli, subscription_id: int) -> dict[str, Any]:
    with library(cli) as core:
        return core.subscriptions.get(subscription_id, actor=SYSTEM).model_dump(mode="json")


def listing(cli: Cli, **query: Any) -> dict[str, Any]:
    with library(cli) as core:
        return core.subscriptions.list(SubscriptionQuery(**query), actor=SYSTEM).model_dump(
            mode="json"
        )


def subscription_count(cli: Cli) -> int:
    return int(listing(cli)["total"])


def payment_count(cli: Cli) -> int:
    """Rows in the payments table, read with sqlite3 (the library lists no payments)."""
    with closing(sqlite3.connect(cli.url.removeprefix("sqlite:///"))) as conn:
        (count,) = conn.execute("SELECT count(*) FROM payments").fetchone()
    return int(count)


def watchable(cli: Cli, user_id: int, **query: Any) -> dict[str, Any]:
    with library(cli) as core:
        return core.entitlements.watchable(user_id, MovieQuery(**query), actor=SYSTEM).model_dump(
            mode="json"
        )


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def field_rows(stdout: str) -> dict[str, str]:
    """The two-column table of a record (a line of prose after it is left out)."""
    rows = [line for line in stdout.splitlines() if line.strip() and not line.endswith(".")]
    return dict([*line.strip().split(maxsplit=1), ""][:2] for line in rows)


# --- add -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "plan"),
    [("carol@example.net", "basic"), ("CAROL@Example.NET", "BASIC"), ("3", "1"), ("3", "Basic")],
)
def test_add_json_is_the_library_model(cli: Cli, user: str, plan: str) -> None:
    seed(cli)
    shown = cli.json("subscription", "add", "--user", user, "--plan", plan)
    assert set(shown) == SUBSCRIPTION_KEYS
    assert shown == stored(cli, shown["id"])
    assert (shown["user_id"], shown["plan_id"], shown["status"]) == (CAROL, BASIC, "pending")
    assert (shown["paid_until"], shown["canceled_at"]) == (None, None)
    assert subscription_count(cli) == 1


def test_add_human_prints_a_field_table(cli: Cli) -> None:
    seed(cli)
    out = cli.ok("subscription", "add", "--plan", "Premium", "--user", "dave@example.org").stdout
    rows = field_rows(out)
    assert set(rows) == SUBSCRIPTION_KEYS
    assert (rows["user_id"], rows["plan_id"], rows["status"]) == ("4", "2", "pending")
    assert (rows["paid_until"], rows["canceled_at"]) == ("-", "-")
    assert rows["created_at"] == stored(cli, int(rows["id"]))["created_at"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_add_for_an_admin_or_an_editor(cli: Cli) -> None:
    seed(cli)
    assert cli.json("subscription", "add", "--user", "1", "--plan", "Basic")["user_id"] == 1
    assert (
        cli.json("subscription", "add", "--user", "bob@example.org", "--plan", "2")["plan_id"] == 2
    )


@pytest.mark.parametrize(
    ("user", "plan", "message"),
    [
        ("99", "Basic", "user 99 not found"),
        ("nobody@example.org", "Basic", "user nobody@example.org not found"),
        ("0", "Basic", "user 0 not found"),
        (HUGE, "Basic", f"user {HUGE} not found"),
        ("3", "Gold", "plan Gold not found"),
        ("3", "99", "plan 99 not found"),
        ("3", "Legacy", "plan_id: plan 3 is not active"),
        ("erin@example.org", "Basic", "user_id: user 5 is not an active user"),
    ],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_add_refused(cli: Cli, user: str, plan: str, message: str, json_output: bool) -> None:
    seed(cli)
    line = cli.refused(
        "subscription", "add", "--user", user, "--plan", plan, json_output=json_output
    )
    assert line == f"error: {message}"
    assert subscription_count(cli) == 0


def test_add_for_a_deleted_user_is_not_found(cli: Cli) -> None:
    seed(cli)
    with library(cli) as core:
        core.auth.delete_user(CAROL, actor=SYSTEM)
    line = cli.refused("subscription", "add", "--user", "carol@example.net", "--plan", "Basic")
    assert line == "error: user carol@example.net not found"
    assert subscription_count(cli) == 0


@pytest.mark.parametrize("state", ["pending", "active"])
def test_a_second_live_subscription_is_a_conflict(cli: Cli, state: str) -> None:
    seed(cli)
    first = subscribe(cli, CAROL)
    if state == "active":
        pay(cli, first, "r1")
    before = stored(cli, first)
    line = cli.refused("subscription", "add", "--user", "carol@example.net", "--plan", "Premium")
    assert line == "error: user 3 already has a live subscription"
    assert subscription_count(cli) == 1
    assert stored(cli, first) == before


def test_after_cancel_or_expiry_a_new_subscription_may_start(cli: Cli) -> None:
    seed(cli)
    first = subscribe(cli, CAROL)
    cli.ok("subscription", "cancel", str(first))
    second = cli.json("subscription", "add", "--user", "3", "--plan", "Premium")
    assert second["id"] == 2
    pay(cli, first + 1, "r-old", amount="99.00", paid_at="2020-01-01T00:00:00Z")
    assert stored(cli, second["id"])["status"] == "expired"
    third = cli.json("subscription", "add", "--user", "3", "--plan", "Basic")
    assert (third["id"], third["status"]) == (3, "pending")
    assert ids(listing(cli, user_id=CAROL)) == [3, 2, 1]


# --- list ------------------------------------------------------------------------------------


def seed_subscriptions(cli: Cli) -> None:
    """Carol: 1 (canceled) and 3 (Premium); Dave: 2 (Basic, paid now)."""
    seed(cli)
    subscribe(cli, CAROL)
    pay(cli, subscribe(cli, DAVE), "dave-1")
    with library(cli) as core:
        core.subscriptions.cancel(1, actor=SYSTEM)
    subscribe(cli, CAROL, PREMIUM)


def test_list_json_is_the_library_page_newest_first(cli: Cli) -> None:
    seed_subscriptions(cli)
    shown = cli.json("subscription", "list")
    assert set(shown) == {"items", "total", "limit", "offset"}
    assert shown == listing(cli)
    assert ids(shown) == [3, 2, 1]
    assert [s["status"] for s in shown["items"]] == ["pending", "active", "canceled"]
    assert (shown["total"], shown["limit"], shown["offset"]) == (3, 20, 0)
    assert all(set(s) == SUBSCRIPTION_KEYS for s in shown["items"])


@pytest.mark.parametrize(
    ("options", "query", "expected"),
    [
        (["--user", "carol@example.net"], {"user_id": CAROL}, [3, 1]),
        (["--user", "3"], {"user_id": CAROL}, [3, 1]),
        (["--user", "DAVE@example.org"], {"user_id": DAVE}, [2]),
        (["--user", "1"], {"user_id": 1}, []),
        (["--limit", "1", "--offset", "1"], {"limit": 1, "offset": 1}, [2]),
        (["--user", "3", "--offset", "1"], {"user_id": CAROL, "offset": 1}, [1]),
        (["--offset", "7"], {"offset": 7}, []),
    ],
)
def test_list_options_pass_through(
    cli: Cli, options: list[str], query: dict[str, Any], expected: list[int]
) -> None:
    seed_subscriptions(cli)
    shown = cli.json("subscription", "list", *options)
    assert shown == listing(cli, **query)
    assert ids(shown) == expected


def test_list_human_prints_a_table_and_a_footer(cli: Cli) -> None:
    seed_subscriptions(cli)
    out = cli.ok("subscription", "list", "--user", "carol@example.net").stdout
    assert table_headers(out) == LIST_COLUMNS
    assert "canceled" in out
    assert "pending" in out
    assert "active" not in out
    assert out.rstrip().splitlines()[-1] == "1-2 of 2"
    assert (
        cli.ok("subscription", "list", "--offset", "5").stdout.rstrip().endswith("none shown of 3")
    )


def test_list_finds_the_subscriptions_of_a_deleted_user(cli: Cli) -> None:
    """Deleting a user cancels its subscription; the history stays listable by its email."""
    seed_subscriptions(cli)
    with library(cli) as core:
        core.auth.delete_user(DAVE, actor=SYSTEM)
    shown = cli.json("subscription", "list", "--user", "dave@example.org")
    assert shown == listing(cli, user_id=DAVE)
    assert [s["status"] for s in shown["items"]] == ["canceled"]


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (["--user", "nobody@example.org"], "error: user nobody@example.org not found"),
        (["--user", "99"], "error: user 99 not found"),
        (["--limit", "0"], "error: limit: "),
        (["--limit", "101"], "error: limit: "),
        (["--offset", "-1"], "error: offset: "),
    ],
)
def test_list_refused(cli: Cli, options: list[str], line: str) -> None:
    seed_subscriptions(cli)
    assert cli.refused("subscription", "list", *options).startswith(line)


# --- show and cancel -------------------------------------------------------------------------


def test_show_json_and_human(cli: Cli) -> None:
    seed_subscriptions(cli)
    shown = cli.json("subscription", "show", "2")
    assert shown == stored(cli, 2)
    assert (shown["user_id"], shown["status"]) == (DAVE, "active")
    rows = field_rows(cli.ok("subscription", "show", "2").stdout)
    assert set(rows) == SUBSCRIPTION_KEYS
    assert (rows["status"], rows["paid_until"]) == ("active", shown["paid_until"])


@pytest.mark.parametrize("command", ["show", "cancel"])
@pytest.mark.parametrize("subscription_id", ["99", "0", HUGE])
def test_an_unknown_subscription_is_not_found(cli: Cli, command: str, subscription_id: str) -> None:
    seed_subscriptions(cli)
    before = listing(cli)
    line = cli.refused("subscription", command, subscription_id)
    assert line == f"error: subscription {subscription_id} not found"
    assert listing(cli) == before


def test_cancel_keeps_what_was_paid_for(cli: Cli) -> None:
    seed_subscriptions(cli)
    paid_until = stored(cli, 2)["paid_until"]
    shown = cli.json("subscription", "cancel", "2")
    assert shown == stored(cli, 2)
    assert (shown["status"], shown["paid_until"]) == ("canceled", paid_until)
    assert shown["canceled_at"] is not None
    assert ids(watchable(cli, DAVE)) == [1, 3]  # canceled, but paid until later
    again = cli.json("subscription", "cancel", "2")  # twice: nothing changes
    assert again == shown == stored(cli, 2)
    rows = field_rows(cli.ok("subscription", "cancel", "3").stdout)
    assert (rows["status"], rows["paid_until"]) == ("canceled", "-")


def test_a_canceled_subscription_takes_no_payment_and_no_plan_change(cli: Cli) -> None:
    seed_subscriptions(cli)
    before = stored(cli, 1)
    line = cli.refused("subscription", "pay", "1", *PAY_BASIC, "--reference", "late")
    assert line == "error: subscription 1 is canceled: no payments"
    line = cli.refused("subscription", "change-plan", "1", "Premium")
    assert line == "error: subscription 1 is canceled"
    assert stored(cli, 1) == before
    assert payment_count(cli) == 1


# --- change-plan -----------------------------------------------------------------------------


@pytest.mark.parametrize("plan", ["Premium", "premium", "2"])
def test_change_plan_at_once(cli: Cli, plan: str) -> None:
    seed_subscriptions(cli)
    before = stored(cli, 2)
    shown = cli.json("subscription", "change-plan", "2", plan)
    assert shown == stored(cli, 2)
    assert shown["plan_id"] == PREMIUM
    assert (shown["status"], shown["paid_until"]) == (
        "active",
        before["paid_until"],
    )  # no proration
    assert ids(watchable(cli, DAVE)) == [1, 2, 3, 4]


def test_change_plan_human_and_to_the_same_plan(cli: Cli) -> None:
    seed_subscriptions(cli)
    rows = field_rows(cli.ok("subscription", "change-plan", "2", "Basic").stdout)
    assert (rows["id"], rows["plan_id"]) == ("2", "1")
    assert cli.json("subscription", "change-plan", "2", "1") == stored(cli, 2)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["2", "Legacy"], "error: plan_id: plan 3 is not active"),
        (["2", "Gold"], "error: plan Gold not found"),
        (["99", "Premium"], "error: subscription 99 not found"),
        (["99", "Gold"], "error: plan Gold not found"),
    ],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_change_plan_refused(cli: Cli, args: list[str], line: str, json_output: bool) -> None:
    seed_subscriptions(cli)
    before = listing(cli)
    assert cli.refused("subscription", "change-plan", *args, json_output=json_output) == line
    assert listing(cli) == before


# --- pay -------------------------------------------------------------------------------------


def test_pay_json_is_the_payment_result(cli: Cli) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    shown = cli.json("subscription", "pay", "1", *PAY_BASIC, "--reference", "psp-1")
    assert set(shown) == {"payment", "created"}
    assert shown["created"] is True
    payment = shown["payment"]
    assert set(payment) == PAYMENT_KEYS
    assert (payment["id"], payment["subscription_id"], payment["amount"]) == (1, 1, "9.99")
    assert (payment["currency"], payment["reference"]) == ("EUR", "psp-1")
    assert payment["period_start"] == payment["paid_at"]
    subscription = stored(cli, 1)
    assert subscription["paid_until"] == payment["period_end"]
    assert subscription["status"] == "active"
    assert payment_count(cli) == 1
    assert ids(watchable(cli, CAROL)) == [1, 3]


def test_pay_human_says_recorded_then_replay(cli: Cli) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    out = cli.ok("subscription", "pay", "1", *PAY_BASIC, "--reference", "psp-1").stdout
    rows = field_rows(out)
    assert set(rows) == PAYMENT_KEYS
    assert (rows["amount"], rows["currency"], rows["reference"]) == ("9.99", "EUR", "psp-1")
    paid_until = stored(cli, 1)["paid_until"]
    assert rows["period_end"] == paid_until
    assert out.rstrip().splitlines()[-1] == f"Payment 1 recorded: paid until {paid_until}."

    again = cli.ok("subscription", "pay", "1", *PAY_BASIC, "--reference", "psp-1").stdout
    assert field_rows(again) == rows
    assert again.rstrip().splitlines()[-1] == (
        "Payment 1 already recorded (replay): nothing changed."
    )
    assert stored(cli, 1)["paid_until"] == paid_until
    assert payment_count(cli) == 1


def test_a_replay_returns_the_first_payment_and_changes_nothing(cli: Cli) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    first = cli.json(
        "subscription", "pay", "1", *PAY_BASIC, "--reference", "psp-1",
        "--paid-at", "2020-01-31T12:00:00Z",
    )  # fmt: skip
    before = stored(cli, 1)
    replay = cli.json(
        "subscription", "pay", "1", "--amount", "9.990", "--currency", "eur",
        "--reference", " psp-1 ", "--paid-at", "2021-06-01T00:00:00Z",
    )  # fmt: skip
    assert replay == {"payment": first["payment"], "created": False}
    assert stored(cli, 1) == before
    assert payment_count(cli) == 1


def test_each_payment_extends_by_calendar_months(cli: Cli) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    subscribe(cli, DAVE, PREMIUM)
    first = cli.json(
        "subscription",
        "pay",
        "1",
        *PAY_BASIC,
        "--reference",
        "a",
        "--paid-at",
        "2020-01-31T12:00:00Z",
    )["payment"]
    assert (first["period_start"], first["period_end"]) == (
        "2020-01-31T12:00:00Z",
        "2020-02-29T12:00:00Z",  # Jan 31 + 1 month, in a leap year
    )
    early = cli.json(
        "subscription",
        "pay",
        "1",
        *PAY_BASIC,
        "--reference",
        "b",
        "--paid-at",
        "2020-02-01T08:00:00+00:00",
    )["payment"]  # paid before the end: the new period starts where the old one ends
    assert (early["paid_at"], early["period_start"], early["period_end"]) == (
        "2020-02-01T08:00:00Z",
        "2020-02-29T12:00:00Z",
        "2020-03-29T12:00:00Z",
    )
    assert stored(cli, 1)["paid_until"] == "2020-03-29T12:00:00Z"
    assert stored(cli, 1)["status"] == "expired"
    yearly = cli.json(
        "subscription", "pay", "2", "--amount", "99", "--currency", "EUR", "--reference", "c",
        "--paid-at", "2020-02-29 00:00Z",
    )["payment"]  # fmt: skip
    assert yearly["period_end"] == "2021-02-28T00:00:00Z"


def test_pay_passes_the_amount_to_the_model_as_a_string(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    seen: list[dict[str, Any]] = []
    original = PaymentCreate.model_validate

    def spy(obj: Any, **options: Any) -> PaymentCreate:
        seen.append(dict(obj))
        return original(obj, **options)

    monkeypatch.setattr(PaymentCreate, "model_validate", spy)
    cli.ok("subscription", "pay", "1", *PAY_BASIC, "--reference", "psp-1")
    assert len(seen) == 1
    assert seen[0]["amount"] == "9.99"
    assert type(seen[0]["amount"]) is str
    assert "paid_at" not in seen[0]


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (
            ["--amount", "9.98", "--currency", "EUR"],
            "error: amount: must be the plan's price, 9.99 EUR",
        ),
        (
            ["--amount", "10", "--currency", "EUR"],
            "error: amount: must be the plan's price, 9.99 EUR",
        ),
        (
            ["--amount", "9.99", "--currency", "USD"],
            "error: currency: must be the plan's, EUR",
        ),
        (["--amount", "9.999", "--currency", "EUR"], "error: amount: must have at most 2 decimals"),
        (["--amount", "-9.99", "--currency", "EUR"], "error: amount: must be a number >= 0"),
        (["--amount", "9,99", "--currency", "EUR"], "error: amount: must be a decimal number"),
        (["--amount", "9.99", "--currency", "ABC"], "error: currency: 'ABC' is not an ISO 4217"),
        (["--amount", "9.99", "--currency", "EUR", "--reference", ""], "error: reference: "),
        (["--amount", "9.99", "--currency", "EUR", "--reference", " "], "error: reference: "),
        (
            ["--amount", "9.99", "--currency", "EUR", "--paid-at", "2020-01-31"],
            "error: --paid-at: ",
        ),
        (
            ["--amount", "9.99", "--currency", "EUR", "--paid-at", "2020-01-31T12:00:00"],
            "error: --paid-at: ",
        ),
        (["--amount", "9.99", "--currency", "EUR", "--paid-at", "yesterday"], "error: --paid-at: "),
        (["--amount", "9.99", "--currency", "EUR", "--paid-at", ""], "error: --paid-at: "),
        (
            ["--amount", "9.99", "--currency", "EUR", "--paid-at", "2020-13-01T00:00Z"],
            "error: --paid-at: ",
        ),
        (["--amount", "9.999", "--currency", "EUR", "--paid-at", "never"], "error: --paid-at: "),
    ],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_pay_refused(cli: Cli, options: list[str], line: str, json_output: bool) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    before = stored(cli, 1)
    args = ["subscription", "pay", "1", "--reference", "psp-1", *options]
    assert cli.refused(*args, json_output=json_output).startswith(line)
    assert stored(cli, 1) == before
    assert payment_count(cli) == 0


def test_pay_names_a_naive_paid_at(cli: Cli) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    line = cli.refused(
        "subscription", "pay", "1", *PAY_BASIC, "--reference", "r", "--paid-at", "2020-01-31T12:00"
    )
    assert line == "error: --paid-at: must include a time zone, e.g. 2026-01-31T12:00:00Z"


@pytest.mark.parametrize(
    ("subscription", "options"),
    [("1", ["--amount", "10.00"]), ("2", ["--amount", "9.99"])],
    ids=["another-amount", "another-subscription"],
)
def test_a_known_reference_with_other_details_is_a_conflict(
    cli: Cli, subscription: str, options: list[str]
) -> None:
    seed(cli)
    subscribe(cli, CAROL)
    subscribe(cli, DAVE)
    cli.ok("subscription", "pay", "1", *PAY_BASIC, "--reference", "psp-1")
    before = [stored(cli, 1), stored(cli, 2)]
    args = ["subscription", "pay", subscription, *options, "--currency", "EUR"]
    line = cli.refused(*args, "--reference", "psp-1")
    assert line == "error: payment reference 'psp-1' was already recorded with other details"
    assert [stored(cli, 1), stored(cli, 2)] == before
    assert payment_count(cli) == 1


@pytest.mark.parametrize("subscription_id", ["99", "0", HUGE])
def test_pay_an_unknown_subscription_is_not_found(cli: Cli, subscription_id: str) -> None:
    seed(cli)
    line = cli.refused("subscription", "pay", subscription_id, *PAY_BASIC, "--reference", "x")
    assert line == f"error: subscription {subscription_id} not found"
    assert payment_count(cli) == 0


def test_paid_at_in_any_time_zone_is_the_same_instant(cli: Cli) -> None:
    """Times are UTC (SPEC 3): the same instant written with another offset pays the same
    period, and the payment is printed in UTC like every other time.
    """
    seed(cli)
    subscribe(cli, CAROL)
    subscribe(cli, DAVE)
    in_utc = cli.json(
        "subscription",
        "pay",
        "1",
        *PAY_BASIC,
        "--reference",
        "utc",
        "--paid-at",
        "2020-02-29T22:30:00Z",
    )["payment"]
    with_offset = cli.json(
        "subscription", "pay", "2", *PAY_BASIC, "--reference", "cest",
        "--paid-at", "2020-03-01T00:30:00+02:00",
    )["payment"]  # fmt: skip
    assert in_utc["period_end"] == "2020-03-29T22:30:00Z"
    assert stored(cli, 2)["paid_until"] == stored(cli, 1)["paid_until"]
    assert (with_offset["paid_at"], with_offset["period_end"]) == (
        in_utc["paid_at"],
        in_utc["period_end"],
    )


def test_a_superseded_subscription_cannot_come_back_to_life(cli: Cli) -> None:
    """At most one live subscription per user (SPEC 3.3)."""
    seed(cli)
    old = subscribe(cli, CAROL)
    pay(cli, old, "old-1", paid_at="2020-01-01T00:00:00Z")
    assert stored(cli, old)["status"] == "expired"
    new = cli.json("subscription", "add", "--user", "carol@example.net", "--plan", "Basic")["id"]
    cli.refused("subscription", "pay", str(old), *PAY_BASIC, "--reference", "old-2")
    live = [
        s["id"]
        for s in listing(cli, user_id=CAROL)["items"]
        if s["status"] in ("pending", "active", "past_due")
    ]
    assert live == [new]


# --- usage errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["subscription", "add", "--user", "3"], "--plan"),
        (["subscription", "add", "--plan", "Basic"], "--user"),
        (["subscription", "add", "3", "Basic"], "--user"),
        (["subscription", "list", "--limit", "ten"], "--limit"),
        (["subscription", "list", "--status", "active"], "--status"),
        (["subscription", "show"], "ID"),
        (["subscription", "show", "abc"], "ID"),
        (["subscription", "cancel", "1", "2"], "2"),
        (["subscription", "change-plan", "1"], "PLAN"),
        (["subscription", "change-plan", "one", "Basic"], "ID"),
        (["subscription", "pay", "1", "--currency", "EUR", "--reference", "r"], "--amount"),
        (["subscription", "pay", "1", "--amount", "9.99", "--reference", "r"], "--currency"),
        (["subscription", "pay", "1", "--amount", "9.99", "--currency", "EUR"], "--reference"),
        (
            ["subscription", "pay", "--amount", "9.99", "--currency", "EUR", "--reference", "r"],
            "ID",
        ),
        (["subscription", "pay", "1", *PAY_BASIC, "--reference", "r", "--paid-at"], "--paid-at"),
        (["subscription", "renew", "1"], "renew"),
        (["user", "movies"], "USER"),
        (["user", "movies", "3", "--year", "old"], "--year"),
        (["user", "movies", "3", "--trashed", "with"], "--trashed"),
        (["user", "movies", "3", "--limit", "many"], "--limit"),
    ],
)
def test_usage_errors_exit_2_and_leave_the_database_alone(
    fresh_cli: Cli, db_path: Path, args: list[str], fragment: str
) -> None:
    assert fragment in assert_usage_error(fresh_cli.run(*args))
    assert not db_path.exists()


# --- user movies -----------------------------------------------------------------------------


def test_user_movies_follow_the_subscription(cli: Cli) -> None:
    seed(cli)
    assert cli.json("user", "movies", "carol@example.net") == watchable(cli, CAROL)
    assert ids(watchable(cli, CAROL)) == []  # no subscription
    subscribe(cli, CAROL)
    assert cli.json("user", "movies", "3") == watchable(cli, CAROL)
    assert ids(watchable(cli, CAROL)) == []  # pending: never paid
    cli.ok("subscription", "pay", "1", *PAY_BASIC, "--reference", "psp-1")
    shown = cli.json("user", "movies", "CAROL@example.net")
    assert shown == watchable(cli, CAROL)
    assert ids(shown) == [1, 3]
    cli.ok("plan", "add-movie", "Basic", "4")
    cli.ok("movie", "delete", "1")
    assert ids(cli.json("user", "movies", "3")) == [3, 4] == ids(watchable(cli, CAROL))
    cli.ok("subscription", "change-plan", "1", "Premium")
    assert ids(cli.json("user", "movies", "3")) == [2, 3, 4] == ids(watchable(cli, CAROL))


def test_user_movies_of_an_expired_subscription_are_none(cli: Cli) -> None:
    seed(cli)
    pay(cli, subscribe(cli, CAROL), "old", paid_at="2020-01-01T00:00:00Z")
    assert cli.json("user", "movies", "3") == watchable(cli, CAROL)
    assert ids(watchable(cli, CAROL)) == []


@pytest.mark.parametrize(
    ("user", "user_id"), [("1", 1), ("alice@example.org", 1), ("2", 2), ("BOB@example.org", 2)]
)
def test_user_movies_of_an_admin_or_editor_are_every_live_movie(
    cli: Cli, user: str, user_id: int
) -> None:
    seed(cli)
    cli.ok("movie", "delete", "2")
    shown = cli.json("user", "movies", user)
    assert shown == watchable(cli, user_id)
    assert ids(shown) == [1, 3, 4]


def test_user_movies_of_an_inactive_user_are_none(cli: Cli) -> None:
    seed(cli)
    assert cli.json("user", "movies", "erin@example.org") == watchable(cli, ERIN)
    assert ids(watchable(cli, ERIN)) == []
    assert ids(cli.json("user", "movies", "alice@example.org")) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("options", "query"),
    [
        (["--q", "ALIE"], {"q": "ALIE"}),
        (["--genre", "horror"], {"genre": "horror"}),
        (["--year", "1979"], {"year": 1979}),
        (["--country", "gb"], {"country": "gb"}),
        (["--sort", "-year"], {"sort": "-year"}),
        (["--sort", "title"], {"sort": "title"}),
        (["--limit", "2", "--offset", "1"], {"limit": 2, "offset": 1}),
        (["--offset", "10"], {"offset": 10}),
        (
            ["--genre", "sci-fi", "--sort", "-id", "--limit", "1"],
            {"genre": "sci-fi", "sort": "-id", "limit": 1},
        ),
    ],
)
@pytest.mark.parametrize("user_id", [1, CAROL], ids=["admin", "subscriber"])
def test_user_movies_take_the_catalogue_filters(
    cli: Cli, options: list[str], query: dict[str, Any], user_id: int
) -> None:
    seed(cli)
    pay(cli, subscribe(cli, CAROL, PREMIUM), "p", amount="99.00")
    cli.ok("movie", "delete", "4")
    shown = cli.json("user", "movies", str(user_id), *options)
    expected = watchable(cli, user_id, **query)
    assert shown == expected
    assert (shown["limit"], shown["offset"]) == (query.get("limit", 20), query.get("offset", 0))


def test_user_movies_human_prints_a_table_and_a_footer(cli: Cli) -> None:
    seed(cli)
    pay(cli, subscribe(cli, CAROL), "p")
    out = cli.ok("user", "movies", "carol@example.net", "--sort", "-year").stdout
    assert table_headers(out) == MOVIE_COLUMNS
    assert out.index("Alien") < out.index("Metropolis")
    assert "Nosferatu" not in out
    assert out.rstrip().splitlines()[-1] == "1-2 of 2"
    empty = cli.ok("user", "movies", "dave@example.org").stdout
    assert empty.rstrip().splitlines()[-1] == "none shown of 0"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["nobody@example.org"], "error: user nobody@example.org not found"),
        (["99"], "error: user 99 not found"),
        (["3", "--sort", "rating"], "error: sort: "),
        (["3", "--limit", "0"], "error: limit: "),
        (["3", "--offset", "-1"], "error: offset: "),
        (["3", "--year", "10000"], "error: year: "),
        (["3", "--country", "XX"], "error: country: "),
    ],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_user_movies_refused(cli: Cli, args: list[str], line: str, json_output: bool) -> None:
    seed(cli)
    assert cli.refused("user", "movies", *args, json_output=json_output).startswith(line)


def test_user_movies_of_a_deleted_user_is_not_found(cli: Cli) -> None:
    seed(cli)
    with library(cli) as core:
        core.auth.delete_user(CAROL, actor=SYSTEM)
    assert cli.refused("user", "movies", "3") == "error: user 3 not found"
