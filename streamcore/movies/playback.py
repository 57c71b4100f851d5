"""``PlaybackService``: may this caller play this movie, and which file is it (SPEC §3.5).

The one place that decides playback for every face (the stream route, signed playback URLs,
media offload). It knows no HTTP: it answers with a ``MediaFile`` or raises a category.
Entitlement belongs to subscriptions; it is passed in by ``core.py`` as a ``WatchRule``, so
this domain imports nothing of that one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from streamcore.auth.permissions import Permission, Principal, allows, require
from streamcore.errors import PermissionDeniedError
from streamcore.movies.errors import MediaNotFoundError
from streamcore.movies.media import MediaFile, find_media
from streamcore.movies.models import Movie

logger = logging.getLogger(__name__)


class WatchRule(Protocol):
    """The entitlement rule: whether user ``user_id`` may watch movie ``movie_id`` now."""

    def __call__(self, user_id: int, movie_id: int) -> bool: ...


class MovieLookup(Protocol):
    """A live (not deleted) movie the actor may read; ``MovieNotFoundError`` otherwise."""

    def __call__(self, movie_id: int, *, actor: Principal) -> Movie: ...


class PlaybackService:
    """Decide whether a caller may play a movie, and find its file under the media root."""

    def __init__(self, movies: MovieLookup, may_watch: WatchRule, *, media_root: Path) -> None:
        self._movies = movies
        self._may_watch = may_watch
        self._media_root = media_root

    def open(self, movie_id: int, *, actor: Principal) -> MediaFile:
        """The file of a movie the actor may play.

        Raises ``NotAuthenticatedError`` (no caller), ``MovieNotFoundError`` (no such movie,
        or a deleted one: a 404, as for reading it), ``PermissionDeniedError`` (a movie of the
        catalogue the actor is not entitled to: a 403, since the catalogue already shows it),
        ``MediaNotFoundError`` (no media path, or no regular file for it inside the root).
        """
        movie = self._movies(movie_id, actor=actor)
        self._check_entitled(movie.id, actor)
        if movie.media_path is None:
            raise MediaNotFoundError(movie.id, "it has no media file")
        try:
            return find_media(self._media_root, movie.media_path, movie_id=movie.id)
        except MediaNotFoundError as exc:
            # The caller learns the reason; the operator also gets the path to look at.
            logger.warning("movie %s, media_path %r: %s", movie.id, movie.media_path, exc.reason)
            raise

    def _check_entitled(self, movie_id: int, actor: Principal) -> None:
        if not allows(actor, Permission.PLAY_ANY):
            require(actor, Permission.PLAY_ENTITLED)
        if actor.is_system:
            return  # a trusted local caller plays any live movie
        # The rule reads the viewer from storage again: a role or an account changed since
        # the token was issued counts now, not when the token expires.
        if actor.user_id is None or not self._may_watch(actor.user_id, movie_id):
            raise PermissionDeniedError(
                f"you may not watch movie {movie_id}: it is in no plan of a paid-up "
                "subscription of yours"
            )
