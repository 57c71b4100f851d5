"""``PUT /api/movie/{id}/media``: upload a movie's media file as the raw body (SPEC §3.5).

The body is never held whole: each chunk the server receives goes to the core's upload on a
worker thread (``run_blocking``) before the next is read, so memory stays at about one chunk
however large the file (decision 182). ``BodyLimit`` gives this path the upload limit and
stops the read past it (413); a disconnect or any error drops the temporary file.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.requests import ClientDisconnect

from streamcore.api.auth import Core, MayWriteMovies
from streamcore.api.blocking import run_blocking
from streamcore.api.docs import errors
from streamcore.api.limits import UnsupportedMediaTypeError
from streamcore.errors import InvalidInputError
from streamcore.movies.upload import AttachedMedia, suffix_for_type

router = APIRouter(tags=["movies"])

MovieId = Annotated[int, Path(alias="id", description="The movie's id.")]
BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file itself (video/mp4, video/webm, ...; audio types too).",
        "content": {"video/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.put(
    "/api/movie/{id}/media",
    response_model=AttachedMedia,
    responses=errors(400, 401, 403, 404, 413, 415, 422),
    openapi_extra=BODY,
)
async def upload_media(
    movie_id: MovieId, request: Request, actor: MayWriteMovies, core: Core
) -> AttachedMedia | Response:
    """Store the body as the movie's media file; answers its size and SHA-256."""
    try:
        suffix = suffix_for_type(request.headers.get("content-type", ""))
    except InvalidInputError:
        raise UnsupportedMediaTypeError("video/* (a type streamcore can play)") from None
    upload = await run_blocking(core.media.begin, movie_id, suffix, actor=actor)
    try:
        async for chunk in request.stream():
            if chunk:
                await run_blocking(upload.write, chunk)
        return await run_blocking(upload.finish)
    except ClientDisconnect:
        return Response(status_code=400)  # nobody reads it; the file is gone already
    finally:
        # On the loop, not a thread: it must run even while the request is being cancelled,
        # and it is a close and an unlink. A finished upload makes it a no-op.
        upload.abort()
