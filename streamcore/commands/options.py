"""Options and helpers that several command groups share (typer and the stdlib only)."""

from typing import Annotated

import typer

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
