"""``streamcore serve``: the REST adapter under uvicorn (needs ``streamcore[api]``)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from streamcore.commands.state import state_of

SETTING_ENV = {"database_url": "STREAMCORE_DATABASE_URL"}
"""CLI options that workers must see: passed through the environment they inherit."""


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (not with memory://).")
    ] = 1,
) -> None:
    """Serve the REST API (SPEC §6) with uvicorn until interrupted."""
    from streamcore.errors import InvalidInputError
    from streamcore.storage import MEMORY_URL

    state = state_of(ctx)
    settings = state.settings()
    if workers > 1 and settings.database_url.startswith(MEMORY_URL):
        raise InvalidInputError.single(
            "workers", "must be 1 with memory:// (each worker would have its own data)"
        )
    try:
        import uvicorn
    except ImportError:
        raise InvalidInputError.single(
            "serve", "needs the api extra: pip install 'streamcore[api]'"
        ) from None
    from streamcore.api.server import FACTORY

    # Open once here: a bad setting or a schema that is behind is one clear line now, not a
    # traceback in every worker; a new SQLite file is created and migrated before they start.
    state.core()
    state.close()

    os.environ[SETTING_ENV["database_url"]] = settings.database_url
    state.logs.undo()  # uvicorn sets up its own loggers (access log, errors)
    uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers)
