"""``seed_demo``: the sample data of ``streamcore serve --demo``, on every backend."""

from __future__ import annotations

from importlib import resources

import pytest

from streamcore import ConflictError, MovieCreate, MovieQuery, StreamCore
from streamcore.auth.models import Credentials, UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.demo import CLASSIC_UNTIL, MEDIA_PATH, ensure_empty, seed_demo
from streamcore.subscriptions.models import PlanCreate, PlanQuery

VIDEO = resources.files("streamcore.demo") / "streamcore-demo.mp4"


def test_the_demo_fills_the_catalogue_plans_and_users(core: StreamCore) -> None:
    made = seed_demo(core)
    movies = core.movies.list(MovieQuery(limit=100), actor=SYSTEM).items
    assert made.movies == len(movies) >= 30
    assert all(m.genres and m.countries and m.description and m.duration_minutes for m in movies)
    assert len({m.title for m in movies}) == len(movies)
    with_media = [m for m in movies if m.media_path]
    assert {m.media_path for m in with_media} == {MEDIA_PATH}
    assert 5 <= len(with_media) < len(movies)
    plans = core.plans.list(PlanQuery(include_inactive=True), actor=SYSTEM).items
    assert sorted(p.name for p in plans) == sorted(made.plans) == ["Classic", "Premium"]
    assert [p.includes_new_movies for p in plans] == [False, True]
    premium = next(p for p in plans if p.includes_new_movies)
    assert core.plans.movies(premium.id, actor=SYSTEM).total == len(movies)
    users = core.auth.list_users(actor=SYSTEM).items
    assert sorted(u.role for u in users) == sorted(Role)


def test_the_subscriber_has_paid_and_may_watch_the_classic_films_only(core: StreamCore) -> None:
    made = seed_demo(core)
    sam = core.auth.find_user(made.account(Role.SUBSCRIBER).email, actor=SYSTEM)
    (subscription,) = core.subscriptions.list(actor=SYSTEM).items
    assert (subscription.user_id, subscription.status) == (sam.id, "active")
    watchable = core.entitlements.watchable(sam.id, MovieQuery(limit=100), actor=SYSTEM)
    everything = core.movies.list(MovieQuery(limit=100), actor=SYSTEM)
    assert {m.id for m in watchable.items} == {
        m.id for m in everything.items if m.year <= CLASSIC_UNTIL
    }
    assert 0 < watchable.total < everything.total
    playable = core.movies.get(made.playable_movie_id, actor=SYSTEM)
    assert playable.media_path == MEDIA_PATH
    assert core.entitlements.may_watch(sam.id, playable.id)


def test_every_printed_password_logs_in(core: StreamCore) -> None:
    made = seed_demo(core)
    for account in made.accounts:
        login = core.auth.login(Credentials(email=account.email, password=account.password))
        assert login.user.role == account.role
    assert len({a.password for a in made.accounts}) == len(made.accounts)


def test_a_password_is_not_in_the_repr(core: StreamCore) -> None:
    made = seed_demo(core)
    for account in made.accounts:
        assert account.password not in repr(made)
        assert account.password not in repr(account)


def test_the_video_is_copied_into_the_media_root(core: StreamCore) -> None:
    made = seed_demo(core)
    assert made.media_file == core.settings.media_root / MEDIA_PATH
    assert made.media_file.read_bytes() == VIDEO.read_bytes()
    assert [p.name for p in made.media_file.parent.iterdir()] == [made.media_file.name]


def test_new_movies_join_the_larger_plan(core: StreamCore) -> None:
    """What an editor sees when it adds a movie to the demo: Premium takes it."""
    made = seed_demo(core)
    movie = core.movies.create(MovieCreate(title="The Unknown", year=1927), actor=SYSTEM)
    plans = core.plans.list(actor=SYSTEM).items
    holding = [p.name for p in plans if movie.id in _ids(core, p.id)]
    assert holding == ["Premium"]
    assert made.plans == ("Classic", "Premium")


def _ids(core: StreamCore, plan_id: int) -> set[int]:
    page = core.plans.movies(plan_id, MovieQuery(limit=100), actor=SYSTEM)
    return {m.id for m in page.items}


@pytest.mark.parametrize("what", ["user", "movie", "deleted movie", "plan"])
def test_a_database_that_holds_anything_is_refused(core: StreamCore, what: str) -> None:
    if what == "user":
        data = UserCreate(email="ann@example.org", name="Ann", password="correct horse")
        core.auth.create_user(data, actor=SYSTEM)
    elif what == "plan":
        plan = PlanCreate(name="Basic", price="1.00", currency="EUR", period="month")
        core.plans.create(plan, actor=SYSTEM)
    else:
        movie = core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
        if what == "deleted movie":
            core.movies.delete(movie.id, actor=SYSTEM)
    with pytest.raises(ConflictError, match="the demo needs an empty database; this one holds 1 "):
        seed_demo(core)
    assert not (core.settings.media_root / MEDIA_PATH).exists()
    assert core.auth.list_users(actor=SYSTEM).total == (1 if what == "user" else 0)


def test_an_empty_database_passes_the_check(core: StreamCore) -> None:
    ensure_empty(core)  # raises nothing
    seed_demo(core)
    with pytest.raises(ConflictError):
        ensure_empty(core)


def test_another_file_at_the_videos_place_is_refused(core: StreamCore) -> None:
    target = core.settings.media_root / MEDIA_PATH
    target.parent.mkdir(parents=True)
    target.write_bytes(b"my own film")
    with pytest.raises(ConflictError, match="already exists and is not the demo video"):
        seed_demo(core)
    assert target.read_bytes() == b"my own film"
    assert core.movies.list(actor=SYSTEM).total == 0


def test_the_same_video_already_in_place_is_kept(core: StreamCore) -> None:
    target = core.settings.media_root / MEDIA_PATH
    target.parent.mkdir(parents=True)
    target.write_bytes(VIDEO.read_bytes())
    assert seed_demo(core).media_file == target
    assert target.read_bytes() == VIDEO.read_bytes()
