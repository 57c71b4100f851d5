"""The ``streamcore`` admin CLI: the Typer root, global options, and the one error → exit map.

Start-up matters (``streamcore --help`` should take ~0.1 s): this module and the command modules
import only Typer and the standard library at the top; the core, pydantic, SQLAlchemy and rich
are imported inside the commands that use them.
"""

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from streamcore.commands import db, movie, plan, subscription, user
from streamcore.commands.state import CliState

EXIT_REFUSED = 1
EXIT_USAGE = 2


class StreamcoreGroup(TyperGroup):
    """Maps every ``StreamcoreError`` a command raises to one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a refused action ends with one clear line, never a traceback."""
        from streamcore.errors import StreamcoreError

        try:
            return super().invoke(ctx)
        except StreamcoreError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_REFUSED) from None


app = typer.Typer(
    cls=StreamcoreGroup,
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


@app.callback()
def main_options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            metavar="URL",
            help="Database URL [env: STREAMCORE_DATABASE_URL; default: sqlite:///streamcore.db].",
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON output (the REST shapes).")
    ] = False,
) -> None:
    """Administer a streamcore back end: database, movies, users, plans, subscriptions."""
    state = CliState(database_url=database_url, json=json_output)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="streamcore")
