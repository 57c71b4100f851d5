"""Listings and help read well in an 80-column terminal (SPEC §5).

A table fits 80 columns and splits no word: not an email, not a header, not a date. The
``deleted`` column is there only when the listing can hold deleted rows. A group's help shows
each command's whole summary, wrapped, never cut with "...".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.cli import app
from streamcore.subscriptions.models import PaymentCreate, PlanCreate, SubscriptionCreate
from tests.cli.conftest import Cli, table_headers

WIDTH = 80
EMAILS = (
    "carol.longname@example.net",
    "dave.o-reilly@example.org",
    "ann@example.org",
)
MOVIES: tuple[dict[str, Any], ...] = (
    {
        "title": "The Cabinet of Dr. Caligari",
        "year": 1920,
        "genres": ["horror", "expressionism"],
        "countries": ["DE"],
        "duration_minutes": 76,
    },
    {"title": "Metropolis", "year": 1927, "genres": ["sci-fi", "drama"], "countries": ["DE"]},
)


@pytest.fixture
def narrow(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI in an 80-column terminal, with users, movies and a subscription."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    with StreamCore.open(cli.url, hasher=Argon2Hasher(CHEAPEST)) as core:
        for email in EMAILS:
            data = UserCreate(email=email, name="Some Person Name", password="some-password-1")
            core.auth.create_user(data, actor=SYSTEM)
        plan = PlanCreate(name="Family Premium", price="19.99", currency="EUR", period="month")
        plan_id = core.plans.create(plan, actor=SYSTEM).id
        created = core.subscriptions.create(
            SubscriptionCreate(user_id=1, plan_id=plan_id), actor=SYSTEM
        )
        payment = PaymentCreate(amount="19.99", currency="EUR", reference="psp-1")
        core.subscriptions.record_payment(created.id, payment, actor=SYSTEM)
    cli.seed(MOVIES)
    cli.ok("user", "delete", "2")
    cli.ok("movie", "delete", "2")
    return cli


def assert_fits(out: str) -> list[str]:
    lines = out.splitlines()
    too_wide = [line for line in lines if len(line.rstrip()) > WIDTH]
    assert not too_wide, "\n".join(too_wide)
    return lines


def whole_words(out: str) -> set[str]:
    return {word for line in out.splitlines() for word in line.split()}


@pytest.mark.parametrize("trashed", ["with", "only"])
def test_users_with_deleted_ones_fit_and_no_email_is_split(narrow: Cli, trashed: str) -> None:
    out = narrow.ok("user", "list", "--trashed", trashed).stdout
    assert_fits(out)
    assert table_headers(out) == ["id", "email", "name", "role", "active", "notify", "deleted"]
    shown = [email for email in EMAILS if email in whole_words(out)]
    assert shown == (list(EMAILS) if trashed == "with" else [EMAILS[1]])
    assert re.search(r"\b\d{4}-\d{2}-\d{2} *$", out, re.M), "a deletion date, unsplit"


def test_users_without_deleted_ones_have_no_deleted_column(narrow: Cli) -> None:
    out = narrow.ok("user", "list").stdout
    assert_fits(out)
    assert table_headers(out) == ["id", "email", "name", "role", "active", "notify"]
    assert {EMAILS[0], EMAILS[2]} <= whole_words(out)


def test_movies_fit_and_their_headers_are_whole(narrow: Cli) -> None:
    out = narrow.ok("movie", "list").stdout
    assert_fits(out)
    assert table_headers(out) == ["id", "title", "year", "genres", "countries", "minutes"]
    assert "expressionism" in whole_words(out)


@pytest.mark.parametrize("trashed", ["with", "only"])
def test_a_deleted_column_only_when_deleted_movies_can_be_listed(narrow: Cli, trashed: str) -> None:
    out = narrow.ok("movie", "list", "--trashed", trashed).stdout
    assert_fits(out)
    assert table_headers(out)[-1] == "deleted"
    assert "Metropolis" in out


def test_subscriptions_fit_and_times_wrap_between_date_and_time(narrow: Cli) -> None:
    out = narrow.ok("subscription", "list").stdout
    assert_fits(out)
    assert table_headers(out) == [
        "id",
        "user",
        "plan",
        "status",
        "paid until",
        "canceled",
        "created",
    ]
    words = whole_words(out)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", w) for w in words)
    assert any(re.fullmatch(r"\d{2}:\d{2}:\d{2}Z", w) for w in words)


def test_plans_fit(narrow: Cli) -> None:
    out = narrow.ok("plan", "list").stdout
    assert_fits(out)
    assert table_headers(out) == [
        "id",
        "name",
        "price",
        "currency",
        "period",
        "new movies",
        "active",
    ]


def groups() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    found = [("", root)]
    found += [(name, g) for name, g in root.commands.items() if isinstance(g, TyperGroup)]
    return found


@pytest.mark.parametrize(("name", "group"), groups(), ids=lambda v: v if isinstance(v, str) else "")
def test_group_help_shows_every_summary_whole(narrow: Cli, name: str, group: TyperGroup) -> None:
    out = narrow.ok(*name.split(), "--help").stdout
    assert_fits(out)
    commands = out.split("Commands:", 1)[1]
    assert "..." not in commands
    listed = " ".join(commands.split())
    for command_name, command in group.commands.items():
        summary = " ".join((command.help or "").split("\n\n")[0].split())
        assert f"{command_name} {summary}" in listed
