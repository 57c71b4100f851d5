"""What ``streamcore serve`` runs under uvicorn: the app factory each worker process calls.

Every worker opens its own core from the environment (``streamcore serve`` writes its options
there before it starts uvicorn, so that workers started as new processes agree with it) and
closes it when the server stops. ``--demo`` reaches them the same way, as ``PLAYER_ENV``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from streamcore.api.app import create_app
from streamcore.config import Settings
from streamcore.core import StreamCore

FACTORY = "streamcore.api.server:app_from_env"
"""The import string uvicorn is given (``--factory``)."""
PLAYER_ENV = "STREAMCORE_DEMO_PLAYER"
"""Set to ``1`` by ``streamcore serve --demo`` (and removed without it): serve the web player."""


def app_from_env() -> FastAPI:
    """A core opened from ``STREAMCORE_*`` settings, and its app; the core closes on shutdown."""
    core = StreamCore.open(Settings.from_env())
    app = create_app(core, player=player_wanted(os.environ))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            core.close()

    app.router.lifespan_context = lifespan
    return app


def player_wanted(environ: Mapping[str, str]) -> bool:
    """Whether ``streamcore serve`` asked its workers for the demo web player."""
    return environ.get(PLAYER_ENV) == "1"
