"""A signed URL names its user and movie by id: ids must never pass to someone else.

On every backend (memory, SQLite, PostgreSQL). SQLite gives a new row the largest id + 1,
so the id of a removed *last* row would come back; users are soft-deleted, so it must not,
and the URL of the deleted user must stay refused even when the newcomer is entitled.
"""

from __future__ import annotations

import pytest

from streamcore import PermissionDeniedError, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.movies.errors import MovieNotFoundError
from streamcore.movies.signing import PlaybackGrant
from tests.conftest import FakeClock
from tests.contract.test_plans import in_state, make_movie, make_user
from tests.contract.test_playback_urls import World, core, world

__all__ = ["core", "world"]  # the fixtures, for pytest


def _play(core: StreamCore, grant: PlaybackGrant) -> int:
    media = core.playback.open_signed(grant.movie_id, grant.user_id, grant.expires, grant.signature)
    return media.size


def test_a_deleted_users_id_is_never_given_to_a_new_user(
    core: StreamCore, world: World, clock: FakeClock
) -> None:
    last = make_user(core, "Zed")  # the largest id
    in_state(core, world.plan, last, "active", clock.now)
    grant = core.playback.issue(world.a, actor=last.principal)
    core.auth.delete_user(last.id, actor=SYSTEM)
    newcomer = make_user(core, "Newt")
    in_state(core, world.plan, newcomer, "active", clock.now)
    assert newcomer.id != last.id
    with pytest.raises(PermissionDeniedError):
        _play(core, grant)


def test_a_deleted_movies_id_is_never_given_to_a_new_movie(core: StreamCore, world: World) -> None:
    last = make_movie(core, "Last", media_path="b.mp4")
    core.plans.add_movie(world.plan.id, last.id, actor=SYSTEM)
    grant = core.playback.issue(last.id, actor=world.ann.principal)
    core.movies.delete(last.id, actor=SYSTEM)
    with pytest.raises(MovieNotFoundError):
        _play(core, grant)
    newer = make_movie(core, "Newer", media_path="a.mp4")
    assert newer.id != last.id
    # Restored, it is the same movie again: the URL plays it while its user may watch.
    core.movies.restore(last.id, actor=SYSTEM)
    assert _play(core, grant) > 0
