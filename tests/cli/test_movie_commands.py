"""``streamcore movie ...`` in human and ``--json`` mode, checked through the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streamcore.auth.permissions import SYSTEM
from streamcore.errors import NotFoundError
from streamcore.movies.models import MovieQuery
from tests.cli.conftest import SAMPLE_MOVIES, Cli, table_headers

MOVIE_KEYS = {
    "id",
    "title",
    "description",
    "year",
    "duration_minutes",
    "genres",
    "countries",
    "media_path",
    "created_at",
    "updated_at",
    "deleted_at",
}


def listing(cli: Cli, **query: Any) -> dict[str, Any]:
    """The library's page for ``query``, as JSON."""
    with cli.core() as core:
        return core.movies.list(MovieQuery(**query), actor=SYSTEM).model_dump(mode="json")


# --- add -------------------------------------------------------------------------------------


def test_add_json_is_the_library_model(cli: Cli) -> None:
    shown = cli.json(
        "movie",
        "add",
        "--title",
        "  Metropolis ",
        "--year",
        "1927",
        "--description",
        "A city of the future.",
        "--duration",
        "153",
        "--genre",
        "Drama",
        "--genre",
        "sci-fi",
        "--genre",
        "drama",
        "--country",
        "de",
        "--media",
        "films/metropolis.mp4",
    )
    assert set(shown) == MOVIE_KEYS
    assert shown == cli.movie(shown["id"])
    assert shown["title"] == "Metropolis"
    assert shown["genres"] == ["drama", "sci-fi"]
    assert shown["countries"] == ["DE"]
    assert shown["duration_minutes"] == 153
    assert shown["media_path"] == "films/metropolis.mp4"
    assert shown["deleted_at"] is None


def test_add_minimal_uses_the_defaults(cli: Cli) -> None:
    shown = cli.json("movie", "add", "--title", "Nosferatu", "--year", "1922")
    assert shown == cli.movie(shown["id"])
    assert shown["description"] == ""
    assert shown["duration_minutes"] is None
    assert shown["genres"] == []
    assert shown["countries"] == []
    assert shown["media_path"] is None


