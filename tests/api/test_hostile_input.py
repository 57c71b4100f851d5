"""Hostile input over HTTP: every answer is a 4xx problem, never a 500, and nothing changes.

Bodies that are not JSON objects, values of the wrong type or size in every field of every
JSON route, text with NUL, bidi overrides and lone surrogates (sent as JSON escapes, the only
way a surrogate can cross the wire), unknown and repeated query parameters, and path ids that
are no ids. After each batch, the core (read as ``SYSTEM``) shows the same rows as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from streamcore.auth.models import UserQuery
from streamcore.auth.permissions import SYSTEM
from streamcore.movies.models import MovieCreate, MovieQuery
from streamcore.paging import PageQuery
from streamcore.subscriptions.models import (
    PlanCreate,
    PlanQuery,
    SubscriptionCreate,
    SubscriptionQuery,
)
from tests.api.conftest import PASSWORD, Api

JSON = {"Content-Type": "application/json"}


@dataclass
class Ids:
    """What the hostile requests aim at."""

    movie: int
    plan: int
    subscription: int
    user: int


@pytest.fixture
def ids(api: Api) -> Ids:
    """A movie in a plan, a subscriber subscribed to it, and an admin to send everything."""
    api.as_role("admin")
    user = api.user("subscriber", email="sub@example.com")
    movie = api.core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM).id
    plan = api.core.plans.create(
        PlanCreate(name="Basic", price="9.99", currency="EUR", period="month"), actor=SYSTEM
    ).id
    api.core.plans.add_movie(plan, movie, actor=SYSTEM)
    subscription = api.core.subscriptions.create(
        SubscriptionCreate(plan_id=plan, user_id=user), actor=SYSTEM
    ).id
    return Ids(movie, plan, subscription, user)


def snapshot(api: Api) -> dict[str, Any]:
    """Every row a request could have changed, as the core sees it."""
    core = api.core
    page = {"limit": 100}
    return {
        "movies": core.movies.list(MovieQuery(trashed="with", **page), actor=SYSTEM),
        "users": core.auth.list_users(UserQuery(trashed="with", **page), actor=SYSTEM),
        "plans": core.plans.list(PlanQuery(include_inactive=True, **page), actor=SYSTEM),
        "subscriptions": core.subscriptions.list(SubscriptionQuery(**page), actor=SYSTEM),
        "plan_movies": [
            core.plans.movies(p.id, PageQuery(**page), actor=SYSTEM)
            for p in core.plans.list(PlanQuery(include_inactive=True), actor=SYSTEM).items
        ],
    }


@pytest.fixture
def unchanged(api: Api, ids: Ids) -> Iterator[None]:
    """Fails the test if the core's rows differ after it from before it."""
    before = snapshot(api)
    yield
    assert snapshot(api) == before


def refused(answer: httpx.Response) -> str | None:
    """Why ``answer`` is not a 4xx problem+json (``None`` when it is)."""
    if not 400 <= answer.status_code < 500:
        return f"status {answer.status_code}: {answer.text[:200]}"
    if answer.headers.get("content-type") != "application/problem+json":
        return f"content type {answer.headers.get('content-type')}"
    body = answer.json()
    if body.get("status") != answer.status_code or "detail" not in body:
        return f"not a problem: {answer.text[:200]}"
    return None


