"""``/api/movie/{id}/stream`` and ``…/playback``: a movie's bytes for whoever may watch it (§3.5).

The stream route answers with the bytes (``MediaResponse``) or, with media offload, with an
``X-Accel-Redirect`` for nginx (``api/offload.py``); which one is chosen once, by ``create_app``.
It takes one of two credentials: the ``Authorization: Bearer`` header, or the
signed query of a playback URL (``user``, ``expires``, ``sig``) for players that cannot send a
header. Never both, and never a bearer token in the query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from streamcore.api.auth import NO_STORE, Anyone, Core, LoggedIn
from streamcore.api.docs import errors
from streamcore.api.offload import Sender
from streamcore.api.streaming import MediaResponse
from streamcore.core import StreamCore
from streamcore.errors import InvalidInputError, NotAuthenticatedError
from streamcore.movies.errors import InvalidPlaybackUrlError
from streamcore.movies.media import MediaFile
from streamcore.movies.signing import PlaybackGrant

router = APIRouter(tags=["movies"])

MovieId = Annotated[int, Path(alias="id", description="The movie's id.")]
PATH = "/api/movie/{id}/stream"
BYTES = {"content": {"video/*": {"schema": {"type": "string", "format": "binary"}}}}
ANSWERS: dict[str, Any] = {
    "response_class": MediaResponse,
    "status_code": 200,  # MediaResponse takes no status_code for FastAPI to read one from
    "responses": {
        200: {"description": "The whole file.", **BYTES},
        206: {"description": "The range asked for (Range), or several as multipart.", **BYTES},
        304: {"description": "Not modified (If-None-Match, If-Modified-Since)."},
        **errors(400, 401, 403, 404, 409, 416, 422),
    },
}
SIGNED = ("user", "expires", "sig")
"""The query parameters of a playback URL; the access log hides their values."""

User = Annotated[int | None, Query(description="A playback URL's user (with expires and sig).")]
Expires = Annotated[
    int | None, Query(description="A playback URL's expiry, seconds since the epoch (UTC).")
]
Signature = Annotated[str | None, Query(description="A playback URL's signature.")]


class PlaybackUrl(BaseModel):
    """A URL that plays one movie for the caller, without a header, until ``expires_at``."""

    url: str = Field(
        examples=["http://127.0.0.1:8000/api/movie/1/stream?user=2&expires=1767225600&sig=..."],
        description="Absolute; give it to a <video> element or a media player as it is.",
    )
    expires_at: datetime


@router.head(PATH, operation_id="stream_movie_head", **ANSWERS)
@router.get(PATH, operation_id="stream_movie", **ANSWERS)
def stream_movie(
    movie_id: MovieId,
    request: Request,
    actor: Anyone,
    core: Core,
    send: Sender,
    user: User = None,
    expires: Expires = None,
    sig: Signature = None,
) -> Response:
    """The movie's media file, with byte ranges and conditional requests (RFC 9110)."""
    signed = (user, expires, sig)
    if all(value is None for value in signed):
        if actor.is_anonymous:
            raise NotAuthenticatedError(
                "log in first: this needs a valid bearer token or a signed playback URL"
            )
        return send(core.playback.open(movie_id, actor=actor))
    return send(_open_signed(core, request, movie_id, signed, bearer=not actor.is_anonymous))


def _open_signed(
    core: StreamCore,
    request: Request,
    movie_id: int,
    signed: tuple[int | None, int | None, str | None],
    *,
    bearer: bool,
) -> MediaFile:
    # One credential per request: with both, which one speaks would be a guess.
    if bearer:
        raise InvalidInputError.single(
            "sig", "send either a bearer header or a signed playback URL, not both"
        )
    user, expires, sig = signed
    if user is None or expires is None or sig is None:
        raise InvalidPlaybackUrlError("is not complete (it needs user, expires and sig)")
    if not _written_as_issued(request, movie_id, user, expires):
        raise InvalidPlaybackUrlError("is not valid (it is not written as it was issued)")
    return core.playback.open_signed(movie_id, user, expires, sig)


def _written_as_issued(request: Request, movie_id: int, user: int, expires: int) -> bool:
    # The numbers were signed as values, but a URL is compared, cached and blocked as text:
    # 01, +1, " 1" or 1.0 would be other URLs of the same grant. Only the issued spelling plays.
    written = (
        request.path_params.get("id"),
        request.query_params.get("user"),
        request.query_params.get("expires"),
    )
    return written == (str(movie_id), str(user), str(expires))


@router.post(
    "/api/movie/{id}/playback",
    operation_id="issue_playback_url",
    responses=errors(401, 403, 404, 422),
)
def issue_playback_url(
    movie_id: MovieId, request: Request, response: Response, actor: LoggedIn, core: Core
) -> PlaybackUrl:
    """A signed URL that plays the movie for the caller until it expires (no header needed)."""
    grant = core.playback.issue(movie_id, actor=actor)
    response.headers["cache-control"] = NO_STORE  # the URL is a credential of its own
    return PlaybackUrl(url=playback_url(request, grant), expires_at=grant.expires_at)


def playback_url(request: Request, grant: PlaybackGrant) -> str:
    """The absolute stream URL of a grant, on the host and root path the request came to."""
    query = urlencode({"user": grant.user_id, "expires": grant.expires, "sig": grant.signature})
    return f"{request.url_for('stream_movie', id=grant.movie_id)}?{query}"