def test_add_human_prints_a_field_table(cli: Cli) -> None:
    result = cli.ok(
        "movie",
        "add",
        "--title",
        "Metropolis",
        "--year",
        "1927",
        "--genre",
        "drama",
        "--genre",
        "sci-fi",
        "--country",
        "DE",
    )
    stored = cli.movie(1)
    rows = dict([*line.strip().split(maxsplit=1), ""][:2] for line in result.stdout.splitlines())
    assert set(rows) == MOVIE_KEYS
    assert rows["description"] == ""
    assert rows["title"] == "Metropolis"
    assert rows["year"] == "1927"
    assert rows["genres"] == "drama, sci-fi"
    assert rows["countries"] == "DE"
    assert rows["duration_minutes"] == "-"
    assert rows["media_path"] == "-"
    assert rows["created_at"] == stored["created_at"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_add_then_add_a_second_gives_a_new_id(cli: Cli) -> None:
    first = cli.json("movie", "add", "--title", "Alien", "--year", "1979")
    second = cli.json("movie", "add", "--title", "Aliens", "--year", "1986")
    assert second["id"] != first["id"]
    assert cli.total() == 2


# --- list ------------------------------------------------------------------------------------


def test_list_json_is_the_library_page(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES)
    shown = cli.json("movie", "list")
    assert set(shown) == {"items", "total", "limit", "offset"}
    assert shown == listing(cli)
    assert [m["id"] for m in shown["items"]] == [1, 2, 3, 4]
    assert (shown["total"], shown["limit"], shown["offset"]) == (4, 20, 0)


@pytest.mark.parametrize(
    ("options", "query", "expected_ids"),
    [
        (["--q", "ALIE"], {"q": "ALIE"}, [3]),
        (["--genre", "horror"], {"genre": "horror"}, [3]),
        (["--year", "2001"], {"year": 2001}, [4]),
        (["--country", "de"], {"country": "de"}, [1]),
        (["--sort", "-year"], {"sort": "-year"}, [4, 3, 1]),
        (["--sort", "title"], {"sort": "title"}, [3, 4, 1]),
        (["--limit", "2", "--offset", "1"], {"limit": 2, "offset": 1}, [3, 4]),
        (["--offset", "10"], {"offset": 10}, []),
        (["--trashed", "only"], {"trashed": "only"}, [2]),
        (["--trashed", "with"], {"trashed": "with"}, [1, 2, 3, 4]),
        (["--trashed", "without"], {"trashed": "without"}, [1, 3, 4]),
        (
            ["--genre", "sci-fi", "--sort", "-id", "--limit", "1"],
            {"genre": "sci-fi", "sort": "-id", "limit": 1},
            [3],
        ),
    ],
)
def test_list_options_pass_through(
    cli: Cli, options: list[str], query: dict[str, Any], expected_ids: list[int]
) -> None:
    cli.seed(SAMPLE_MOVIES)
    with cli.core() as core:
        core.movies.delete(2, actor=SYSTEM)
    shown = cli.json("movie", "list", *options)
    assert shown == listing(cli, **query)
    assert [m["id"] for m in shown["items"]] == expected_ids
    assert shown["limit"] == query.get("limit", 20)
    assert shown["offset"] == query.get("offset", 0)


def test_list_human_prints_a_table_and_a_footer(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES)
    out = cli.ok("movie", "list", "--limit", "2", "--offset", "1").stdout
    assert table_headers(out) == ["id", "title", "year", "genres", "countries", "minutes"]
    assert "Nosferatu" in out
    assert "Alien" in out
    assert "Metropolis" not in out
    assert "GB, US" in out
    assert out.rstrip().splitlines()[-1] == "2-3 of 4"


def test_list_human_empty(cli: Cli) -> None:
    out = cli.ok("movie", "list").stdout
    assert "title" in out
    assert out.rstrip().splitlines()[-1] == "none shown of 0"


def test_list_human_past_the_last_page(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES)
    out = cli.ok("movie", "list", "--offset", "10").stdout
    assert "Metropolis" not in out
    assert out.rstrip().splitlines()[-1] == "none shown of 4"


# --- show ------------------------------------------------------------------------------------


def test_show_json_and_human(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES)
    shown = cli.json("movie", "show", "3")
    assert shown == cli.movie(3)
    assert shown["title"] == "Alien"
    out = cli.ok("movie", "show", "3").stdout
    assert "Alien" in out
    assert "GB, US" in out


def test_show_a_deleted_movie_needs_include_deleted(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    cli.ok("movie", "delete", "1")
    assert cli.refused("movie", "show", "1") == "error: movie 1 not found"
    shown = cli.json("movie", "show", "1", "--include-deleted")
    assert shown == cli.movie(1)
    assert shown["deleted_at"] is not None


# --- update ----------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    before = cli.movie(1)
    shown = cli.json(
        "movie",
        "update",
        "1",
        "--title",
        "Metropolis (restored)",
        "--genre",
        "Classic",
        "--country",
        "de",
        "--country",
        "at",
    )
    after = cli.movie(1)
    assert shown == after
    assert after["title"] == "Metropolis (restored)"
    assert after["genres"] == ["classic"]
    assert after["countries"] == ["DE", "AT"]
    for unchanged in ("year", "description", "duration_minutes", "media_path", "created_at"):
        assert after[unchanged] == before[unchanged]
    assert after["updated_at"] >= before["updated_at"]


def test_update_human(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    out = cli.ok("movie", "update", "1", "--year", "1926", "--duration", "148").stdout
    assert "1926" in out
    assert "148" in out
    stored = cli.movie(1)
    assert (stored["year"], stored["duration_minutes"]) == (1926, 148)


def test_update_clear_empties_fields(cli: Cli) -> None:
    cli.seed(
        [
            {
                "title": "Metropolis",
                "year": 1927,
                "description": "A city.",
                "duration_minutes": 153,
                "genres": ["drama"],
                "countries": ["DE"],
                "media_path": "m.mp4",
            }
        ]
    )
    shown = cli.json(
        "movie",
        "update",
        "1",
        "--clear",
        "description",
        "--clear",
        "duration_minutes",
        "--clear",
        "genres",
        "--clear",
        "countries",
        "--clear",
        "media_path",
    )
    stored = cli.movie(1)
    assert shown == stored
    assert stored["description"] == ""
    assert stored["duration_minutes"] is None
    assert stored["genres"] == []
    assert stored["countries"] == []
    assert stored["media_path"] is None
    assert stored["title"] == "Metropolis"


def test_update_clear_one_field_and_set_another(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    shown = cli.json("movie", "update", "1", "--clear", "genres", "--year", "1926")
    assert shown == cli.movie(1)
    assert shown["genres"] == []
    assert shown["year"] == 1926
    assert shown["countries"] == ["DE"]


@pytest.mark.parametrize("field", ["title", "year", "id", "nonsense"])
def test_update_clear_refuses_other_fields(cli: Cli, field: str) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    before = cli.movie(1)
    line = cli.refused("movie", "update", "1", "--clear", field)
    assert "--clear" in line
    assert cli.movie(1) == before


def test_update_to_an_existing_title_and_year_is_a_conflict(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:2])
    before = cli.movie(2)
    line = cli.refused("movie", "update", "2", "--title", "METROPOLIS", "--year", "1927")
    assert "already exists" in line
    assert cli.movie(2) == before


def test_update_with_no_option_changes_nothing(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    before = cli.movie(1)
    assert cli.json("movie", "update", "1") == before
    assert cli.movie(1) == before


# --- delete and restore ----------------------------------------------------------------------


def test_delete_human_and_library(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:2])
    assert cli.ok("movie", "delete", "1").stdout == "Deleted movie 1.\n"
    with cli.core() as core, pytest.raises(NotFoundError):
        core.movies.get(1, actor=SYSTEM)
    assert cli.movie(1)["deleted_at"] is not None
    assert [m["id"] for m in cli.json("movie", "list")["items"]] == [2]


def test_delete_json_prints_nothing(cli: Cli) -> None:
    """Like the REST ``204 No Content``: no body, exit 0."""
    cli.seed(SAMPLE_MOVIES[:1])
    assert cli.ok("movie", "delete", "1", json_output=True).stdout == ""
    assert cli.movie(1)["deleted_at"] is not None


def test_delete_twice_is_not_found(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    cli.ok("movie", "delete", "1")
    deleted = cli.movie(1)
    assert cli.refused("movie", "delete", "1") == "error: movie 1 not found"
    assert cli.movie(1) == deleted


def test_restore_json_and_library(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    cli.ok("movie", "delete", "1")
    shown = cli.json("movie", "restore", "1")
    assert shown == cli.movie(1)
    assert shown["deleted_at"] is None
    assert [m["id"] for m in cli.json("movie", "list")["items"]] == [1]


def test_restore_human(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    cli.ok("movie", "delete", "1")
    out = cli.ok("movie", "restore", "1").stdout
    assert "Metropolis" in out
    assert cli.movie(1)["deleted_at"] is None


def test_restore_conflicts_with_a_new_movie_of_the_same_title_and_year(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    cli.ok("movie", "delete", "1")
    cli.ok("movie", "add", "--title", "metropolis", "--year", "1927")
    line = cli.refused("movie", "restore", "1")
    assert "already exists" in line
    assert cli.movie(1)["deleted_at"] is not None


# --- import ----------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_csv(cli: Cli, tmp_path: Path) -> None:
    source = write(
        tmp_path / "movies.csv",
        "title,year,description,duration_minutes,genres,countries,media_path\n"
        "Metropolis,1927,A city.,153,Drama;sci-fi,de;at,films/m.mp4\n"
        "Nosferatu,1922,,,,,\n",
    )
    assert cli.json("movie", "import", source) == {"imported": 2}
    page = listing(cli)
    assert page["total"] == 2
    first, second = page["items"]
    assert (first["title"], first["year"], first["duration_minutes"]) == ("Metropolis", 1927, 153)
    assert first["genres"] == ["drama", "sci-fi"]
    assert first["countries"] == ["DE", "AT"]
    assert first["media_path"] == "films/m.mp4"
    assert (second["title"], second["description"], second["duration_minutes"]) == (
        "Nosferatu",
        "",
        None,
    )
    assert (second["genres"], second["countries"], second["media_path"]) == ([], [], None)


def test_import_csv_human(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "m.csv", "title,year\nAlien,1979\nAliens,1986\nAmelie,2001\n")
    assert cli.ok("movie", "import", source).stdout == "Imported 3 movies.\n"
    assert cli.total() == 3
    one = write(tmp_path / "one.jsonl", '{"title": "Brazil", "year": 1985}\n')
    assert cli.ok("movie", "import", one).stdout == "Imported 1 movie.\n"
    assert cli.total() == 4


def test_import_jsonl(cli: Cli, tmp_path: Path) -> None:
    rows = [
        {"title": "Alien", "year": 1979, "genres": ["horror", "sci-fi"], "countries": ["gb"]},
        {"title": "Amelie", "year": 2001, "duration_minutes": 122},
    ]
    text = json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n"
    source = write(tmp_path / "movies.jsonl", text)
    assert cli.json("movie", "import", source) == {"imported": 2}
    page = listing(cli)
    assert [(m["title"], m["year"]) for m in page["items"]] == [("Alien", 1979), ("Amelie", 2001)]
    assert page["items"][0]["countries"] == ["GB"]
    assert page["items"][1]["duration_minutes"] == 122


def test_import_then_list_json_matches_library(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "m.csv", "title,year,genres\nA,2000,x;y\nB,2001,y\n")
    cli.ok("movie", "import", source)
    assert cli.json("movie", "list", "--genre", "y", "--sort", "-title") == listing(
        cli, genre="y", sort="-title"
    )


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("bad-year.csv", "title,year\nAlien,1979\nOld,1800\nAmelie,2001\n", 3),
        ("bad-cells.csv", "title,year\nAlien,1979\nAmelie,2001,extra\n", 3),
        ("empty-title.csv", "title,year\nAlien,1979\n,2001\n", 3),
        ("unknown-column.csv", "title,year,rating\nAlien,1979,5\n", 1),
        (
            "multiline-cell.csv",
            'title,year,description\nAlien,1979,"two\nlines"\nOld,1800,\n',
            4,
        ),
        ("dup-in-file.csv", "title,year\nAlien,1979\nALIEN,1979\n", 3),
        ("bad-year.jsonl", '{"title": "Alien", "year": 1979}\n{"title": "X", "year": "x"}\n', 2),
        ("not-json.jsonl", '{"title": "Alien", "year": 1979}\n\n{oops\n', 3),
        ("not-object.jsonl", '{"title": "Alien", "year": 1979}\n[1, 2]\n', 2),
        ("list-field.jsonl", '{"title": "Alien", "year": 1979, "genres": "horror"}\n', 1),
    ],
)
def test_import_is_all_or_nothing_and_names_the_line(
    cli: Cli, tmp_path: Path, name: str, text: str, line: int
) -> None:
    source = write(tmp_path / name, text)
    message = cli.refused("movie", "import", source)
    assert f"line {line}" in message
    assert cli.total() == 0


def test_import_conflict_with_a_stored_movie_names_the_line(cli: Cli, tmp_path: Path) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    source = write(tmp_path / "m.csv", "title,year\nAlien,1979\nmetropolis,1927\n")
    message = cli.refused("movie", "import", source)
    assert "line 3" in message
    assert "already exists" in message
    assert cli.total() == 1


def test_import_header_only_imports_nothing(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "m.csv", "title,year\n")
    assert cli.json("movie", "import", source) == {"imported": 0}
    assert cli.total() == 0


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("movies.txt", "title,year\nA,2000\n", ".csv or .jsonl"),
        ("empty.csv", "", "header"),
        ("latin1.csv", "title,year\nAm\xe9lie,2001\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_import_refuses_unusable_files(
    cli: Cli, tmp_path: Path, name: str, content: str | bytes, fragment: str
) -> None:
    source = tmp_path / name
    if isinstance(content, bytes):
        source.write_bytes(content)
    else:
        source.write_text(content, encoding="utf-8")
    assert fragment in cli.refused("movie", "import", source)
    assert cli.total() == 0


def test_import_missing_file_is_refused(cli: Cli, tmp_path: Path) -> None:
    line = cli.refused("movie", "import", tmp_path / "nowhere.csv")
    assert "does not exist" in line


# --- human output of text that looks like rich markup ----------------------------------------


@pytest.mark.parametrize("command", ["show", "list"])
def test_square_brackets_in_text_are_shown_verbatim(cli: Cli, command: str) -> None:
    cli.seed([{"title": "[rec] 2", "year": 2009, "description": "[bold]loud[/bold]"}])
    out = cli.ok("movie", command, *(["1"] if command == "show" else [])).stdout
    assert "[rec] 2" in out
    if command == "show":
        assert "[bold]loud[/bold]" in out


@pytest.mark.parametrize("command", ["add", "show", "list"])
def test_markup_like_title_does_not_crash_human_output(cli: Cli, command: str) -> None:
    if command == "add":
        result = cli.run("movie", "add", "--title", "[/i]", "--year", "2010")
    else:
        cli.seed([{"title": "[/i]", "year": 2010}])
        result = cli.run("movie", command, *(["1"] if command == "show" else []))
    assert result.exit_code == 0, result.stderr
    assert "[/i]" in result.stdout


# --- attach ----------------------------------------------------------------------------------


def test_attach_copies_the_file_and_prints_size_and_hash(cli: Cli, tmp_path: Path) -> None:
    import hashlib

    (movie_id,) = cli.seed([{"title": "Attach", "year": 2001}])
    body = b"\x00\x01" * 700_000  # over one read of the command
    source = tmp_path / "clip.MP4"
    source.write_bytes(body)
    out = cli.json("movie", "attach", movie_id, source)
    digest = hashlib.sha256(body).hexdigest()
    assert (out["size"], out["sha256"]) == (len(body), digest)
    assert out["movie"]["media_path"] == f"movies/{movie_id}/{digest[:16]}.mp4"
    assert cli.movie(movie_id)["media_path"] == out["movie"]["media_path"]
    assert (tmp_path / "media" / out["movie"]["media_path"]).read_bytes() == body
    assert list((tmp_path / "media" / ".upload").iterdir()) == []


def test_attach_refuses_a_missing_or_unplayable_file(cli: Cli, tmp_path: Path) -> None:
    (movie_id,) = cli.seed([{"title": "Attach", "year": 2001}])
    page = tmp_path / "page.html"
    page.write_text("<script>")
    assert cli.refused("movie", "attach", movie_id, page) == (
        "error: file: must have a video or audio extension"
    )
    assert cli.refused("movie", "attach", movie_id, tmp_path / "gone.mp4") == (
        "error: file: gone.mp4 does not exist"
    )
    clip = tmp_path / "clip.webm"
    clip.write_bytes(b"webm")
    assert cli.refused("movie", "attach", 999_999, clip) == "error: movie 999999 not found"
    assert cli.movie(movie_id)["media_path"] is None
    assert not (tmp_path / "media" / "movies").exists()


def test_attach_refuses_a_file_over_the_largest_upload(cli: Cli, tmp_path: Path) -> None:
    (movie_id,) = cli.seed([{"title": "Attach", "year": 2001}])
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x" * 11)
    result = cli.run("movie", "attach", movie_id, clip, env={"STREAMCORE_MAX_UPLOAD": "10"})
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: file: must be at most 10 bytes"
    assert cli.movie(movie_id)["media_path"] is None
    assert list((tmp_path / "media" / ".upload").iterdir()) == []
