"""``streamcore db``: schema migrations."""

import typer

from streamcore.commands.options import CommandGroup
from streamcore.commands.output import show_message
from streamcore.commands.state import state_of

app = typer.Typer(
    cls=CommandGroup, help="Database schema: migrate and inspect.", no_args_is_help=True
)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema (safe to run again)."""
    from streamcore.core import upgrade_database

    state = state_of(ctx)
    before, after = upgrade_database(state.settings())
    text = (
        f"Already at {after}." if before == after else f"Upgraded {before or 'empty'} -> {after}."
    )
    show_message(state, text, {"previous": before, "current": after})


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one this streamcore needs."""
    from streamcore.core import database_revision

    state = state_of(ctx)
    status = database_revision(state.settings())
    advice = {
        "up_to_date": "up to date",
        "behind": "behind: run `streamcore db upgrade`",
        "empty": "no schema yet: run `streamcore db upgrade`",
        "newer": "newer than this streamcore: install a newer streamcore",
    }[status.state]
    show_message(
        state,
        f"current: {status.current or 'none'}\nhead:    {status.head}\nstatus:  {advice}",
        {
            "current": status.current,
            "head": status.head,
            "up_to_date": status.state == "up_to_date",
            "state": status.state,
        },
    )
