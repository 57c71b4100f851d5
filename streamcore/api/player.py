"""The demo web player of ``streamcore serve --demo``: its page at ``/``, its files at ``/player``.

Static files shipped in ``streamcore/demo/player`` (plain HTML, CSS and an ES module; no build
step), served by Starlette's ``StaticFiles`` and ``FileResponse``. Every response carries a
Content-Security-Policy that allows this origin only and no inline script, so the page can
load, connect to and play nothing from another host (decision 197).
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse, Response
from starlette.types import Scope

PAGE_PATH = "/"
ASSETS_PATH = "/player"
ASSETS_PACKAGE = ("streamcore.demo", "player")
"""Where ``index.html``, ``player.js``, ``player.css`` and ``favicon.svg`` are: package, folder."""
POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    # The page's URL holds no secret, but a playback URL does (its signature): send neither on.
    "Referrer-Policy": "no-referrer",
}


class PlayerFiles(StaticFiles):
    """``StaticFiles`` whose every answer carries the player's security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at ``path``, with ``HEADERS`` added."""
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def install(app: FastAPI) -> None:
    """Serve the player's page at ``/`` and its assets under ``/player`` on ``app``."""
    app.mount(ASSETS_PATH, PlayerFiles(packages=[ASSETS_PACKAGE]), name="player-assets")
    page = resources.files(ASSETS_PACKAGE[0]) / ASSETS_PACKAGE[1] / "index.html"

    @app.api_route(PAGE_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def player_page() -> FileResponse:
        # A wheel installs the package as files, so the resource has a path of its own.
        return FileResponse(str(page), media_type="text/html; charset=utf-8", headers=HEADERS)
