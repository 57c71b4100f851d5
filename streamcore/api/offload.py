"""Media offload: the stream route checks the caller, nginx sends the bytes (SPEC §3.5).

With ``STREAMCORE_MEDIA_OFFLOAD=nginx`` a stream that may be played is answered with an empty
``200`` and ``X-Accel-Redirect: <media_offload_prefix><path under the media root>``. nginx
(docs/deploy/nginx.conf) then serves that file from its ``internal`` location with sendfile and
does the ranges, ``206``/``416``, ``HEAD``, ``ETag``, ``Last-Modified``, ``If-None-Match`` and
``If-Range`` itself. Refusals (401, 403, 404, 422) are answered by streamcore as before: they
never carry the header, so nginx passes them through.

The path comes from the core's ``MediaFile`` (resolved, no symlink in it, inside the resolved
root), never from the request. nginx opens it again by that path; its ``disable_symlinks on``
refuses a link put in place since (decision 191).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import Response

from streamcore.api.streaming import CACHE_CONTROL, MediaResponse
from streamcore.config import Settings
from streamcore.movies.media import MediaFile

MediaSender = Callable[[MediaFile], Response]
"""Turns the file the core allowed into the stream route's answer."""


class XAccelResponse(Response):
    """An empty answer that tells nginx which file under its internal location to send."""

    def __init__(self, media: MediaFile, prefix: str) -> None:
        super().__init__(
            status_code=200,
            media_type=media.content_type,
            headers={
                "x-accel-redirect": accel_path(media, prefix),
                # nginx keeps Content-Type and Cache-Control from this answer; nosniff it adds
                # itself (add_header), since it keeps no other header of an X-Accel answer.
                "cache-control": CACHE_CONTROL,
                "x-content-type-options": "nosniff",
            },
        )


def accel_path(media: MediaFile, prefix: str) -> str:
    """The internal URI of a media file: the prefix, then each path part percent-encoded.

    nginx decodes the header's URI once; every byte but the unreserved ones is encoded, so a
    ``%``, ``?``, ``#``, space or non-ASCII letter in a file name names that file, not a query.
    """
    return prefix + "/".join(quote(part, safe="") for part in media.parts)


def media_sender(settings: Settings) -> MediaSender:
    """The answer to a stream for these settings: nginx's offload, or the bytes themselves."""
    if settings.media_offload == "nginx":
        prefix = settings.media_offload_prefix
        return lambda media: XAccelResponse(media, prefix)
    return MediaResponse


async def _sender_of(request: Request) -> MediaSender:
    # async: an attribute read; chosen once, when the app was made (create_app).
    sender: MediaSender = request.app.state.media_sender
    return sender


Sender = Annotated[MediaSender, Depends(_sender_of)]
"""The stream route's way of answering with a file, for a route."""
