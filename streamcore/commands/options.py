"""Options and helpers that several command groups share (typer and the stdlib only).

The global options (``--database-url``, ``--json``, ``--verbose``, ``--quiet``) are declared
once, on the root, and copied to every group and command (``spread_global_options``), so that
they work before or after the command: ``streamcore movie list --json``. They are not passed to
the command functions: each one's callback writes its value into the invocation's ``CliState``.
"""

import copy
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from streamcore.commands.log import QUIET, VERBOSE
from streamcore.commands.state import state_of

Limit = Annotated[int, typer.Option("--limit", metavar="N", help="1..100.")]
Offset = Annotated[int, typer.Option("--offset", metavar="N", help=">= 0.")]

# The catalogue's filters: `movie list` and `user movies` take the same ones.
TitleText = Annotated[
    str | None, typer.Option("--q", metavar="TEXT", help="Text in the title (any case).")
]
GenreFilter = Annotated[
    str | None, typer.Option("--genre", metavar="GENRE", help="Only this genre.")
]
YearFilter = Annotated[int | None, typer.Option("--year", metavar="YEAR", help="Only this year.")]
CountryFilter = Annotated[
    str | None, typer.Option("--country", metavar="CC", help="Only this country.")
]
Sort = Annotated[
    str,
    typer.Option(
        "--sort", metavar="KEY", help="id, title, year or created_at; '-' for descending."
    ),
]


def given(**options: object) -> dict[str, object]:
    """The options that were given (not None), for a model's ``model_validate``."""
    return {name: value for name, value in options.items() if value is not None}


def _set_database_url(ctx: typer.Context, _param: typer.CallbackParam, value: str | None) -> None:
    if value is not None:  # not given at this position: keep what another position set
        state_of(ctx).database_url = value


def _set_json(ctx: typer.Context, _param: typer.CallbackParam, value: bool) -> None:
    if value:
        state_of(ctx).json = True


def _set_verbose(ctx: typer.Context, _param: typer.CallbackParam, value: bool) -> None:
    if value:
        state_of(ctx).logs.set_level(VERBOSE)


def _set_quiet(ctx: typer.Context, _param: typer.CallbackParam, value: bool) -> None:
    if value:
        state_of(ctx).logs.set_level(QUIET)


# The global options. Their callbacks store the value in the invocation's state, and
# ``expose_value=False`` keeps them out of the functions' arguments: the root declares them
# once (streamcore.cli.main_options) and ``spread_global_options`` copies them everywhere.
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        callback=_set_database_url,
        expose_value=False,
        help="Database URL [env: STREAMCORE_DATABASE_URL; default: sqlite:///streamcore.db].",
    ),
]
JsonOutput = Annotated[
    bool,
    typer.Option(
        "--json",
        callback=_set_json,
        expose_value=False,
        help="Machine-readable JSON output (the REST shapes).",
    ),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        callback=_set_verbose,
        expose_value=False,
        help="Also log DEBUG lines: tracebacks of failed listeners, mail addresses.",
    ),
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",  # no -q: too close to the listings' --q TEXT
        callback=_set_quiet,
        expose_value=False,
        help="Log warnings and errors only (not what the log mailer would have sent).",
    ),
]
GLOBAL_OPTIONS = ("database_url", "json_output", "verbose", "quiet")
"""The parameter names of the global options in the root callback."""


def spread_global_options(root: TyperGroup) -> None:
    """Give every group and command below ``root`` its own copy of the global options."""
    shared = [param for param in root.params if param.name in GLOBAL_OPTIONS]
    for command in _descendants(root):
        command.params.extend(copy.copy(param) for param in shared)


def _descendants(group: TyperGroup) -> Iterator[Any]:
    for command in group.commands.values():
        yield command
        if isinstance(command, TyperGroup):
            yield from _descendants(command)


class CommandGroup(TyperGroup):
    """A command group that lists its commands with their whole summaries, never cut."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            # Click cuts a summary to fit one line ("..."); the help formatter wraps instead.
            command.short_help = command.short_help or command.get_short_help_str(sys.maxsize)
