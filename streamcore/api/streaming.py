"""Sending a ``MediaFile``: Starlette's ``FileResponse`` and the little it lacks (SPEC §3.5).

``FileResponse`` already does byte ranges (``a-b``, ``a-``, ``-n``, several at once as
``multipart/byteranges``), ``If-Range``, ``416`` with ``Content-Range: bytes */size``, ``HEAD``,
``Accept-Ranges`` and ``Last-Modified``. ``MediaResponse`` adds:

- ``If-None-Match`` / ``If-Modified-Since`` → ``304``, with an ``ETag`` that changes when the
  file is replaced (the core's ``MediaFile.version``);
- its ``400``/``416`` answers as problem+json (``Content-Range`` kept);
- a ``Range`` of a unit other than ``bytes`` ignored (RFC 9110 §14.2: MUST), not a 400;
- the bytes read from the very file the headers describe: opened (no symlink followed) and
  checked against the core's description before the status line goes out, instead of by path
  after it (decision 139);
- 1 MiB chunks instead of 64 KiB: bounded memory, and a sixteenth of the thread hops and sends.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import parsedate_to_datetime
from typing import BinaryIO

import anyio
import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.types import Message, Receive, Scope, Send

from streamcore.api import problems
from streamcore.errors import StreamcoreError
from streamcore.movies.media import MediaFile

CHUNK_SIZE = 1024 * 1024
"""Bytes read and sent at a time (benchmarks/README.md, "Streaming", measures the choice)."""
CACHE_CONTROL = "private, no-cache"
"""A cache may keep the bytes but must ask again (a 304 costs little): entitlement can end."""
RANGE_FORMS = "Range: must be bytes=first-last, bytes=first- or bytes=-count, first <= last"


class MediaResponse(FileResponse):
    """The bytes of a ``MediaFile``: whole, one range or several, or a ``304``."""

    chunk_size = CHUNK_SIZE

    def __init__(self, media: MediaFile) -> None:
        super().__init__(
            media.path,
            media_type=media.content_type,
            headers={
                "etag": f'"{media.version}"',
                "cache-control": CACHE_CONTROL,
                "x-content-type-options": "nosniff",
            },
            stat_result=_stat_of(media),
        )
        self.media = media
        self._file: BinaryIO | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request in ``scope``."""
        if _not_modified(Headers(scope=scope), self.headers["etag"], self.media.modified):
            await self._not_modified_answer()(scope, receive, send)
            return
        try:
            self._file = await anyio.to_thread.run_sync(self.media.open)
        except StreamcoreError as error:
            await problems.for_error(error)(scope, receive, send)
            return
        try:
            refusals = _refusals_as_problems(scope, receive, send, self.media.size)
            await super().__call__(_scope_for_starlette(scope), receive, refusals)
        finally:
            self._file.close()

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[anyio.AsyncFile[bytes]]:
        # Starlette's hook for the file it reads: ours is already open and checked.
        if self._file is None:
            raise RuntimeError("MediaResponse reads only the file it opened in __call__")
        yield anyio.AsyncFile(self._file)

    def _not_modified_answer(self) -> Response:
        keep = ("etag", "last-modified", "cache-control")
        return Response(status_code=304, headers={k: self.headers[k] for k in keep})


def _stat_of(media: MediaFile) -> os.stat_result:
    """An ``os.stat_result`` with what ``FileResponse`` reads of one: size and mtime."""
    device, inode = media.identity
    m = media.modified
    return os.stat_result((stat.S_IFREG | 0o444, inode, device, 1, 0, 0, media.size, m, m, m))


def _not_modified(request: Headers, etag: str, modified: float) -> bool:
    """RFC 9110 §13.1.2-3: If-None-Match (weak comparison) wins; else If-Modified-Since."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = request.get("if-modified-since")
    if since is None:
        return False
    try:
        limit = parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as the RFC says
    return int(modified) <= limit


def _scope_for_starlette(scope: Scope) -> Scope:
    """The scope ``FileResponse`` sees: no foreign range unit, no path-send shortcut."""
    headers = scope["headers"]
    if any(name == b"range" and not _is_bytes_unit(value) for name, value in headers):
        # A unit we do not know is ignored: the whole file, 200.
        headers = [(name, value) for name, value in headers if name != b"range"]
    # pathsend would let the server reopen the file by its path, after our check.
    extensions = dict(scope.get("extensions", {}))
    extensions.pop("http.response.pathsend", None)
    return {**scope, "headers": headers, "extensions": extensions}


def _is_bytes_unit(value: bytes) -> bool:
    return value.split(b"=", 1)[0].strip().lower() == b"bytes"


def _refusals_as_problems(scope: Scope, receive: Receive, send: Send, size: int) -> Send:
    """A ``send`` that turns ``FileResponse``'s plain-text 400 and 416 into problem+json."""
    replaced = False

    async def relay(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] in {400, 416}:
            replaced = True
            await _range_problem(message["status"], size)(scope, receive, send)
        elif not replaced:  # Starlette's own body of the refusal is dropped
            await send(message)

    return relay


def _range_problem(status: int, size: int) -> Response:
    if status == 416:
        return problems.problem(
            416,
            f"Range: no range starts inside the file's {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return problems.problem(400, RANGE_FORMS)
