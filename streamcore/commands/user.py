"""``streamcore user``: accounts. Passwords come from a hidden prompt or stdin, never argv."""

import sys
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
    help="Users: add, list, change, delete, passwords, movies.",
    no_args_is_help=True,
)

LIST_COLUMNS = {
    "id": "id",
    "email": "email",
    "name": "name",
    "role": "role",
    "is_active": "active",
    "notify_new_movies": "notify",
}
ROLES = "admin, editor or subscriber"

UserRef = Annotated[str, typer.Argument(metavar="USER", help="The user's id or email.")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


NOT_UTF8 = "must be valid UTF-8 text"


def _read_password(from_stdin: bool) -> str:
    """The new password, from stdin's first line or a hidden prompt; never echoed in an error."""
    from streamcore.errors import InvalidInputError

    try:
        # Prompts go to stderr so that `--json` output on stdout stays pure JSON.
        password: str = (
            _first_line_of_stdin()
            if from_stdin
            else typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        )
    except UnicodeDecodeError:  # bytes that are not UTF-8 (or not the terminal's encoding)
        raise InvalidInputError.single("password", NOT_UTF8) from None
    if any("\ud800" <= char <= "\udfff" for char in password):  # a C locale's escaped bytes
        raise InvalidInputError.single("password", NOT_UTF8)
    return password


def _first_line_of_stdin() -> str:
    # Read bytes and decode them as UTF-8, whatever the locale says stdin's encoding is.
    stream = getattr(sys.stdin, "buffer", None)
    line = sys.stdin.readline() if stream is None else stream.readline().decode("utf-8")
    return line.rstrip("\r\n")


@app.command()
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="Unique, any case.")],
    name: Annotated[str, typer.Option("--name", help="1..100 characters.")],
    role: Annotated[str, typer.Option("--role", help=f"{ROLES}.")] = "subscriber",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user with any role; the password is prompted for (hidden, twice)."""
    from streamcore.auth.models import UserCreate

    state = state_of(ctx)
    password = _read_password(password_stdin)
    data = UserCreate.model_validate(
        {"email": email, "name": name, "role": role, "password": password}
    )
    show_record(state, state.core().auth.create_user(data, actor=state.actor))


@app.command("list")
def list_users(
    ctx: typer.Context,
    q: Annotated[str | None, typer.Option("--q", help="Text in the email or name.")] = None,
    role: Annotated[str | None, typer.Option("--role", help=f"Only this role: {ROLES}.")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Only active / inactive users.")
    ] = None,
    trashed: Annotated[
        str,
        typer.Option(
            "--trashed",
            metavar="without|with|only",
            help="Leave out deleted users, include them, or only them.",
        ),
    ] = "without",
    limit: Limit = 20,
    offset: Offset = 0,
) -> None:
    """List users, filtered and paged (by id)."""
    from streamcore.auth.models import UserQuery

    state = state_of(ctx)
    query = UserQuery.model_validate(
        given(q=q, role=role, is_active=active, trashed=trashed, limit=limit, offset=offset)
    )
    columns = LIST_COLUMNS if query.trashed == "without" else {**LIST_COLUMNS, **DELETED_COLUMN}
    show_page(state, state.core().auth.list_users(query, actor=state.actor), columns)


@app.command()
def show(
    ctx: typer.Context,
    user: UserRef,
    include_deleted: Annotated[
        bool, typer.Option("--include-deleted", help="Show the user even if it is deleted.")
    ] = False,
) -> None:
    """Show one user."""
    state = state_of(ctx)
    show_record(
        state, state.core().auth.find_user(user, include_deleted=include_deleted, actor=state.actor)
    )


@app.command()
def update(
    ctx: typer.Context,
    user: UserRef,
    name: Annotated[str | None, typer.Option("--name", help="1..100 characters.")] = None,
    role: Annotated[str | None, typer.Option("--role", help=f"{ROLES}.")] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Allow or stop logins (stopping revokes tokens)."),
    ] = None,
    notify: Annotated[
        bool | None,
        typer.Option("--notify/--no-notify", help="E-mail the user about new movies, or not."),
    ] = None,
) -> None:
    """Change the given fields of a user; the others stay as they are."""
    from streamcore.auth.models import UserPatch

    state = state_of(ctx)
    core = state.core()
    target = core.auth.find_user(user, actor=state.actor)
    patch = UserPatch.model_validate(
        given(name=name, role=role, is_active=active, notify_new_movies=notify)
    )
    show_record(state, core.auth.update_user(target.id, patch, actor=state.actor))


@app.command()
def delete(ctx: typer.Context, user: UserRef) -> None:
    """Soft-delete a user: no more logins, tokens revoked (it can be restored)."""
    state = state_of(ctx)
    core = state.core()
    target = core.auth.find_user(user, actor=state.actor)
    core.auth.delete_user(target.id, actor=state.actor)
    show_message(state, f"Deleted user {target.id} ({target.email}).")


@app.command()
def restore(ctx: typer.Context, user: UserRef) -> None:
    """Restore a soft-deleted user."""
    state = state_of(ctx)
    core = state.core()
    target = core.auth.find_user(user, include_deleted=True, actor=state.actor)
    show_record(state, core.auth.restore_user(target.id, actor=state.actor))


@app.command("set-password")
def set_password(ctx: typer.Context, user: UserRef, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (prompted, hidden, twice); revokes the user's tokens."""
    from streamcore.auth.models import PasswordChange

    state = state_of(ctx)
    core = state.core()
    target = core.auth.find_user(user, actor=state.actor)
    change = PasswordChange.model_validate({"password": _read_password(password_stdin)})
    core.auth.set_password(target.id, change, actor=state.actor)
    show_message(state, f"Password of user {target.id} ({target.email}) changed.")


@app.command()
def movies(
    ctx: typer.Context,
    user: UserRef,
    q: TitleText = None,
    genre: GenreFilter = None,
    year: YearFilter = None,
    country: CountryFilter = None,
    sort: Sort = "id",
    limit: Limit = 20,
    offset: Offset = 0,
) -> None:
    """List the movies a user may watch now, with the catalogue's filters."""
    from streamcore.movies.models import MovieQuery

    state = state_of(ctx)
    core = state.core()
    target = core.auth.find_user(user, actor=state.actor)
    query = MovieQuery.model_validate(
        given(q=q, genre=genre, year=year, country=country, sort=sort, limit=limit, offset=offset)
    )
    show_page(
        state, core.entitlements.watchable(target.id, query, actor=state.actor), MOVIE_COLUMNS
    )
