"""The entitlement contract (SPEC §3.3) that every storage backend must pass.

One rule, asked two ways: ``core.entitlements.may_watch(user, movie)`` and
``core.entitlements.watchable(user, query)``. Administrators and editors watch every live
movie; a subscriber needs to be active, a subscription whose status lets it watch, the movie in
that subscription's plan, and the movie not deleted. The list honours the catalogue's filters,
sort and pagination, with totals, and never repeats a movie held by two of the user's plans.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from streamcore import (
    Movie,
    MovieQuery,
    NotAuthenticatedError,
    PermissionDeniedError,
    StreamCore,
)
from streamcore.auth.models import User, UserPatch
from streamcore.auth.permissions import ANONYMOUS, SYSTEM, Role
from streamcore.events import SubscriptionCanceled, subscription_canceled
from streamcore.subscriptions.models import Plan, PlanPatch, Subscription
from tests.conftest import FakeClock
from tests.contract.test_plans import in_state, make_movie, make_plan, make_user, pay, subscribe

EVERYTHING = MovieQuery(limit=100)


@dataclass
class World:
    """Two plans, six movies (one in no plan, one deleted), a user of each kind."""

    basic: Plan
    premium: Plan
    movies: dict[str, Movie]
    users: dict[str, User]
    subscriptions: dict[str, Subscription]


def build_world(core: StreamCore, clock: FakeClock) -> World:
    basic, premium = make_plan(core, "Basic"), make_plan(core, "Premium", price="19.99")
    movies = {
        name: make_movie(core, name, year)
        for name, year in [
            ("Alien", 1979),
            ("Brazil", 1985),
            ("Casablanca", 1942),
            ("Dune", 2021),
            ("Nowhere", 2001),  # in no plan
            ("Gone", 1999),  # deleted
        ]
    }
    for name in ("Alien", "Brazil", "Gone"):
        core.plans.add_movie(basic.id, movies[name].id, actor=SYSTEM)
    for name in ("Alien", "Brazil", "Casablanca", "Dune", "Gone"):
        core.plans.add_movie(premium.id, movies[name].id, actor=SYSTEM)
    core.movies.delete(movies["Gone"].id, actor=SYSTEM)
    users = {
        "admin": make_user(core, "Root", Role.ADMIN),
        "editor": make_user(core, "Ed", Role.EDITOR),
        "ann": make_user(core, "Ann"),  # Basic, active
        "bob": make_user(core, "Bob"),  # Premium, past due
        "cy": make_user(core, "Cy"),  # no subscription
        "dee": make_user(core, "Dee"),  # Premium, pending
        "eve": make_user(core, "Eve"),  # Premium, expired
        "fay": make_user(core, "Fay"),  # Premium, canceled but paid
    }
    states = {
        "ann": (basic, "active"),
        "bob": (premium, "past_due"),
        "dee": (premium, "pending"),
        "eve": (premium, "expired"),
        "fay": (premium, "canceled"),
    }
    subscriptions = {
        name: in_state(core, plan, users[name], state, clock.now)
        for name, (plan, state) in states.items()
    }
    return World(basic, premium, movies, users, subscriptions)


def watchable_titles(core: StreamCore, user: User, query: MovieQuery = EVERYTHING) -> list[str]:
    page = core.entitlements.watchable(user.id, query, actor=SYSTEM)
    assert page.total == len(page.items)
    return [m.title for m in page.items]


def may_watch_titles(core: StreamCore, world: World, user: User) -> list[str]:
    return [
        title
        for title, movie in world.movies.items()
        if core.entitlements.may_watch(user.id, movie.id)
    ]


def seen_by_everyone(core: StreamCore, world: World) -> dict[str, list[str]]:
    """What each user may watch, asked both ways, which must agree."""
    seen = {}
    for name, user in world.users.items():
        listed = watchable_titles(core, user)
        assert may_watch_titles(core, world, user) == listed, name
        seen[name] = listed
    return seen


ALL_LIVE = ["Alien", "Brazil", "Casablanca", "Dune", "Nowhere"]
PREMIUM = ["Alien", "Brazil", "Casablanca", "Dune"]


def test_who_may_watch_what(core: StreamCore, clock: FakeClock) -> None:
    world = build_world(core, clock)

    assert seen_by_everyone(core, world) == {
        "admin": ALL_LIVE,
        "editor": ALL_LIVE,
        "ann": ["Alien", "Brazil"],
        "bob": PREMIUM,
        "cy": [],
        "dee": [],
        "eve": [],
        "fay": PREMIUM,
    }


def test_unknown_users_and_movies_watch_nothing(core: StreamCore, clock: FakeClock) -> None:
    world = build_world(core, clock)
    ann = world.users["ann"]

    for movie_id in (999, 0, -1, 2**31, 2**63):
        assert core.entitlements.may_watch(ann.id, movie_id) is False
        assert core.entitlements.may_watch(world.users["admin"].id, movie_id) is False
    for user_id in (999, 0, -1, 2**31, 2**63):
        assert core.entitlements.may_watch(user_id, world.movies["Alien"].id) is False
        page = core.entitlements.watchable(user_id, actor=SYSTEM)
        assert (page.items, page.total) == ((), 0)


def test_deleting_a_movie_takes_it_from_every_list_and_restoring_brings_it_back(
    core: StreamCore, clock: FakeClock
) -> None:
    world = build_world(core, clock)
    before = seen_by_everyone(core, world)

    core.movies.delete(world.movies["Alien"].id, actor=SYSTEM)
    during = seen_by_everyone(core, world)
    core.movies.restore(world.movies["Alien"].id, actor=SYSTEM)
    after = seen_by_everyone(core, world)

    assert during == {name: [t for t in titles if t != "Alien"] for name, titles in before.items()}
    assert after == before
    # A movie that stays deleted is no one's, though plans still hold it.
    assert all("Gone" not in titles for titles in after.values())


def test_plan_membership_decides_at_once(core: StreamCore, clock: FakeClock) -> None:
    world = build_world(core, clock)
    ann = world.users["ann"]

    core.plans.add_movie(world.basic.id, world.movies["Dune"].id, actor=SYSTEM)
    assert seen_by_everyone(core, world)["ann"] == ["Alien", "Brazil", "Dune"]
    core.plans.remove_movie(world.basic.id, world.movies["Alien"].id, actor=SYSTEM)
    assert seen_by_everyone(core, world)["ann"] == ["Brazil", "Dune"]
    assert core.entitlements.may_watch(ann.id, world.movies["Alien"].id) is False
    # A new movie joins a plan that includes new movies, and its subscribers see it.
    core.plans.update(world.basic.id, PlanPatch(includes_new_movies=True), actor=SYSTEM)
    fresh = make_movie(core, "Fresh", 2025)
    assert core.entitlements.may_watch(ann.id, fresh.id) is True
    assert core.entitlements.may_watch(world.users["bob"].id, fresh.id) is False


def test_deleting_a_user_cancels_its_subscription_and_stops_watching(
    core: StreamCore, clock: FakeClock
) -> None:
    world = build_world(core, clock)
    ann = world.users["ann"]
    heard: list[object] = []

    def receiver(sender: object, *, event: object) -> None:
        heard.append(event)

    clock.advance(minutes=1)
    with subscription_canceled.connected_to(receiver, sender=core):
        core.auth.delete_user(ann.id, actor=SYSTEM)

    subscription = core.subscriptions.get(world.subscriptions["ann"].id, actor=SYSTEM)
    assert (subscription.status, subscription.canceled_at) == ("canceled", clock.now)
    assert heard == [
        SubscriptionCanceled(occurred_at=clock.now, subscription_id=subscription.id, user_id=ann.id)
    ]
    assert may_watch_titles(core, world, ann) == []
    assert core.entitlements.watchable(ann.id, actor=SYSTEM).total == 0
    # Others are untouched.
    assert seen_by_everyone(core, world)["bob"] == PREMIUM

    # Restored, the user is back, but its subscription stays canceled: it watches what it
    # paid for, until paid_until.
    core.auth.restore_user(ann.id, actor=SYSTEM)
    assert core.subscriptions.get(subscription.id, actor=SYSTEM).status == "canceled"
    assert seen_by_everyone(core, world)["ann"] == ["Alien", "Brazil"]
    clock.now = subscription.paid_until  # type: ignore[assignment]
    assert seen_by_everyone(core, world)["ann"] == []


def test_deactivating_a_user_stops_watching_until_reactivated(
    core: StreamCore, clock: FakeClock
) -> None:
    world = build_world(core, clock)

    for name in ("ann", "admin", "editor"):
        core.auth.update_user(world.users[name].id, UserPatch(is_active=False), actor=SYSTEM)
    during = seen_by_everyone(core, world)
    for name in ("ann", "admin", "editor"):
        core.auth.update_user(world.users[name].id, UserPatch(is_active=True), actor=SYSTEM)

    assert (during["ann"], during["admin"], during["editor"]) == ([], [], [])
    assert during["bob"] == PREMIUM
    after = seen_by_everyone(core, world)
    assert (after["ann"], after["admin"]) == (["Alien", "Brazil"], ALL_LIVE)
    assert core.subscriptions.get(world.subscriptions["ann"].id, actor=SYSTEM).status == "active"


def test_only_the_user_itself_or_an_administrator_lists_its_movies(
    core: StreamCore, clock: FakeClock
) -> None:
    world = build_world(core, clock)
    ann, bob = world.users["ann"], world.users["bob"]

    assert core.entitlements.watchable(ann.id, actor=ann.principal).total == 2
    assert core.entitlements.watchable(ann.id, actor=world.users["admin"].principal).total == 2
    with pytest.raises(PermissionDeniedError):
        core.entitlements.watchable(ann.id, actor=bob.principal)
    with pytest.raises(PermissionDeniedError):
        core.entitlements.watchable(ann.id, actor=world.users["editor"].principal)
    with pytest.raises(NotAuthenticatedError):
        core.entitlements.watchable(ann.id, actor=ANONYMOUS)


# --- the catalogue's filters, sort and pages ------------------------------------------------

CATALOGUE = [
    # title, year, genres, countries, in plan A, in plan B
    ("Alien", 1979, ["sci-fi", "horror"], ["GB", "US"], True, True),
    ("Aliens", 1986, ["sci-fi", "action"], ["US"], True, False),
    ("Brazil", 1985, ["sci-fi", "comedy"], ["GB"], False, True),
    ("Casablanca", 1942, ["drama"], ["US"], True, True),
    ("Dune", 2021, ["sci-fi"], ["US", "CA"], False, True),
    ("Eraserhead", 1977, ["horror"], ["US"], True, False),
    ("Fargo", 1996, ["crime", "comedy"], ["US"], False, False),
    ("Gattaca", 1997, ["sci-fi", "drama"], ["US"], True, True),
    ("Heat", 1995, ["crime", "action"], ["US"], False, True),
    ("Ikiru", 1952, ["drama"], ["JP"], True, False),
    ("Alien Nation", 1988, ["sci-fi", "crime"], ["US"], True, False),
    ("Ran", 1985, ["drama", "action"], ["JP", "FR"], False, True),
    ("Deleted", 1985, ["sci-fi"], ["US"], True, True),
]

QUERIES = {
    "everything": MovieQuery(limit=100),
    "first page": MovieQuery(limit=3),
    "second page": MovieQuery(limit=3, offset=3),
    "past the end": MovieQuery(limit=5, offset=50),
    "genre": MovieQuery(genre="sci-fi", limit=100),
    "genre, paged": MovieQuery(genre="sci-fi", limit=2, offset=1),
    "country": MovieQuery(country="jp", limit=100),
    "country and genre": MovieQuery(country="US", genre="drama", limit=100),
    "year": MovieQuery(year=1985, limit=100),
    "q": MovieQuery(q="ALIEN", limit=100),
    "q, genre, sorted": MovieQuery(q="a", genre="sci-fi", sort="-year", limit=100),
    "title": MovieQuery(sort="title", limit=4),
    "-title": MovieQuery(sort="-title", limit=4, offset=2),
    "year sort": MovieQuery(sort="year", limit=100),
    "-created_at": MovieQuery(sort="-created_at", limit=5),
    "-id": MovieQuery(sort="-id", limit=4, offset=1),
    "nothing matches": MovieQuery(genre="western", limit=100),
}


def _catalogue(core: StreamCore, clock: FakeClock) -> tuple[Plan, Plan, dict[str, Movie]]:
    plan_a, plan_b = make_plan(core, "A"), make_plan(core, "B")
    movies = {}
    for title, year, genres, countries, in_a, in_b in CATALOGUE:
        clock.advance(seconds=1)
        movie = make_movie(core, title, year, genres=genres, countries=countries)
        movies[title] = movie
        for plan, member in ((plan_a, in_a), (plan_b, in_b)):
            if member:
                core.plans.add_movie(plan.id, movie.id, actor=SYSTEM)
    core.movies.delete(movies["Deleted"].id, actor=SYSTEM)
    return plan_a, plan_b, movies


def _expected(core: StreamCore, query: MovieQuery, allowed: set[int]) -> tuple[list[int], int]:
    """The catalogue's own listing of ``query``, narrowed to ``allowed``, then paged."""
    everything = core.movies.list(
        query.model_copy(update={"limit": 100, "offset": 0}), actor=SYSTEM
    )
    assert everything.total <= 100
    ids = [m.id for m in everything.items if m.id in allowed]
    return ids[query.offset : query.offset + query.limit], len(ids)


