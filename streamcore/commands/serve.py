"""``streamcore serve``: the REST adapter under uvicorn (needs ``streamcore[api]``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from streamcore.commands.state import CliState, state_of

if TYPE_CHECKING:
    from streamcore.demo import DemoCredentials

SETTING_ENV = {"database_url": "STREAMCORE_DATABASE_URL"}
"""CLI options that workers must see: passed through the environment they inherit."""
DEMO_URL = "sqlite:///streamcore-demo.db"
"""The database of ``--demo`` when none is given: a file of its own, beside ``streamcore.db``."""
API_MODULES = ("fastapi", "uvicorn")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (not with memory://).")
    ] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="First fill a new SQLite database with sample data and print how to log in "
            f"[default database: {DEMO_URL}].",
        ),
    ] = False,
) -> None:
    """Serve the REST API (SPEC §6) with uvicorn until interrupted."""
    _require_api_extra()
    state = state_of(ctx)
    if demo and state.database_url is None and not os.environ.get(SETTING_ENV["database_url"]):
        state.database_url = DEMO_URL
    settings = state.settings()
    _check_workers(settings.database_url, workers)
    if demo:
        _check_demo_database(settings.database_url)

    # Open once here: a bad setting or a schema that is behind is one clear line now, not a
    # traceback in every worker; a new SQLite file is created and migrated before they start.
    state.core()
    credentials = _seed(state) if demo else None
    level = state.logs.level
    state.close()  # also gives the loggers back: uvicorn sets up its own (log_config)
    if credentials is not None:
        typer.echo(demo_text(credentials, settings.database_url, _base_url(host, port)))

    import uvicorn

    from streamcore.api.logs import log_config
    from streamcore.api.server import FACTORY, PLAYER_ENV

    os.environ[SETTING_ENV["database_url"]] = settings.database_url
    # Explicit both ways: a value left in the shell never turns the player on without --demo.
    if demo:
        os.environ[PLAYER_ENV] = "1"
    else:
        os.environ.pop(PLAYER_ENV, None)
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(level),
    )


def _require_api_extra() -> None:
    """One clear line, not an ImportError, when ``streamcore[api]`` is not installed."""
    from streamcore.errors import InvalidInputError

    for name in API_MODULES:
        try:
            __import__(name)
        except ImportError:
            raise InvalidInputError.single(
                "serve", f"needs the api extra ({name} is missing): pip install 'streamcore[api]'"
            ) from None


def _check_workers(url: str, workers: int) -> None:
    from streamcore.errors import InvalidInputError
    from streamcore.storage import MEMORY_URL

    if workers > 1 and url.startswith(MEMORY_URL):
        raise InvalidInputError.single(
            "workers", "must be 1 with memory:// (each worker would have its own data)"
        )


def _check_demo_database(url: str) -> None:
    """``--demo`` writes sample users (an administrator too) only into a SQLite file."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from streamcore.errors import InvalidInputError

    try:
        parsed = make_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
    except ArgumentError:
        sqlite = False
    if not sqlite or parsed.database in (None, "", ":memory:"):
        raise InvalidInputError.single(
            "--demo",
            f"needs a SQLite file (sqlite:///PATH); leave out --database-url for {DEMO_URL}",
        )


def _seed(state: CliState) -> DemoCredentials:
    from streamcore.demo import ensure_empty, seed_demo
    from streamcore.errors import ConflictError

    core = state.core()
    try:
        ensure_empty(core)
    except ConflictError as exc:
        url = state.settings().database_url
        raise ConflictError(
            f"--demo: {exc}: serve it without --demo "
            f"(streamcore serve --database-url {url}) or start from a new file"
        ) from None
    return seed_demo(core)


def _base_url(host: str, port: int) -> str:
    """Where a client on this machine reaches the server."""
    shown = "127.0.0.1" if host in {"0.0.0.0", "", "::"} else host  # noqa: S104 (compared, not bound)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port if port else 'PORT'}"


def demo_text(credentials: DemoCredentials, url: str, base: str) -> str:
    """What ``--demo`` prints before the server starts: whom to log in as, what to try."""
    from streamcore.auth.permissions import Role

    subscriber = credentials.account(Role.SUBSCRIBER)
    width = max(len(a.email) for a in credentials.accounts)
    accounts = [f"  {a.role:<11} {a.email:<{width}}  {a.password}" for a in credentials.accounts]
    accounts[-1] += f"   (plan {credentials.subscriber_plan}, paid)"
    login = f'{{"email": "{subscriber.email}", "password": "{subscriber.password}"}}'
    movie = credentials.playable_movie_id
    return "\n".join(
        [
            f"Demo data in {url}: {credentials.movies} movies, plans "
            f"{' and '.join(credentials.plans)}, {len(credentials.accounts)} users.",
            f"Demo video: {credentials.media_file}",
            "",
            "Log in as (the passwords are shown only this once):",
            *accounts,
            "",
            f"Then, while the server runs, open the web player at {base}/ (log in as the",
            f"subscriber), the API's docs at {base}/docs, or:",
            f"  TOKEN=$(curl -s {base}/api/auth/login -H 'Content-Type: application/json' \\",
            f"    -d '{login}' \\",
            "    | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')",
            f'  curl -s {base}/api/me/movie -H "Authorization: Bearer $TOKEN"',
            f'  curl -s {base}/api/movie/{movie}/stream -H "Authorization: Bearer $TOKEN" \\',
            "    -H 'Range: bytes=0-99999' -D - -o part.mp4",
            f"Serve this database again later: streamcore serve --database-url {url}",
            "",
        ]
    )
