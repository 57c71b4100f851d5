"""``streamcore movie``: the catalogue."""

from pathlib import Path
from typing import Annotated

import typer

from streamcore.commands.options import (
    CommandGroup,
    CountryFilter,
    GenreFilter,
    Limit,
    Offset,
    Sort,
    TitleText,
    YearFilter,
    given,
)
from streamcore.commands.output import (
    DELETED_COLUMN,
    MOVIE_COLUMNS,
    show_message,
    show_page,
    show_record,
)
from streamcore.commands.state import state_of

app = typer.Typer(
    cls=CommandGroup,
    help="The movie catalogue: add, list, change, delete, import.",
    no_args_is_help=True,
)

CLEARABLE = ("description", "duration_minutes", "genres", "countries", "media_path")

MovieId = Annotated[int, typer.Argument(metavar="ID", help="The movie's id.")]
Title = Annotated[str | None, typer.Option("--title", help="1..200 characters.")]
Year = Annotated[int | None, typer.Option("--year", help="1888 .. this year + 5.")]
Description = Annotated[str | None, typer.Option("--description", help="Up to 5000 characters.")]
Duration = Annotated[int | None, typer.Option("--duration", help="Minutes, 1..1000.")]
Genres = Annotated[
    list[str] | None,
    typer.Option("--genre", metavar="GENRE", help="A genre slug; repeat for more (max 10)."),
]
Countries = Annotated[
    list[str] | None,
    typer.Option(
        "--country", metavar="CC", help="ISO 3166-1 alpha-2 code; repeat for more (max 20)."
    ),
]
Media = Annotated[
    str | None, typer.Option("--media", help="Media file path, relative to the media root.")
]


@app.command()
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="1..200 characters.")],
    year: Annotated[int, typer.Option("--year", help="1888 .. this year + 5.")],
    description: Description = None,
    duration: Duration = None,
    genre: Genres = None,
    country: Countries = None,
    media: Media = None,
) -> None:
    """Add a movie to the catalogue."""
    from streamcore.movies.models import MovieCreate

    state = state_of(ctx)
    data = MovieCreate.model_validate(
        given(
            title=title,
            year=year,
            description=description,
            duration_minutes=duration,
            genres=genre,
            countries=country,
            media_path=media,
        )
    )
    show_record(state, state.core().movies.create(data, actor=state.actor))


@app.command("list")
def list_movies(
    ctx: typer.Context,
    q: TitleText = None,
    genre: GenreFilter = None,
    year: YearFilter = None,
    country: CountryFilter = None,
    trashed: Annotated[
        str,
        typer.Option(
            "--trashed",
            metavar="without|with|only",
            help="Leave out deleted movies, include them, or only them.",
        ),
    ] = "without",
    sort: Sort = "id",
    limit: Limit = 20,
    offset: Offset = 0,
) -> None:
    """List the catalogue, filtered, sorted and paged."""
    from streamcore.movies.models import MovieQuery

    state = state_of(ctx)
    query = MovieQuery.model_validate(
        given(
            q=q,
            genre=genre,
            year=year,
            country=country,
            trashed=trashed,
            sort=sort,
            limit=limit,
            offset=offset,
        )
    )
    columns = MOVIE_COLUMNS if query.trashed == "without" else {**MOVIE_COLUMNS, **DELETED_COLUMN}
    show_page(state, state.core().movies.list(query, actor=state.actor), columns)


@app.command()
def show(
    ctx: typer.Context,
    movie_id: MovieId,
    include_deleted: Annotated[
        bool, typer.Option("--include-deleted", help="Show the movie even if it is deleted.")
    ] = False,
) -> None:
    """Show one movie."""
    state = state_of(ctx)
    show_record(
        state, state.core().movies.get(movie_id, include_deleted=include_deleted, actor=state.actor)
    )


@app.command()
def update(
    ctx: typer.Context,
    movie_id: MovieId,
    title: Title = None,
    year: Year = None,
    description: Description = None,
    duration: Duration = None,
    genre: Genres = None,
    country: Countries = None,
    media: Media = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            "--clear",
            metavar="FIELD",
            help=f"Empty a field ({', '.join(CLEARABLE)}); repeat for more.",
        ),
    ] = None,
) -> None:
    """Change the given fields of a movie; the others stay as they are."""
    from streamcore.errors import InvalidInputError
    from streamcore.movies.models import MoviePatch

    state = state_of(ctx)
    changes = given(
        title=title,
        year=year,
        description=description,
        duration_minutes=duration,
        genres=genre,
        countries=country,
        media_path=media,
    )
    for name in clear or []:
        if name not in CLEARABLE:
            raise InvalidInputError.single("--clear", f"must be one of {', '.join(CLEARABLE)}")
        if name in changes:
            raise InvalidInputError.single("--clear", f"{name} is both set and cleared")
        changes[name] = {"description": "", "genres": [], "countries": []}.get(name)
    show_record(
        state,
        state.core().movies.update(movie_id, MoviePatch.model_validate(changes), actor=state.actor),
    )


@app.command()
def delete(ctx: typer.Context, movie_id: MovieId) -> None:
    """Soft-delete a movie (it can be restored)."""
    state = state_of(ctx)
    state.core().movies.delete(movie_id, actor=state.actor)
    show_message(state, f"Deleted movie {movie_id}.")


@app.command()
def restore(ctx: typer.Context, movie_id: MovieId) -> None:
    """Restore a soft-deleted movie."""
    state = state_of(ctx)
    show_record(state, state.core().movies.restore(movie_id, actor=state.actor))


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A .csv (header row) or .jsonl file.")
    ],
) -> None:
    """Import movies from CSV or JSON Lines: all rows or none."""
    from streamcore.movies.importer import read_rows

    state = state_of(ctx)
    ids = state.core().movies.import_movies(read_rows(file), actor=state.actor)
    noun = "movie" if len(ids) == 1 else "movies"
    show_message(state, f"Imported {len(ids)} {noun}.", {"imported": len(ids)})


@app.command()
def attach(
    ctx: typer.Context,
    movie_id: MovieId,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A video or audio file (.mp4, .webm, ...).")
    ],
) -> None:
    """Copy a media file into the media root and make it the movie's media."""
    from streamcore.errors import InvalidInputError
    from streamcore.movies.upload import suffix_for_file

    state = state_of(ctx)
    suffix = suffix_for_file(file.name)
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise InvalidInputError.single("file", f"{file.name} does not exist") from None
    except OSError as exc:
        raise InvalidInputError.single(
            "file", f"{file.name} cannot be read: {exc.strerror}"
        ) from None
    with handle:
        chunks = iter(lambda: handle.read(1024 * 1024), b"")
        attached = state.core().media.attach(movie_id, chunks, suffix=suffix, actor=state.actor)
    show_record(state, attached)
