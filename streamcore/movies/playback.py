"""``PlaybackService``: may this caller play this movie, and which file is it (SPEC §3.5).

The one place that decides playback for every face (the stream route, signed playback URLs,
media offload). It knows no HTTP: it answers with a ``MediaFile`` or raises a category.
Entitlement belongs to subscriptions; it is passed in by ``core.py`` as a ``WatchRule``, so
this domain imports nothing of that one.

A signed playback URL (``issue`` / ``open_signed``) is a second way in for players that cannot
send a bearer header: the signature proves who it was issued to and until when, and the same
rule as ``open`` is asked again, for that user, on every request it makes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from streamcore.auth.permissions import SYSTEM, Permission, Principal, allows, require
from streamcore.errors import NotAuthenticatedError, PermissionDeniedError
from streamcore.movies.errors import InvalidPlaybackUrlError, MediaNotFoundError
from streamcore.movies.media import MediaFile, find_media
from streamcore.movies.models import Movie
from streamcore.movies.signing import PlaybackGrant, is_signed, sign

logger = logging.getLogger(__name__)


class WatchRule(Protocol):
    """The entitlement rule: whether user ``user_id`` may watch movie ``movie_id`` now."""

    def __call__(self, user_id: int, movie_id: int) -> bool: ...


class MovieLookup(Protocol):
    """A live (not deleted) movie the actor may read; ``MovieNotFoundError`` otherwise."""

    def __call__(self, movie_id: int, *, actor: Principal) -> Movie: ...


class PlaybackService:
    """Decide whether a caller may play a movie, and find its file under the media root."""

    def __init__(
        self,
        movies: MovieLookup,
        may_watch: WatchRule,
        *,
        media_root: Path,
        key: Callable[[], bytes],
        clock: Callable[[], datetime],
        ttl: timedelta,
    ) -> None:
        self._movies = movies
        self._may_watch = may_watch
        self._media_root = media_root
        self._key = key
        self._clock = clock
        self._ttl = ttl

    def open(self, movie_id: int, *, actor: Principal) -> MediaFile:
        """The file of a movie the actor may play.

        Raises ``NotAuthenticatedError`` (no caller), ``MovieNotFoundError`` (no such movie,
        or a deleted one: a 404, as for reading it), ``PermissionDeniedError`` (a movie of the
        catalogue the actor is not entitled to: a 403, since the catalogue already shows it),
        ``MediaNotFoundError`` (no media path, or no regular file for it inside the root).
        """
        movie = self._movies(movie_id, actor=actor)
        self._check_entitled(movie.id, actor)
        return self._file(movie)

    def issue(self, movie_id: int, *, actor: Principal) -> PlaybackGrant:
        """A signed grant for the actor to play the movie until the playback URL lifetime ends.

        The actor must be able to ``open`` it now (same errors); a trusted caller with no user
        (``SYSTEM``) gets ``NotAuthenticatedError``: a grant always names a user. Raises
        ``StorageError`` when a generated key cannot be read or stored.
        """
        self.open(movie_id, actor=actor)
        if actor.user_id is None:
            raise NotAuthenticatedError("a playback URL is issued to a logged-in user")
        expires = int((self._clock() + self._ttl).timestamp())
        signature = sign(self._key(), movie_id, actor.user_id, expires)
        return PlaybackGrant(movie_id, actor.user_id, expires, signature)

    def open_signed(self, movie_id: int, user_id: int, expires: int, signature: str) -> MediaFile:
        """The file a signed grant plays, if it verifies, has not expired and still may play.

        Raises ``InvalidPlaybackUrlError`` (a ``NotAuthenticatedError``: any of the four values
        changed, or expired), then as ``open`` for that user now: ``MovieNotFoundError``
        (deleted since), ``PermissionDeniedError`` (no longer entitled, or no such user any
        more), ``MediaNotFoundError``.
        """
        if not is_signed(self._key(), movie_id, user_id, expires, signature):
            raise InvalidPlaybackUrlError("is not valid (its signature does not match)")
        if self._clock().timestamp() >= expires:
            raise InvalidPlaybackUrlError("has expired")
        movie = self._movies(movie_id, actor=SYSTEM)
        # The user as stored now: a role, a subscription or an account changed since the URL
        # was issued counts at once, not when the URL expires.
        if not self._may_watch(user_id, movie.id):
            raise PermissionDeniedError(
                f"this playback URL no longer plays movie {movie.id}: its user may not watch it"
            )
        return self._file(movie)

    def _file(self, movie: Movie) -> MediaFile:
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