@pytest.mark.parametrize("who", ["one plan", "two plans", "admin"])
def test_watchable_honours_the_catalogues_filters_sort_and_pages(
    core: StreamCore, clock: FakeClock, who: str
) -> None:
    plan_a, plan_b, movies = _catalogue(core, clock)
    user = make_user(core, "Root", Role.ADMIN) if who == "admin" else make_user(core, "Ann")
    live = {m.id for t, m in movies.items() if t != "Deleted"}
    members = {
        plan_a.id: {movies[t].id for t, *_, a, _b in CATALOGUE if a} & live,
        plan_b.id: {movies[t].id for t, *_, b in CATALOGUE if b} & live,
    }
    if who == "admin":
        allowed = live
    else:
        # "two plans": a canceled but paid subscription on A, then a new active one on B.
        first = subscribe(core, user, plan_a)
        pay(core, first, plan_a, "a-1")
        allowed = members[plan_a.id]
        if who == "two plans":
            core.subscriptions.cancel(first.id, actor=SYSTEM)
            second = subscribe(core, user, plan_b)
            pay(core, second, plan_b, "b-1")
            allowed = members[plan_a.id] | members[plan_b.id]

    seen, expected = {}, {}
    for name, query in QUERIES.items():
        page = core.entitlements.watchable(user.id, query, actor=SYSTEM)
        seen[name] = ([m.id for m in page.items], page.total)
        expected[name] = _expected(core, query, allowed)
        assert (page.limit, page.offset) == (query.limit, query.offset)
        assert len(set(seen[name][0])) == len(seen[name][0]), f"{name}: a movie came twice"
        for movie_id in seen[name][0]:
            assert core.entitlements.may_watch(user.id, movie_id), name

    assert seen == expected
    assert {m for m in live if core.entitlements.may_watch(user.id, m)} == allowed


def test_a_canceled_plan_stops_counting_at_its_paid_until(
    core: StreamCore, clock: FakeClock
) -> None:
    plan_a, plan_b, movies = _catalogue(core, clock)
    ann = make_user(core, "Ann")
    first = subscribe(core, ann, plan_a)
    paid_until = pay(core, first, plan_a, "a-1").payment.period_end
    core.subscriptions.cancel(first.id, actor=SYSTEM)
    clock.advance(days=7)
    second = subscribe(core, ann, plan_b)
    pay(core, second, plan_b, "b-1")
    only_a = movies["Eraserhead"].id

    with_both = core.entitlements.watchable(ann.id, EVERYTHING, actor=SYSTEM)
    clock.now = paid_until
    with_b = core.entitlements.watchable(ann.id, EVERYTHING, actor=SYSTEM)

    assert only_a in {m.id for m in with_both.items}
    assert core.entitlements.may_watch(ann.id, only_a) is False
    b_ids = sorted(movies[t].id for t, *_, b in CATALOGUE if b and t != "Deleted")
    assert ([m.id for m in with_b.items], with_b.total) == (b_ids, len(b_ids))
