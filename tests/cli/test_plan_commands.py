"""``streamcore plan ...`` in human and ``--json`` mode, checked through the library.

PLAN is an id or a name (any case); prices are decimal strings from the command line to the
model, never floats.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.errors import NotFoundError
from streamcore.paging import PageQuery
from streamcore.subscriptions.models import PlanCreate, PlanQuery, SubscriptionCreate
from tests.cli.conftest import SAMPLE_MOVIES, Cli, assert_usage_error, table_headers

PLAN_KEYS = {
    "id",
    "name",
    "description",
    "price",
    "currency",
    "period",
    "includes_new_movies",
    "is_active",
    "created_at",
    "updated_at",
}
LIST_COLUMNS = ["id", "name", "price", "currency", "period", "new movies", "active"]
MOVIE_COLUMNS = ["id", "title", "year", "genres", "countries", "minutes"]
HUGE = "9" * 30

SAMPLE_PLANS: tuple[dict[str, Any], ...] = (
    {"name": "Basic", "price": "9.99", "currency": "EUR", "period": "month"},
    {
        "name": "Premium",
        "description": "Everything, also what comes next.",
        "price": "99.00",
        "currency": "EUR",
        "period": "year",
        "includes_new_movies": True,
    },
    {"name": "Legacy", "price": "5.00", "currency": "USD", "period": "month", "is_active": False},
)
"""Ids 1..3 in this order on a fresh database (Legacy is inactive)."""


# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def library(cli: Cli) -> Iterator[StreamCore]:
    """The CLI's database through the library, hashing new passwords cheaply."""
    with StreamCore.open(cli.url, hasher=Argon2Hasher(CHEAPEST)) as core:
        yield core


def seed_plans(cli: Cli, plans: tuple[dict[str, Any], ...] = SAMPLE_PLANS) -> list[int]:
    with library(cli) as core:
        return [core.plans.create(PlanCreate(**p), actor=SYSTEM).id for p in plans]


def stored(cli: Cli, plan_id: int) -> dict[str, Any]:
    """One plan (active or not) as the library dumps it."""
    with library(cli) as core:
        return core.plans.get(plan_id, actor=SYSTEM).model_dump(mode="json")


def plan_listing(cli: Cli, **query: Any) -> dict[str, Any]:
    with library(cli) as core:
        return core.plans.list(PlanQuery(**query), actor=SYSTEM).model_dump(mode="json")


def plan_count(cli: Cli) -> int:
    return int(plan_listing(cli, include_inactive=True)["total"])


def plan_movies(cli: Cli, plan_id: int, **page: Any) -> dict[str, Any]:
    with library(cli) as core:
        return core.plans.movies(plan_id, PageQuery(**page), actor=SYSTEM).model_dump(mode="json")


def movie_ids_of(cli: Cli, plan_id: int) -> list[int]:
    return [m["id"] for m in plan_movies(cli, plan_id, limit=100)["items"]]


def subscribe(cli: Cli, plan_id: int) -> int:
    """A subscriber with a (pending, hence live) subscription to the plan; its id."""
    with library(cli) as core:
        user = core.auth.create_user(
            UserCreate(email=f"sub{plan_id}@example.org", name="Sub", password="sub-password-1"),
            actor=SYSTEM,
        )
        return core.subscriptions.create(
            SubscriptionCreate(plan_id=plan_id, user_id=user.id), actor=SYSTEM
        ).id


def field_rows(stdout: str) -> dict[str, str]:
    """The two-column table of a record."""
    return dict(
        [*line.strip().split(maxsplit=1), ""][:2] for line in stdout.splitlines() if line.strip()
    )


# --- add -------------------------------------------------------------------------------------


