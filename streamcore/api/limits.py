"""What a request may be: how large its body (413), of which media type (415), and that it
names each query parameter once (422).

``BodyLimit`` is plain ASGI middleware so that it refuses an oversized body *before* the
route reads it: at once when ``Content-Length`` says so, and while it streams in when the
client sends it chunked (the count stops the read at the limit, never after the whole body).
Media uploads (``PUT /api/movie/{id}/media``) get the upload limit, every other route the JSON
limit.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from fastapi import Request
from starlette.exceptions import HTTPException

from streamcore.api.problems import problem
from streamcore.errors import FieldError, InvalidInputError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_PATH = re.compile(r"/api/movie/[^/]+/media/?")
JSON_TYPE = re.compile(r"application/(?:[\w.+-]+\+)?json", re.ASCII)


class BodyTooLargeError(HTTPException):
    """The body went past its limit while it was read.

    An ``HTTPException`` because FastAPI turns any other exception raised while it reads a
    body into a 400 "error parsing the body"; this one it lets through to our 413 handler.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit

    def __str__(self) -> str:
        return str(self.detail)


class UnsupportedMediaTypeError(Exception):
    """The body is not of the media type the route takes."""

    def __init__(self, wanted: str) -> None:
        super().__init__(f"send the body as {wanted} (Content-Type)")


class BodyLimit:
    """ASGI middleware: a body over its limit is a 413, refused as early as it can be."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if UPLOAD_PATH.fullmatch(scope["path"]) else self.max_body
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await too_large(limit)(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit), send)


def too_large(limit: int) -> ASGIApp:
    """The 413 answer for ``limit``."""
    return problem(413, f"the request body is larger than {limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLargeError(limit)
        return message

    return counted


async def single_query_values(request: Request) -> None:
    """A route dependency: each query parameter at most once (else 422 naming it).

    Starlette keeps every value and FastAPI takes the last, so ``?limit=1&limit=100`` would
    be read as 100 here while a proxy or log reader in front may have read 1.
    """
    counts = Counter(name for name, _ in request.query_params.multi_items())
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise InvalidInputError([FieldError(name, "must be given once") for name in repeated])


async def json_body(request: Request) -> None:
    """A route dependency: a body, if one is sent, must be JSON (else 415)."""
    if request.method not in {"POST", "PUT", "PATCH"}:
        return
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return  # no body: a route that needs one says "body: is required"
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not JSON_TYPE.fullmatch(media_type):
        raise UnsupportedMediaTypeError("application/json")