def _routes(ids: Ids) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Every JSON-taking route: (method, path, a valid body)."""
    movie = {"title": "Heat", "year": 1995, "duration_minutes": 170, "genres": ["crime"]}
    plan = {"name": "Gold", "price": "19.99", "currency": "EUR", "period": "year"}
    return {
        "register": (
            "POST",
            "/api/auth/register",
            {"email": "new@example.com", "password": PASSWORD, "name": "New"},
        ),
        "login": ("POST", "/api/auth/login", {"email": "x@example.com", "password": PASSWORD}),
        "me": ("PATCH", "/api/auth/me", {"name": "Me", "notify_new_movies": False}),
        "add user": (
            "POST",
            "/api/user",
            {"email": "u@example.com", "password": PASSWORD, "name": "U", "role": "editor"},
        ),
        "change user": ("PUT", f"/api/user/{ids.user}", {"name": "U", "is_active": True}),
        "add movie": ("POST", "/api/movie", movie),
        "replace movie": ("PUT", f"/api/movie/{ids.movie}", movie),
        "patch movie": ("PATCH", f"/api/movie/{ids.movie}", {"title": "Heat", "year": 1995}),
        "add plan": ("POST", "/api/plan", plan),
        "replace plan": ("PUT", f"/api/plan/{ids.plan}", plan),
        "patch plan": ("PATCH", f"/api/plan/{ids.plan}", {"price": "1.00"}),
        "subscribe": ("POST", "/api/subscription", {"plan_id": ids.plan, "user_id": ids.user}),
        "change plan": ("PUT", f"/api/subscription/{ids.subscription}", {"plan_id": ids.plan}),
        "pay": (
            "POST",
            f"/api/subscription/{ids.subscription}/payment",
            {"amount": "9.99", "currency": "EUR", "reference": "r-1"},
        ),
    }


ROUTE_NAMES = [
    "register", "login", "me", "add user", "change user", "add movie", "replace movie",
    "patch movie", "add plan", "replace plan", "patch plan", "subscribe", "change plan", "pay",
]  # fmt: skip

DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_OBJECTS = [
    b"{bad",
    b"hello",
    b"\xff\xfe{\x00}",  # a UTF-16 byte order mark, then no JSON
    b'{"title": "\xff\xfe"}',  # not UTF-8
    b"[]",
    b"[{}]",
    b"42",
    b"-1e400",
    b"null",
    b"true",
    b'"a string"',
    b'{"a": ' + DEEP + b"}",  # deeper than Python's json will go
    DEEP,
    b'{"year": ' + b"9" * 5000 + b"}",  # more digits than Python's int() takes from text
    b'{"a": NaN}',
    b"\x00",
    b'{"title": "x"} trailing',
]


def _send(api: Api, method: str, path: str, content: bytes) -> httpx.Response:
    headers = {**api.as_role("admin"), **JSON}
    return api.client.request(method, path, content=content, headers=headers)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("route", ROUTE_NAMES)
def test_a_body_that_is_no_json_object_is_refused(api: Api, ids: Ids, route: str) -> None:
    method, path, _ = _routes(ids)[route]
    wrong = {}
    for content in NOT_OBJECTS:
        problem = refused(_send(api, method, path, content))
        if problem:
            wrong[content[:30]] = problem
    assert wrong == {}


def test_an_unreadable_body_is_named_body_in_the_house_words(api: Api, ids: Ids) -> None:
    for content, rule in (
        (b"{bad", "must be valid JSON"),
        (b'{"title": "\xff"}', "must be JSON text in UTF-8"),
        (DEEP, "is nested too deeply"),
        (
            b'{"year": ' + b"9" * 5000 + b"}",
            "must be valid JSON (no number longer than 4300 digits)",
        ),
    ):
        answer = _send(api, "POST", "/api/movie", content)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"] == [{"field": "body", "message": rule}]


# --- one bad value in one field at a time -------------------------------------------------------

SURROGATE = "\ud800"
TEXT_ANYWHERE = ["a\x00b", f"a{SURROGATE}b", 5, 1.5, True, [], {}]
"""Wrong in any text field: NUL, a lone surrogate, not a string."""
ONE_LINE_ONLY = ["a\u202eb", "a\nb", "a\u2028b", "a\x1bb", "x" * 100_000]
"""Wrong in a one-line field (and too long for every field of ours)."""
NOT_INTS = [1.5, 1.0, True, False, "abc", "1e3", "0x10", "\u0661", 10**30, -(10**30), [1], {}]
NOT_MONEY = [9.99, "9.999", "-1", "1e3", "NaN", "Infinity", "9" * 50, True, [], "0x10"]
NOT_BOOLS = [2, -1, 1.5, "maybe", [], {}]
FIELD_KINDS = {
    "email": "line",
    "name": "line",
    "title": "line",
    "reference": "line",
    "currency": "line",
    "password": "secret",
    "description": "text",
    "year": "int",
    "duration_minutes": "int",
    "plan_id": "int",
    "user_id": "int",
    "price": "money",
    "amount": "money",
    "notify_new_movies": "bool",
    "is_active": "bool",
    "role": "choice",
    "period": "choice",
    "genres": "list",
}
BAD_VALUES: dict[str, list[Any]] = {
    "line": [*TEXT_ANYWHERE, *ONE_LINE_ONLY],
    "secret": ["a\x00bcdefghij", f"abcdefghij{SURROGATE}", 5, [], "x" * 100_000],
    "text": [*TEXT_ANYWHERE, "a\x1bb", "x" * 100_000],
    "int": NOT_INTS,
    "money": NOT_MONEY,
    "bool": NOT_BOOLS,
    "choice": ["root", "", 1, "ADMIN ", "admin\x00", [], None],
    "list": ["crime", [1], [None], [["a"]], ["a\x00"], ["x" * 51], [f"{i}" for i in range(11)]],
}
UNKNOWN_FIELDS = {"id": 1, "role": "admin", "deleted_at": None, "password_hash": "x", "": 1}


def _with(body: dict[str, Any], name: str, value: Any) -> bytes:
    # ensure_ascii: a lone surrogate leaves as the escape \ud800, as a hostile client sends it.
    return json.dumps({**body, name: value}, ensure_ascii=True).encode()


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("route", ROUTE_NAMES)
def test_every_field_refuses_values_of_the_wrong_type_or_form(
    api: Api, ids: Ids, route: str
) -> None:
    method, path, body = _routes(ids)[route]
    wrong = {}
    tried = 0
    for name in body:
        for bad in BAD_VALUES[FIELD_KINDS[name]]:
            if name == "user_id" and bad is None:
                continue
            tried += 1
            answer = _send(api, method, path, _with(body, name, bad))
            problem = refused(answer)
            if problem is None and answer.status_code == 422:
                fields = {e["field"] for e in answer.json().get("errors", [])}
                named = any(f == name or f.startswith(f"{name}.") for f in fields)  # genres.0
                problem = None if named else f"errors name {fields}, not {name}"
            if problem is None and isinstance(bad, str) and len(bad) > 2 and bad in answer.text:
                problem = "echoes the value"
            if problem:
                wrong[f"{name}={str(bad)[:20]!r}"] = problem
    assert tried >= 5
    assert wrong == {}


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("route", ROUTE_NAMES)
def test_unknown_fields_are_refused_by_name(api: Api, ids: Ids, route: str) -> None:
    method, path, body = _routes(ids)[route]
    # An administrator's user models take role and is_active; for everyone else (/me above
    # all) they are unknown, as is every field a client never writes.
    known = set(body) | ({"role", "is_active"} if route in {"add user", "change user"} else set())
    for name, value in UNKNOWN_FIELDS.items():
        if name in known:
            continue
        answer = _send(api, method, path, _with(body, name, value))
        assert refused(answer) is None, (name, answer.text)
        assert answer.status_code == 422
        assert {"field": name, "message": "is not a known field"} in answer.json()["errors"]


def test_a_lone_surrogate_in_a_password_is_refused_and_not_echoed(api: Api) -> None:
    content = b'{"email": "ann@example.com", "password": "longenough\\ud800x", "name": "Ann"}'
    answer = api.client.post("/api/auth/register", content=content, headers=JSON)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "password", "message": "must be valid Unicode text (no lone surrogates)"}
    ]
    assert "longenough" not in answer.text


def test_a_surrogate_pair_escape_is_one_character_and_is_kept(api: Api) -> None:
    # The escape of a real character (U+1F600) is no surrogate: stored as that character.
    content = b'{"title": "Smile \\ud83d\\ude00", "year": 1979}'
    answer = api.request(
        "POST",
        "/api/movie",
        "editor",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert api.core.movies.get(answer.json()["id"], actor=SYSTEM).title == "Smile \U0001f600"


# --- query strings and paths --------------------------------------------------------------------

LISTINGS = [
    "/api/movie",
    "/api/me/movie",
    "/api/user",
    "/api/plan",
    "/api/subscription",
    "/api/plan/{plan}/movie",
]
BAD_QUERIES = [
    "limit=1&limit=2",
    "offset=0&offset=0",
    "bogus=1",
    "limit=1.5",
    "limit=true",
    "limit=1e2",
    "limit=0",
    "limit=101",
    "limit=" + "9" * 5000,
    "offset=-1",
    "offset=99999999999999999999",
    "limit=%00",
    "limit=",
    "LIMIT=5",
    "limit[]=5",
]
TEXT_QUERIES = ["q=%00", "q=a%E2%80%AEb", "q=a%0Ab", "q=" + "a" * 10_000, "q=a&q=b"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("listing", LISTINGS)
def test_listings_refuse_bad_unknown_and_repeated_query_parameters(
    api: Api, ids: Ids, listing: str
) -> None:
    path = listing.format(plan=ids.plan)
    queries = BAD_QUERIES + (TEXT_QUERIES if listing in {"/api/movie", "/api/me/movie"} else [])
    wrong = {}
    for query in queries:
        answer = api.request("GET", f"{path}?{query}", "admin")
        problem = refused(answer)
        if problem:
            wrong[query[:40]] = problem
    assert wrong == {}


def test_many_query_parameters_are_refused_quickly(api: Api) -> None:
    # 4000 names, each twice (as much as a URL holds): counted in one pass, not per name.
    query = "&".join(f"p{i}=1&p{i}=2" for i in range(4000))
    started = time.perf_counter()
    answer = api.request("GET", f"/api/movie?{query}", "subscriber")
    assert answer.status_code == 422
    assert time.perf_counter() - started < 10
    assert len(answer.json()["errors"]) == 4000


def test_a_repeated_parameter_is_named(api: Api) -> None:
    answer = api.request("GET", "/api/movie?limit=1&genre=a&limit=100&genre=b", "subscriber")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "genre", "message": "must be given once"},
        {"field": "limit", "message": "must be given once"},
    ]


BAD_IDS = [
    "0",
    "-1",
    "99999999999999999999",
    "9" * 5000,
    "1.5",
    "1e3",
    "0x10",
    "abc",
    "true",
    "%00",
    "1%00",
    "\u0661",  # ARABIC-INDIC DIGIT ONE: int() would take it
    "%F0%9F%98%80",
    "..%2F..%2Fetc",
]
ID_ROUTES = [
    ("GET", "/api/movie/{}"),
    ("PATCH", "/api/movie/{}"),
    ("DELETE", "/api/movie/{}"),
    ("POST", "/api/movie/{}/restore"),
    ("GET", "/api/user/{}"),
    ("PUT", "/api/user/{}"),
    ("DELETE", "/api/user/{}"),
    ("POST", "/api/user/{}/restore"),
    ("GET", "/api/plan/{}"),
    ("PATCH", "/api/plan/{}"),
    ("DELETE", "/api/plan/{}"),
    ("GET", "/api/plan/{}/movie"),
    ("PUT", "/api/plan/{plan}/movie/{}"),
    ("DELETE", "/api/plan/{plan}/movie/{}"),
    ("PUT", "/api/plan/{}/movie/{movie}"),
    ("GET", "/api/subscription/{}"),
    ("PUT", "/api/subscription/{}"),
    ("POST", "/api/subscription/{}/cancel"),
    ("POST", "/api/subscription/{}/payment"),
]
BODIES = {"PATCH": {"name": "X"}, "PUT": {"plan_id": 1}}


def idempotent(method: str, template: str, bad: str) -> bool:
    """Taking a movie that is not in a plan out of it changes nothing and says 204 (by design:
    ``PlanService.remove_movie``); only for a path id that is a whole number."""
    whole = bad.lstrip("-").isascii() and bad.lstrip("-").isdigit()
    return (method, template) == ("DELETE", "/api/plan/{plan}/movie/{}") and whole


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("method", "template"), ID_ROUTES)
def test_path_ids_that_are_no_ids_are_refused(
    api: Api, ids: Ids, method: str, template: str
) -> None:
    wrong = {}
    for bad in BAD_IDS:
        path = template.replace("{plan}", str(ids.plan)).replace("{movie}", str(ids.movie))
        body = BODIES.get(method) if method in {"PATCH", "PUT"} else None
        answer = api.request(method, path.format(bad), "admin", json=body)
        problem = refused(answer)
        if problem and answer.status_code == 204 and idempotent(method, template, bad):
            problem = None
        if problem is None and answer.status_code not in {204, 404, 405, 422}:
            problem = f"status {answer.status_code}"
        if problem:
            wrong[bad[:20]] = problem
    assert wrong == {}


def test_digit_strings_are_whole_numbers_by_design(api: Api) -> None:
    # validation._int_problem takes digit strings (CSV cells, query strings) on purpose; a
    # JSON "1979" is the same year. Floats and bools never are (tested above).
    answer = api.request("POST", "/api/movie", "editor", json={"title": "Alien", "year": "1979"})
    assert answer.status_code == 201
    assert answer.json()["year"] == 1979