def test_add_json_is_the_library_model(cli: Cli) -> None:
    shown = cli.json(
        "plan",
        "add",
        "  Premium ",
        "--price",
        "99",
        "--currency",
        "eur",
        "--period",
        "year",
        "--description",
        " Everything. ",
        "--include-new-movies",
    )
    assert set(shown) == PLAN_KEYS
    assert shown == stored(cli, shown["id"])
    assert shown["name"] == "Premium"
    assert shown["description"] == "Everything."
    assert (shown["price"], shown["currency"], shown["period"]) == ("99.00", "EUR", "year")
    assert (shown["includes_new_movies"], shown["is_active"]) == (True, True)


def test_add_minimal_uses_the_defaults(cli: Cli) -> None:
    shown = cli.json(
        "plan", "add", "Basic", "--price", "9.99", "--currency", "EUR", "--period", "month"
    )
    assert shown == stored(cli, shown["id"])
    assert shown["description"] == ""
    assert shown["price"] == "9.99"
    assert (shown["includes_new_movies"], shown["is_active"]) == (False, True)


def test_add_inactive(cli: Cli) -> None:
    args = ["plan", "add", "Old", "--price", "1.50", "--currency", "USD", "--period", "month"]
    shown = cli.json(*args, "--inactive")
    assert shown["is_active"] is False
    assert stored(cli, shown["id"])["is_active"] is False
    assert plan_listing(cli)["total"] == 0


