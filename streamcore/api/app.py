"""``create_app(core)``: the REST routes of SPEC §6 over an opened core, as an ASGI app.

The app holds no business rule: each route declares its permission (``api/auth.py``), makes
one service call and returns the core's model. Errors of every kind leave as problem+json
(``api/problems.py``). The app does not own the core: whoever opened it closes it
(``streamcore serve`` does, when the server stops).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from streamcore import __version__
from streamcore.api import player as web_player
from streamcore.api import problems, swagger
from streamcore.api.cors import ListedOriginsCORS
from streamcore.api.docs import with_problem_schemas
from streamcore.api.limits import (
    BodyLimit,
    BodyTooLargeError,
    UnsupportedMediaTypeError,
    json_body,
    single_query_values,
)
from streamcore.api.offload import media_sender
from streamcore.api.routes import (
    auth,
    health,
    media,
    movies,
    plans,
    stream,
    subscriptions,
    users,
)
from streamcore.core import StreamCore

JSON_ROUTERS = (auth.router, users.router, movies.router, plans.router, subscriptions.router)
EXPOSED_HEADERS = (
    "Location",
    "Retry-After",
    "WWW-Authenticate",
    "Content-Range",
    "Accept-Ranges",
    "Content-Length",
    "ETag",
    "Last-Modified",
)
"""Response headers a browser script on another origin may read."""


def create_app(core: StreamCore, *, player: bool = False) -> FastAPI:
    """The REST adapter of ``core``: every route of SPEC §6, errors as problem+json.

    With ``player``, also the demo web player at ``/`` (``streamcore serve --demo``).
    """
    app = FastAPI(
        title="streamcore",
        version=__version__,
        summary="The REST API of a movie-streaming service.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.core = core
    app.state.media_sender = media_sender(core.settings)
    problems.install(app)
    app.add_exception_handler(BodyTooLargeError, _too_large)  # type: ignore[arg-type]
    app.add_exception_handler(UnsupportedMediaTypeError, _unsupported)  # type: ignore[arg-type]
    once = Depends(single_query_values)
    for router in JSON_ROUTERS:
        app.include_router(router, dependencies=[once, Depends(json_body)])
    app.include_router(health.router, dependencies=[once])
    app.include_router(stream.router, dependencies=[once])  # GET and HEAD: no body
    app.include_router(media.router, dependencies=[once])  # a raw body, not JSON
    swagger.install(app)
    if player:
        web_player.install(app)
    _add_middleware(app, core)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def _add_middleware(app: FastAPI, core: StreamCore) -> None:
    settings = core.settings
    app.add_middleware(problems.Unexpected)
    app.add_middleware(BodyLimit, max_body=settings.max_body, max_upload=settings.max_upload)
    # Added last = outermost: even a 413 carries the CORS headers a browser needs to read it.
    if settings.cors_origins:
        app.add_middleware(
            ListedOriginsCORS,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Range", "If-None-Match", "If-Range"],
            expose_headers=list(EXPOSED_HEADERS),
            max_age=600,
        )


def _openapi(app: FastAPI) -> Any:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_problem_schemas(build())
        return app.openapi_schema

    return openapi


async def _too_large(request: Request, exc: BodyTooLargeError) -> JSONResponse:
    return problems.problem(413, str(exc))


async def _unsupported(request: Request, exc: UnsupportedMediaTypeError) -> JSONResponse:
    return problems.problem(415, str(exc))
