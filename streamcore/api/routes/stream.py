"""``/api/movie/{id}/stream``: the bytes of a movie the caller may watch (SPEC §3.5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from streamcore.api.auth import Core, LoggedIn
from streamcore.api.docs import errors
from streamcore.api.streaming import MediaResponse

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


@router.head(PATH, operation_id="stream_movie_head", **ANSWERS)
@router.get(PATH, operation_id="stream_movie", **ANSWERS)
def stream_movie(movie_id: MovieId, actor: LoggedIn, core: Core) -> MediaResponse:
    """The movie's media file, with byte ranges and conditional requests (RFC 9110)."""
    return MediaResponse(core.playback.open(movie_id, actor=actor))
