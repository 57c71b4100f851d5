"""The ``streamcore`` admin CLI: the Typer root, ``--version``, and the one error → exit map.

Start-up matters (``streamcore --help`` should take ~0.1 s): this module and the command modules
import only Typer and the standard library at the top; the core, pydantic, SQLAlchemy and rich
are imported inside the commands that use them.
"""

import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from streamcore.commands import db, movie, plan, serve, subscription, user
from streamcore.commands.options import (
    CommandGroup,
    DatabaseUrl,
    JsonOutput,
    Quiet,
    Verbose,
    spread_global_options,
)
from streamcore.commands.state import state_of

if TYPE_CHECKING:
    from streamcore.errors import StreamcoreError

EXIT_REFUSED = 1
"""The action was refused: change the request (the id, the value, the file)."""
EXIT_USAGE = 2
"""The command line is wrong (Click's own code for usage errors)."""
EXIT_STORAGE = 3
"""The database failed (busy, unreachable, not migrated): the same command may work later."""

EXIT_CODES: dict[str, int] = {
    "not_found": EXIT_REFUSED,
    "conflict": EXIT_REFUSED,
    "invalid_input": EXIT_REFUSED,
    "not_authenticated": EXIT_REFUSED,
    "permission_denied": EXIT_REFUSED,
    "too_many_attempts": EXIT_REFUSED,
    "storage_error": EXIT_STORAGE,
}
"""The exit code of each error category (``streamcore.errors.CATEGORIES``), by its ``code``.

Keyed by the categories' stable codes, so that start-up imports no part of the core.
"""


def exit_code(error: "StreamcoreError") -> int:
    """The exit code for ``error``, by its category (an error of no category is refused)."""
    from streamcore.errors import category_of

    return EXIT_CODES.get(category_of(error).code, EXIT_REFUSED)


def one_line(text: str) -> str:
    """``text`` on one printable line: line breaks become spaces, lone surrogates ``\\udcff``."""
    joined = " ".join(text.splitlines())
    return joined.encode("utf-8", "backslashreplace").decode("utf-8")


_PARSER_WORDING = (
    (re.compile(r"Input should be a valid integer.*"), "must be a whole number"),
    (re.compile(r"Input should be a valid number.*"), "must be a number"),
    (re.compile(r"Input should be (.*)"), r"must be \1"),
)
"""Typer parses options with pydantic: its wording, rewritten in the house style."""


def house_wording(message: str) -> str:
    """An option parser's message in the house style ("must be a whole number")."""
    for pattern, replacement in _PARSER_WORDING:
        message = pattern.sub(replacement, message)
    return message


class RootGroup(CommandGroup):
    """The root: every ``StreamcoreError`` ends in one line on stderr and its exit code."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        spread_global_options(self)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a refused action ends with one clear line, never a traceback."""
        from streamcore.errors import StreamcoreError

        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            wording = house_wording(exc.message)
            raise typer.BadParameter(wording, ctx=exc.ctx, param=exc.param) from None
        except StreamcoreError as exc:
            typer.echo(f"error: {one_line(str(exc))}", err=True)
            raise typer.Exit(exit_code(exc)) from None


def _show_version(ctx: typer.Context, _param: typer.CallbackParam, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from streamcore import __version__

        typer.echo(f"streamcore {__version__}")
        ctx.exit()


app = typer.Typer(
    cls=RootGroup,
    name="streamcore",
    help="Administer a streamcore back end: database, movies, users, plans, subscriptions.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(db.app, name="db")
app.add_typer(movie.app, name="movie")
app.add_typer(user.app, name="user")
app.add_typer(plan.app, name="plan")
app.add_typer(subscription.app, name="subscription")
app.command("serve")(serve.serve)


@app.callback()
def main_options(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            expose_value=False,
            help="Show the version of streamcore and exit.",
        ),
    ] = False,
) -> None:
    """Administer a streamcore back end: database, movies, users, plans, subscriptions."""
    # The options store themselves (their callbacks); they may also follow the command.
    state_of(ctx)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="streamcore")
