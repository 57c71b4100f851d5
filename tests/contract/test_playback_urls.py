"""Signed playback URLs (SPEC §3.5): one movie, one user, until it expires; checked every time.

On every backend: a grant is issued only to a caller who may play now; any of its four values
changed is refused; it stops at its expiry (the fake clock) and as soon as its user may no
longer watch the movie; the generated key is shared by cores on one database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from streamcore import NotAuthenticatedError, PermissionDeniedError, StreamCore
from streamcore.auth.models import User
from streamcore.auth.passwords import Argon2Hasher
from streamcore.auth.permissions import ANONYMOUS, SYSTEM
from streamcore.config import Settings
from streamcore.movies.errors import InvalidPlaybackUrlError, MovieNotFoundError
from streamcore.movies.signing import PlaybackGrant
from tests.conftest import CHEAPEST, FakeClock
from tests.contract.test_plans import in_state, make_movie, make_plan, make_user

CONTENT = b"frames" * 50
TTL = 90 * 86400  # long enough to outlive a paid month: revocation is by entitlement


def _settings(database_url: str, tmp_path: Path, **fields: object) -> Settings:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    (media / "a.mp4").write_bytes(CONTENT)
    (media / "b.mp4").write_bytes(CONTENT * 2)
    return replace(
        Settings(database_url=database_url, media_root=media, playback_ttl=TTL), **fields
    )


@pytest.fixture
def core(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[StreamCore]:
    settings = _settings(database_url, tmp_path)
    with StreamCore.open(settings, clock=clock, hasher=Argon2Hasher(CHEAPEST)) as opened:
        yield opened


class World:
    """Two movies in a plan, and Ann, paid up on it."""

    def __init__(self, core: StreamCore, clock: FakeClock) -> None:
        self.a = make_movie(core, "A", media_path="a.mp4").id
        self.b = make_movie(core, "B", media_path="b.mp4").id
        self.plan = make_plan(core)
        core.plans.add_movie(self.plan.id, self.a, actor=SYSTEM)
        core.plans.add_movie(self.plan.id, self.b, actor=SYSTEM)
        self.ann: User = make_user(core, "Ann")
        self.subscription = in_state(core, self.plan, self.ann, "active", clock.now)


@pytest.fixture
def world(core: StreamCore, clock: FakeClock) -> World:
    return World(core, clock)


def _play(core: StreamCore, grant: PlaybackGrant) -> int:
    media = core.playback.open_signed(grant.movie_id, grant.user_id, grant.expires, grant.signature)
    return media.size


def test_a_grant_plays_its_movie_for_its_user_until_it_expires(
    core: StreamCore, world: World, clock: FakeClock
) -> None:
    grant = core.playback.issue(world.a, actor=world.ann.principal)
    assert (grant.movie_id, grant.user_id) == (world.a, world.ann.id)
    assert grant.expires == int((clock.now + timedelta(seconds=TTL)).timestamp())
    assert grant.expires_at == (clock.now + timedelta(seconds=TTL)).replace(microsecond=0)
    assert _play(core, grant) == len(CONTENT)
    assert _play(core, grant) == len(CONTENT)  # as often as the player asks


def test_an_expired_grant_is_refused(core: StreamCore, clock: FakeClock) -> None:
    movie = make_movie(core, "A", media_path="a.mp4").id
    editor = make_user(core, "Ed", role="editor")
    grant = core.playback.issue(movie, actor=editor.principal)
    clock.advance(seconds=TTL - 1)
    assert _play(core, grant) == len(CONTENT)
    clock.advance(seconds=1)
    with pytest.raises(InvalidPlaybackUrlError, match="has expired"):
        _play(core, grant)


@pytest.mark.parametrize("field", ["movie_id", "user_id", "expires", "signature"])
def test_any_value_changed_is_refused(core: StreamCore, world: World, field: str) -> None:
    grant = core.playback.issue(world.a, actor=world.ann.principal)
    changed = {
        "movie_id": world.b,  # a movie Ann may watch too: the signature still says A
        "user_id": make_user(core, "Bob").id,
        "expires": grant.expires + 86400,
        "signature": grant.signature[:-2] + ("AA" if grant.signature[-2:] != "AA" else "BB"),
    }[field]
    with pytest.raises(InvalidPlaybackUrlError, match="signature does not match") as caught:
        _play(core, replace(grant, **{field: changed}))
    assert isinstance(caught.value, NotAuthenticatedError)  # a 401 at the REST edge


@pytest.mark.parametrize("signature", ["", "é" * 43, "x" * 1000, "\udcff"])
def test_a_malformed_signature_is_refused_not_an_error(
    core: StreamCore, world: World, signature: str
) -> None:
    grant = core.playback.issue(world.a, actor=world.ann.principal)
    with pytest.raises(InvalidPlaybackUrlError):
        _play(core, replace(grant, signature=signature))


def test_another_users_grant_plays_nothing_else(
    core: StreamCore, world: World, clock: FakeClock
) -> None:
    bob = make_user(core, "Bob")
    in_state(core, world.plan, bob, "active", clock.now)
    anns = core.playback.issue(world.a, actor=world.ann.principal)
    bobs = core.playback.issue(world.b, actor=bob.principal)
    # Ann's signature with Bob's movie, or with Bob as the user: neither verifies.
    for movie_id, user_id in ((world.b, world.ann.id), (world.a, bob.id), (world.b, bob.id)):
        with pytest.raises(InvalidPlaybackUrlError):
            core.playback.open_signed(movie_id, user_id, anns.expires, anns.signature)
    assert anns.signature != bobs.signature
    assert _play(core, bobs) == len(CONTENT) * 2


def test_only_a_caller_who_may_play_gets_a_grant(core: StreamCore, world: World) -> None:
    with pytest.raises(PermissionDeniedError):
        core.playback.issue(world.a, actor=make_user(core, "Cy").principal)
    with pytest.raises(NotAuthenticatedError):
        core.playback.issue(world.a, actor=ANONYMOUS)
    with pytest.raises(NotAuthenticatedError, match="logged-in user"):
        core.playback.issue(world.a, actor=SYSTEM)
    with pytest.raises(MovieNotFoundError):
        core.playback.issue(999, actor=world.ann.principal)


def test_cancelling_past_paid_until_stops_a_grant(
    core: StreamCore, world: World, clock: FakeClock
) -> None:
    grant = core.playback.issue(world.a, actor=world.ann.principal)
    core.subscriptions.cancel(world.subscription.id, actor=world.ann.principal)
    assert _play(core, grant) == len(CONTENT)  # paid until next month: still watchable
    clock.advance(days=32)
    with pytest.raises(PermissionDeniedError, match="no longer plays"):
        _play(core, grant)


def test_deleting_the_movie_stops_a_grant(core: StreamCore, world: World) -> None:
    grant = core.playback.issue(world.a, actor=world.ann.principal)
    core.movies.delete(world.a, actor=SYSTEM)
    with pytest.raises(MovieNotFoundError):
        _play(core, grant)


def test_removing_the_movie_from_the_plan_stops_a_grant(core: StreamCore, world: World) -> None:
    grant = core.playback.issue(world.a, actor=world.ann.principal)
    core.plans.remove_movie(world.plan.id, world.a, actor=SYSTEM)
    with pytest.raises(PermissionDeniedError):
        _play(core, grant)


def test_deleting_the_user_stops_a_grant(core: StreamCore, world: World) -> None:
    grant = core.playback.issue(world.a, actor=world.ann.principal)
    core.auth.delete_user(world.ann.id, actor=SYSTEM)
    with pytest.raises(PermissionDeniedError):
        _play(core, grant)


def test_cores_on_one_database_share_the_generated_key(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    if database_url.startswith("memory://"):
        pytest.skip("a memory database belongs to one core")
    settings = _settings(database_url, tmp_path)
    with (
        StreamCore.open(settings, clock=clock) as one,
        StreamCore.open(settings, clock=clock) as two,
    ):
        movie = make_movie(one, "A", media_path="a.mp4").id
        staff = make_user(one, "Staff", role="admin")
        grant = one.playback.issue(movie, actor=staff.principal)
        assert _play(two, grant) == len(CONTENT)
        assert two.playback.issue(movie, actor=staff.principal).signature == grant.signature


def test_a_configured_key_is_used_and_another_key_refuses(clock: FakeClock, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    one = _settings(url, tmp_path, secret_key="1" * 32)
    two = _settings(url, tmp_path, secret_key="2" * 32)
    with StreamCore.open(one, clock=clock) as first, StreamCore.open(two, clock=clock) as second:
        movie = make_movie(first, "A", media_path="a.mp4").id
        staff = make_user(first, "Staff", role="admin")
        grant = first.playback.issue(movie, actor=staff.principal)
        assert _play(first, grant) == len(CONTENT)
        with pytest.raises(InvalidPlaybackUrlError):
            _play(second, grant)
    engine = sa.create_engine(url)
    with engine.connect() as conn:  # a configured key: nothing generated, nothing stored
        assert conn.execute(sa.text("SELECT count(*) FROM secrets")).scalar() == 0
    engine.dispose()
