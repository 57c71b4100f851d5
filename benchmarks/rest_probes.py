"""Probe routes for ``bench_rest.py --probes``: each adds one layer of ``GET /api/movie/{id}``.

No ``from __future__ import annotations`` here: FastAPI reads the probes' parameter types from
their annotations, which must be objects, not strings naming this module's locals.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from streamcore import StreamCore
from streamcore.api.app import create_app
from streamcore.api.auth import Core, MayReadMovies
from streamcore.api.blocking import run_blocking
from streamcore.api.limits import json_body


def probe_app(database_url: str) -> tuple[Any, Any, list[tuple[str, str]]]:
    """The app with probe routes in front, each adding one layer of ``GET /api/movie/{id}``."""
    core = StreamCore.open(database_url)
    app = create_app(core)
    probes = APIRouter(prefix="/probe")
    body = [Depends(json_body)]

    def nothing() -> None:
        return None

    async def two() -> None:
        return None

    async def one(_: Annotated[None, Depends(two)]) -> None:
        return None

    @probes.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    @probes.get("/core")
    async def with_core(core: Core) -> dict[str, str]:
        return {"status": "ok"}

    @probes.get("/json-body", dependencies=body)
    async def with_json_body(core: Core) -> dict[str, str]:
        return {"status": "ok"}

    @probes.get("/two-more", dependencies=body)
    async def two_more(core: Core, _: Annotated[None, Depends(one)]) -> dict[str, str]:
        return {"status": "ok"}

    @probes.get("/may-read", dependencies=body)
    async def may_read(actor: MayReadMovies, core: Core) -> dict[str, str]:
        return {"status": "ok"}

    @probes.get("/may-read-hop", dependencies=body)
    async def may_read_hop(actor: MayReadMovies, core: Core) -> dict[str, str]:
        await run_blocking(nothing)
        return {"status": "ok"}

    app.include_router(probes)
    app.router.routes.insert(0, app.router.routes.pop())  # matched first, like the first router
    ladder = [
        ("our app, a constant route", "/probe/bare"),
        ("+ Core (one dependency)", "/probe/core"),
        ("+ json_body (router dependency)", "/probe/json-body"),
        ("+ two trivial async dependencies", "/probe/two-more"),
        ("Core, json_body + MayReadMovies", "/probe/may-read"),
        ("+ one run_blocking hop of a no-op", "/probe/may-read-hop"),
        ("GET /api/movie/{id}", "/api/movie/5"),
    ]
    return core, app, ladder
