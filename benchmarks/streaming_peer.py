"""The peer of ``bench_streaming.py``: a bare Starlette app sending one file with ``FileResponse``.

``uvicorn`` is started on ``app_from_env`` (``--factory``) with the options ``streamcore serve``
gives it; ``PEER_FILE`` names the file. No authentication, no database: the floor that
Starlette's own range support sets.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route


def app_from_env() -> Starlette:
    """``GET /file``: the file of ``PEER_FILE``, as ``FileResponse`` sends it."""
    path = os.environ["PEER_FILE"]

    async def send_file(request: Request) -> FileResponse:
        return FileResponse(path, media_type="video/mp4")

    return Starlette(routes=[Route("/file", send_file, methods=["GET", "HEAD"])])