def test_add_human_prints_a_field_table(cli: Cli) -> None:
    out = cli.ok(
        "plan", "add", "Basic", "--price", "9.5", "--currency", "EUR", "--period", "month"
    ).stdout
    rows = field_rows(out)
    assert set(rows) == PLAN_KEYS
    plan = stored(cli, int(rows["id"]))
    assert (rows["name"], rows["price"], rows["currency"], rows["period"]) == (
        "Basic",
        "9.50",
        "EUR",
        "month",
    )
    assert (rows["includes_new_movies"], rows["is_active"]) == ("False", "True")
    assert rows["description"] == ""
    assert rows["created_at"] == plan["created_at"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_add_passes_the_price_to_the_model_as_a_string(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--price 9.99`` reaches ``PlanCreate`` as the text "9.99", never as a float."""
    seen: list[dict[str, Any]] = []
    original = PlanCreate.model_validate

    def spy(obj: Any, **options: Any) -> PlanCreate:
        seen.append(dict(obj))
        return original(obj, **options)

    monkeypatch.setattr(PlanCreate, "model_validate", spy)
    cli.ok("plan", "add", "Basic", "--price", "9.99", "--currency", "EUR", "--period", "month")
    assert len(seen) == 1
    assert seen[0]["price"] == "9.99"
    assert type(seen[0]["price"]) is str


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("0", "0.00"),
        ("0.1", "0.10"),
        ("12345678.91", "12345678.91"),
        ("99999999.99", "99999999.99"),
    ],
)
def test_add_keeps_the_exact_price(cli: Cli, price: str, expected: str) -> None:
    shown = cli.json("plan", "add", "P", "--price", price, "--currency", "EUR", "--period", "year")
    assert shown["price"] == expected
    assert stored(cli, shown["id"])["price"] == expected


def test_add_a_zero_price_written_with_a_minus_sign_reads_back_the_same(cli: Cli) -> None:
    """``-0`` is >= 0 and accepted; what ``add`` prints is what is stored ("0.00")."""
    shown = cli.json(
        "plan", "add", "Free", "--price", "-0", "--currency", "EUR", "--period", "month"
    )
    assert stored(cli, shown["id"])["price"] == "0.00"
    assert shown == stored(cli, shown["id"])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (["--price", "9.999"], "price"),
        (["--price", "0.001"], "price"),
        (["--price", "-1"], "price"),
        (["--price", "9,99"], "price"),
        (["--price", "ten"], "price"),
        (["--price", "nan"], "price"),
        (["--price", "inf"], "price"),
        (["--price", ""], "price"),
        (["--price", "10000000000"], "price"),  # 11 integer digits (SPEC §3.3: at most 10)
        (["--currency", "ABC"], "currency"),
        (["--currency", "EURO"], "currency"),
        (["--currency", ""], "currency"),
        (["--period", "week"], "period"),
        (["--period", "Month "], "period"),
        (["--name", ""], "name"),
        (["--name", "   "], "name"),
        (["--name", "n" * 101], "name"),
        (["--description", "d" * 5001], "description"),
    ],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_add_refuses_bad_fields(
    cli: Cli, options: list[str], field: str, json_output: bool
) -> None:
    values = {"--name": "Basic", "--price": "9.99", "--currency": "EUR", "--period": "month"}
    extra: list[str] = []
    for option, value in zip(options[::2], options[1::2], strict=True):
        if option in values:
            values[option] = value
        else:
            extra += [option, value]
    args = ["plan", "add", values.pop("--name")]
    for option, value in values.items():
        args += [option, value]
    line = cli.refused(*args, *extra, json_output=json_output)
    assert line.startswith(f"error: {field}: ")
    assert plan_count(cli) == 0


def test_add_names_every_bad_field_on_one_line(cli: Cli) -> None:
    line = cli.refused(
        "plan", "add", "", "--price", "9.999", "--currency", "ABC", "--period", "day"
    )
    for field in ("name", "price", "currency", "period"):
        assert f"{field}: " in line
    assert plan_count(cli) == 0


@pytest.mark.parametrize("name", ["Basic", "basic", " BASIC "])
def test_add_a_duplicate_name_in_any_case_is_a_conflict(cli: Cli, name: str) -> None:
    seed_plans(cli)
    before = stored(cli, 1)
    args = ["--price", "1", "--currency", "EUR", "--period", "month"]
    line = cli.refused("plan", "add", name, *args)
    assert line == f"error: a plan named {name.strip()!r} already exists"
    assert plan_count(cli) == 3
    assert stored(cli, 1) == before


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["plan", "add", "Basic", "--currency", "EUR", "--period", "month"], "--price"),
        (["plan", "add", "Basic", "--price", "9.99", "--period", "month"], "--currency"),
        (["plan", "add", "Basic", "--price", "9.99", "--currency", "EUR"], "--period"),
        (["plan", "add", "--price", "9.99", "--currency", "EUR", "--period", "month"], "NAME"),
        (["plan", "add", "B", "--price", "1", "--currency", "EUR", "--period", "month", "x"], "x"),
        (["plan", "add", "B", "--price"], "--price"),
        (["plan", "add", "B", "--cents", "999"], "--cents"),
        (["plan", "list", "--limit", "ten"], "--limit"),
        (["plan", "list", "--inactive"], "--inactive"),
        (["plan", "show"], "PLAN"),
        (["plan", "update", "Basic", "--active", "yes"], "yes"),
        (["plan", "delete"], "PLAN"),
        (["plan", "add-movie", "Basic"], "MOVIE_ID"),
        (["plan", "add-movie", "Basic", "one"], "MOVIE_ID"),
        (["plan", "remove-movie", "Basic", "1.5"], "MOVIE_ID"),
        (["plan", "movies", "Basic", "--offset", "x"], "--offset"),
        (["plan", "rename", "Basic"], "rename"),
    ],
)
def test_usage_errors_exit_2_and_leave_the_database_alone(
    fresh_cli: Cli, db_path: Path, args: list[str], fragment: str
) -> None:
    assert fragment in assert_usage_error(fresh_cli.run(*args))
    assert not db_path.exists()


# --- list ------------------------------------------------------------------------------------


def test_list_json_is_the_library_page_of_active_plans(cli: Cli) -> None:
    seed_plans(cli)
    shown = cli.json("plan", "list")
    assert set(shown) == {"items", "total", "limit", "offset"}
    assert shown == plan_listing(cli)
    assert [p["id"] for p in shown["items"]] == [1, 2]
    assert (shown["total"], shown["limit"], shown["offset"]) == (2, 20, 0)
    assert all(set(p) == PLAN_KEYS for p in shown["items"])


@pytest.mark.parametrize(
    ("options", "query", "expected_ids"),
    [
        (["--all"], {"include_inactive": True}, [1, 2, 3]),
        (["--limit", "1"], {"limit": 1}, [1]),
        (["--offset", "1"], {"offset": 1}, [2]),
        (
            ["--all", "--limit", "1", "--offset", "2"],
            {"include_inactive": True, "limit": 1, "offset": 2},
            [3],
        ),
        (["--offset", "5"], {"offset": 5}, []),
    ],
)
def test_list_options_pass_through(
    cli: Cli, options: list[str], query: dict[str, Any], expected_ids: list[int]
) -> None:
    seed_plans(cli)
    shown = cli.json("plan", "list", *options)
    assert shown == plan_listing(cli, **query)
    assert [p["id"] for p in shown["items"]] == expected_ids


def test_list_human_prints_a_table_and_a_footer(cli: Cli) -> None:
    seed_plans(cli)
    out = cli.ok("plan", "list", "--all", "--offset", "1").stdout
    assert table_headers(out) == LIST_COLUMNS
    assert "Premium" in out
    assert "99.00" in out
    assert "Legacy" in out
    assert "Basic" not in out
    assert out.rstrip().splitlines()[-1] == "2-3 of 3"
    assert cli.ok("plan", "list", "--offset", "9").stdout.rstrip().endswith("none shown of 2")


@pytest.mark.parametrize(
    ("options", "field"),
    [(["--limit", "0"], "limit"), (["--limit", "101"], "limit"), (["--offset", "-1"], "offset"),
     (["--offset", HUGE], "offset")],
)  # fmt: skip
def test_list_refuses_bad_paging(cli: Cli, options: list[str], field: str) -> None:
    assert cli.refused("plan", "list", *options).startswith(f"error: {field}: ")


# --- show ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["2", "Premium", "premium", "PREMIUM"])
def test_show_by_id_or_name_in_any_case(cli: Cli, ref: str) -> None:
    seed_plans(cli)
    shown = cli.json("plan", "show", ref)
    assert shown == stored(cli, 2)
    rows = field_rows(cli.ok("plan", "show", ref).stdout)
    assert set(rows) == PLAN_KEYS
    assert (rows["id"], rows["name"], rows["price"], rows["period"]) == (
        "2",
        "Premium",
        "99.00",
        "year",
    )
    assert rows["description"] == "Everything, also what comes next."


def test_show_an_inactive_plan(cli: Cli) -> None:
    seed_plans(cli)
    assert cli.json("plan", "show", "legacy") == stored(cli, 3)
    assert cli.json("plan", "show", "3")["is_active"] is False


def test_plan_name_ref_ignores_surrounding_space_like_user_refs(cli: Cli) -> None:
    """Names are stored stripped, and USER refs ignore surrounding space; PLAN refs should too."""
    seed_plans(cli)
    assert cli.json("plan", "show", " Basic ") == stored(cli, 1)


# --- update ----------------------------------------------------------------------------------


def test_update_json_changes_only_the_given_fields(cli: Cli) -> None:
    seed_plans(cli)
    before = stored(cli, 1)
    others = [stored(cli, i) for i in (2, 3)]
    shown = cli.json(
        "plan", "update", "basic", "--name", " Basic HD ", "--price", "12.5", "--currency", "usd",
        "--description", "Now in HD.",
    )  # fmt: skip
    after = stored(cli, 1)
    assert shown == after
    assert (after["name"], after["price"], after["currency"], after["description"]) == (
        "Basic HD",
        "12.50",
        "USD",
        "Now in HD.",
    )
    for unchanged in ("period", "includes_new_movies", "is_active", "created_at"):
        assert after[unchanged] == before[unchanged]
    assert after["updated_at"] > before["updated_at"]
    assert [stored(cli, i) for i in (2, 3)] == others
    assert cli.json("plan", "show", "Basic HD") == after
    assert cli.refused("plan", "show", "Basic") == "error: plan Basic not found"


def test_update_human_and_the_flag_pairs(cli: Cli) -> None:
    seed_plans(cli)
    rows = field_rows(cli.ok("plan", "update", "1", "--include-new-movies", "--inactive").stdout)
    assert (rows["includes_new_movies"], rows["is_active"]) == ("True", "False")
    assert (stored(cli, 1)["includes_new_movies"], stored(cli, 1)["is_active"]) == (True, False)
    rows = field_rows(
        cli.ok("plan", "update", "Basic", "--no-include-new-movies", "--active").stdout
    )
    assert (rows["includes_new_movies"], rows["is_active"]) == ("False", "True")
    assert (stored(cli, 1)["includes_new_movies"], stored(cli, 1)["is_active"]) == (False, True)
    rows = field_rows(cli.ok("plan", "update", "LEGACY", "--period", "year", "--active").stdout)
    assert (rows["period"], rows["is_active"]) == ("year", "True")
    assert [p["id"] for p in plan_listing(cli)["items"]] == [1, 2, 3]


def test_update_with_no_option_changes_nothing(cli: Cli) -> None:
    seed_plans(cli)
    before = stored(cli, 2)
    assert cli.json("plan", "update", "Premium") == before
    assert stored(cli, 2) == before


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--price", "9.999"], "price: "),
        (["--price", "-0.01"], "price: "),
        (["--currency", "ABC"], "currency: "),
        (["--period", "week"], "period: "),
        (["--name", ""], "name: "),
        (["--name", "  "], "name: "),
        (["--name", "PREMIUM"], "a plan named 'PREMIUM' already exists"),
    ],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_update_refuses_bad_values(
    cli: Cli, options: list[str], fragment: str, json_output: bool
) -> None:
    seed_plans(cli)
    before = stored(cli, 1)
    line = cli.refused("plan", "update", "Basic", *options, json_output=json_output)
    assert line.startswith(f"error: {fragment}")
    assert stored(cli, 1) == before


def test_update_the_name_to_itself_in_another_case(cli: Cli) -> None:
    seed_plans(cli)
    assert cli.json("plan", "update", "1", "--name", "BASIC")["name"] == "BASIC"
    assert stored(cli, 1)["name"] == "BASIC"


# --- delete ----------------------------------------------------------------------------------


def test_delete_by_name(cli: Cli) -> None:
    seed_plans(cli)
    assert cli.ok("plan", "delete", "basic").stdout == "Deleted plan 1 (Basic).\n"
    with library(cli) as core, pytest.raises(NotFoundError):
        core.plans.get(1, actor=SYSTEM)
    assert [p["id"] for p in plan_listing(cli, include_inactive=True)["items"]] == [2, 3]
    assert cli.refused("plan", "show", "1") == "error: plan 1 not found"
    assert cli.refused("plan", "delete", "Basic") == "error: plan Basic not found"


def test_delete_json_prints_nothing_and_frees_the_name(cli: Cli) -> None:
    seed_plans(cli)
    assert cli.ok("plan", "delete", "3", json_output=True).stdout == ""
    assert plan_count(cli) == 2
    args = ["--price", "5", "--currency", "USD", "--period", "month"]
    again = cli.json("plan", "add", "Legacy", *args)
    assert again["id"] == 4
    assert cli.json("plan", "show", "legacy") == stored(cli, 4)


@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_delete_a_plan_in_use_is_a_conflict_until_its_subscription_ends(
    cli: Cli, json_output: bool
) -> None:
    seed_plans(cli)
    subscription_id = subscribe(cli, 1)
    before = stored(cli, 1)
    line = cli.refused("plan", "delete", "Basic", json_output=json_output)
    assert line == (
        "error: plan 1 has live subscriptions; deactivate it to stop new ones, "
        "and delete it once they have ended"
    )
    assert stored(cli, 1) == before
    cli.ok("plan", "update", "Basic", "--inactive")  # what the message advises
    assert cli.refused("plan", "delete", "1") == (
        "error: plan 1 is inactive but still has live subscriptions: delete it once they have ended"
    )
    for words in ("is_active", "--inactive", "instead"):
        assert words not in line
    with library(cli) as core:
        core.subscriptions.cancel(subscription_id, actor=SYSTEM)
    cli.ok("plan", "delete", "1")
    assert plan_count(cli) == 2


# --- movies of a plan ------------------------------------------------------------------------


def test_add_movie_and_remove_movie_by_id_and_name(cli: Cli) -> None:
    seed_plans(cli)
    cli.seed(SAMPLE_MOVIES)
    out = cli.ok("plan", "add-movie", "basic", "3").stdout
    assert out == "Movie 3 is in plan 1 (Basic).\n"
    assert cli.ok("plan", "add-movie", "1", "1", json_output=True).stdout == ""
    cli.ok("plan", "add-movie", "Basic", "3")  # twice: nothing changes
    assert movie_ids_of(cli, 1) == [1, 3]
    assert movie_ids_of(cli, 2) == [1, 2, 3, 4]  # Premium takes every new movie

    out = cli.ok("plan", "remove-movie", "BASIC", "3").stdout
    assert out == "Movie 3 is not in plan 1 (Basic).\n"
    assert cli.ok("plan", "remove-movie", "1", "3", json_output=True).stdout == ""
    cli.ok("plan", "remove-movie", "1", "4")  # never in it: nothing changes
    assert movie_ids_of(cli, 1) == [1]


def test_an_inactive_plan_can_hold_movies(cli: Cli) -> None:
    seed_plans(cli)
    cli.seed(SAMPLE_MOVIES[:1])
    cli.ok("plan", "add-movie", "Legacy", "1")
    assert movie_ids_of(cli, 3) == [1]


@pytest.mark.parametrize(
    "movie_id", ["99", "0", HUGE, "2"], ids=["unknown", "0", "huge", "deleted"]
)
def test_add_movie_refuses_a_movie_that_does_not_exist(cli: Cli, movie_id: str) -> None:
    seed_plans(cli)
    cli.seed(SAMPLE_MOVIES[:2])
    with cli.core() as core:
        core.movies.delete(2, actor=SYSTEM)
    line = cli.refused("plan", "add-movie", "Basic", movie_id)
    assert line == f"error: movie_id: movie {movie_id} does not exist"
    assert movie_ids_of(cli, 1) == []


def test_movies_json_is_the_library_page(cli: Cli) -> None:
    seed_plans(cli)
    cli.seed(SAMPLE_MOVIES)
    for movie_id in (4, 2, 1):
        cli.ok("plan", "add-movie", "Basic", movie_id)
    shown = cli.json("plan", "movies", "basic")
    assert set(shown) == {"items", "total", "limit", "offset"}
    assert shown == plan_movies(cli, 1)
    assert [m["id"] for m in shown["items"]] == [1, 2, 4]
    paged = cli.json("plan", "movies", "1", "--limit", "1", "--offset", "1")
    assert paged == plan_movies(cli, 1, limit=1, offset=1)
    assert [m["id"] for m in paged["items"]] == [2]
    assert (paged["total"], paged["limit"], paged["offset"]) == (3, 1, 1)

    with cli.core() as core:
        core.movies.delete(2, actor=SYSTEM)
    assert [m["id"] for m in cli.json("plan", "movies", "Basic")["items"]] == [1, 4]
    assert [m["id"] for m in cli.json("plan", "movies", "Premium")["items"]] == [1, 3, 4]
    assert cli.json("plan", "movies", "Legacy")["items"] == []


def test_movies_human_prints_a_table_and_a_footer(cli: Cli) -> None:
    seed_plans(cli)
    cli.seed(SAMPLE_MOVIES)
    cli.ok("plan", "add-movie", "Basic", "3")
    out = cli.ok("plan", "movies", "Basic").stdout
    assert table_headers(out) == MOVIE_COLUMNS
    assert "Alien" in out
    assert "Metropolis" not in out
    assert out.rstrip().splitlines()[-1] == "1-1 of 1"
    empty = cli.ok("plan", "movies", "Legacy").stdout
    assert empty.rstrip().splitlines()[-1] == "none shown of 0"


@pytest.mark.parametrize(
    ("options", "field"), [(["--limit", "0"], "limit"), (["--offset", "-1"], "offset")]
)
def test_movies_refuses_bad_paging(cli: Cli, options: list[str], field: str) -> None:
    seed_plans(cli)
    assert cli.refused("plan", "movies", "Basic", *options).startswith(f"error: {field}: ")


def test_a_new_movie_joins_the_plans_that_take_new_movies(cli: Cli) -> None:
    seed_plans(cli)
    cli.ok("plan", "update", "Legacy", "--include-new-movies")  # inactive: it does not take them
    movie = cli.json("movie", "add", "--title", "Brand New", "--year", "2025")
    assert movie_ids_of(cli, 2) == [movie["id"]]
    assert movie_ids_of(cli, 1) == []
    assert movie_ids_of(cli, 3) == []


# --- unknown plans ---------------------------------------------------------------------------

COMMANDS_ON_A_PLAN = [
    pytest.param(["show"], id="show"),
    pytest.param(["update", "--name", "X"], id="update"),
    pytest.param(["delete"], id="delete"),
    pytest.param(["add-movie", "1"], id="add-movie"),
    pytest.param(["remove-movie", "1"], id="remove-movie"),
    pytest.param(["movies"], id="movies"),
]


@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
@pytest.mark.parametrize(
    "ref", ["99", "Gold", "0", HUGE, ""], ids=["99", "Gold", "0", "huge", "empty"]
)
@pytest.mark.parametrize("command", COMMANDS_ON_A_PLAN)
def test_an_unknown_plan_is_refused(
    cli: Cli, command: list[str], ref: str, json_output: bool
) -> None:
    seed_plans(cli)
    cli.seed(SAMPLE_MOVIES[:1])
    before = [stored(cli, i) for i in (1, 2, 3)]
    line = cli.refused("plan", command[0], ref, *command[1:], json_output=json_output)
    assert line == f"error: plan {ref} not found"
    assert [stored(cli, i) for i in (1, 2, 3)] == before
    assert movie_ids_of(cli, 1) == []


@pytest.mark.parametrize("name", ["2024", " 7 ", "\u0661\u0662"])
@pytest.mark.parametrize("command", ["add", "update"])
def test_a_name_made_only_of_digits_is_refused(cli: Cli, name: str, command: str) -> None:
    """A PLAN made only of digits is an id, so no plan may be named like one (SPEC 3.3)."""
    seed_plans(cli)
    args = ["--price", "1", "--currency", "EUR", "--period", "month"]
    argv = (
        ["plan", "add", name, *args]
        if command == "add"
        else ["plan", "update", "1", "--name", name]
    )
    line = cli.refused(*argv)
    assert line == "error: name: must not be only digits (PLAN can be an id)"
    assert plan_count(cli) == 3
    assert cli.json("plan", "show", "1")["name"] == "Basic"


def test_a_name_with_digits_and_letters_is_a_name(cli: Cli) -> None:
    args = ["--price", "1", "--currency", "EUR", "--period", "month"]
    shown = cli.json("plan", "add", "2024 Promo", *args)
    assert cli.json("plan", "show", "2024 promo") == shown
