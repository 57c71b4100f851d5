"""``streamcore plan``: subscription plans and the movies they hold. Money stays a string."""

from typing import Annotated

import typer

from streamcore.commands.options import CommandGroup, Limit, Offset, given
from streamcore.commands.output import MOVIE_COLUMNS, show_message, show_page, show_record
from streamcore.commands.state import state_of

app = typer.Typer(
    cls=CommandGroup,
    help="Plans: add, list, change, delete, and their movies.",
    no_args_is_help=True,
)

LIST_COLUMNS = {
    "id": "id",
    "name": "name",
    "price": "price",
    "currency": "currency",
    "period": "period",
    "includes_new_movies": "new movies",
    "is_active": "active",
}

PlanRef = Annotated[str, typer.Argument(metavar="PLAN", help="The plan's id or name.")]
MovieId = Annotated[int, typer.Argument(metavar="MOVIE_ID", help="The movie's id.")]
Description = Annotated[
    str | None, typer.Option("--description", metavar="TEXT", help="Up to 5000 characters.")
]


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Unique (any case), 1..100.")],
    price: Annotated[
        str,
        typer.Option("--price", metavar="AMOUNT", help="Decimal, at most 2 decimals: 9.99."),
    ],
    currency: Annotated[
        str, typer.Option("--currency", metavar="CODE", help="ISO 4217 code: EUR, USD...")
    ],
    period: Annotated[
        str, typer.Option("--period", metavar="PERIOD", help="Billing period: month or year.")
    ],
    description: Description = None,
    include_new_movies: Annotated[
        bool,
        typer.Option("--include-new-movies", help="Newly added movies join the plan."),
    ] = False,
    inactive: Annotated[
        bool, typer.Option("--inactive", help="Create it inactive (no new subscriptions).")
    ] = False,
) -> None:
    """Add a plan."""
    from streamcore.subscriptions.models import PlanCreate

    state = state_of(ctx)
    data = PlanCreate.model_validate(
        given(
            name=name,
            description=description,
            price=price,
            currency=currency,
            period=period,
            includes_new_movies=include_new_movies,
            is_active=not inactive,
        )
    )
    show_record(state, state.core().plans.create(data, actor=state.actor))


@app.command("list")
def list_plans(
    ctx: typer.Context,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include inactive plans.")
    ] = False,
    limit: Limit = 20,
    offset: Offset = 0,
) -> None:
    """List plans by id: the active ones, or all with --all."""
    from streamcore.subscriptions.models import PlanQuery

    state = state_of(ctx)
    query = PlanQuery.model_validate(
        {"include_inactive": include_inactive, "limit": limit, "offset": offset}
    )
    show_page(state, state.core().plans.list(query, actor=state.actor), LIST_COLUMNS)


@app.command()
def show(ctx: typer.Context, plan: PlanRef) -> None:
    """Show one plan (active or not)."""
    state = state_of(ctx)
    show_record(state, state.core().plans.find(plan, actor=state.actor))


@app.command()
def update(
    ctx: typer.Context,
    plan: PlanRef,
    name: Annotated[
        str | None, typer.Option("--name", metavar="NAME", help="Unique (any case), 1..100.")
    ] = None,
    description: Description = None,
    price: Annotated[
        str | None,
        typer.Option("--price", metavar="AMOUNT", help="Decimal, at most 2 decimals: 9.99."),
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", metavar="CODE", help="ISO 4217 code.")
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", metavar="PERIOD", help="month or year.")
    ] = None,
    include_new_movies: Annotated[
        bool | None,
        typer.Option(
            "--include-new-movies/--no-include-new-movies",
            help="Newly added movies join the plan, or not.",
        ),
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Allow or stop new subscriptions."),
    ] = None,
) -> None:
    """Change the given fields of a plan; the others stay as they are."""
    from streamcore.subscriptions.models import PlanPatch

    state = state_of(ctx)
    core = state.core()
    target = core.plans.find(plan, actor=state.actor)
    patch = PlanPatch.model_validate(
        given(
            name=name,
            description=description,
            price=price,
            currency=currency,
            period=period,
            includes_new_movies=include_new_movies,
            is_active=active,
        )
    )
    show_record(state, core.plans.update(target.id, patch, actor=state.actor))


@app.command()
def delete(ctx: typer.Context, plan: PlanRef) -> None:
    """Delete a plan that no live subscription uses (else deactivate it)."""
    state = state_of(ctx)
    core = state.core()
    target = core.plans.find(plan, actor=state.actor)
    core.plans.delete(target.id, actor=state.actor)
    show_message(state, f"Deleted plan {target.id} ({target.name}).")


@app.command("add-movie")
def add_movie(ctx: typer.Context, plan: PlanRef, movie_id: MovieId) -> None:
    """Put a movie in a plan (adding it twice changes nothing)."""
    state = state_of(ctx)
    core = state.core()
    target = core.plans.find(plan, actor=state.actor)
    core.plans.add_movie(target.id, movie_id, actor=state.actor)
    show_message(state, f"Movie {movie_id} is in plan {target.id} ({target.name}).")


@app.command("remove-movie")
def remove_movie(ctx: typer.Context, plan: PlanRef, movie_id: MovieId) -> None:
    """Take a movie out of a plan (removing it twice changes nothing)."""
    state = state_of(ctx)
    core = state.core()
    target = core.plans.find(plan, actor=state.actor)
    core.plans.remove_movie(target.id, movie_id, actor=state.actor)
    show_message(state, f"Movie {movie_id} is not in plan {target.id} ({target.name}).")


@app.command()
def movies(ctx: typer.Context, plan: PlanRef, limit: Limit = 20, offset: Offset = 0) -> None:
    """List the movies of a plan (not deleted ones), by id."""
    from streamcore.paging import PageQuery

    state = state_of(ctx)
    core = state.core()
    target = core.plans.find(plan, actor=state.actor)
    page = PageQuery.model_validate({"limit": limit, "offset": offset})
    show_page(state, core.plans.movies(target.id, page, actor=state.actor), MOVIE_COLUMNS)
