"""Reading bulk-import files: ``read_rows`` on CSV and JSON Lines (SPEC §3.2).

Every row comes with the line of the file it starts on (the CSV header is line 1), so that an
import can name the line of its first bad row. The last part runs the same files through
``core.movies.import_movies`` on every backend.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from streamcore import ConflictError, InvalidInputError, MovieCreate, MovieQuery, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.movies.importer import read_rows

HEADER = "title,year,genres,countries,duration_minutes,description,media_path\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path) -> list[tuple[int, dict[str, object]]]:
    return list(read_rows(path))


def refusal(path: Path) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        read(path)
    return caught.value


# --- CSV --------------------------------------------------------------------------------------


def test_csv_rows_start_on_line_2_and_map_the_header_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "movies.csv",
        HEADER
        + "Alien,1979,sci-fi;horror,GB;US,117,Space horror.,films/alien.mp4\n"
        + "Heat,1995,crime,US,170,Cops and robbers.,films/heat.mkv\n",
    )

    assert read(path) == [
        (
            2,
            {
                "title": "Alien",
                "year": "1979",
                "genres": ["sci-fi", "horror"],
                "countries": ["GB", "US"],
                "duration_minutes": "117",
                "description": "Space horror.",
                "media_path": "films/alien.mp4",
            },
        ),
        (
            3,
            {
                "title": "Heat",
                "year": "1995",
                "genres": ["crime"],
                "countries": ["US"],
                "duration_minutes": "170",
                "description": "Cops and robbers.",
                "media_path": "films/heat.mkv",
            },
        ),
    ]


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("drama", ["drama"]),
        ("drama;comedy", ["drama", "comedy"]),
        ("drama; comedy ;", ["drama", " comedy "]),
        (";;drama;;", ["drama"]),
        ("", []),
        ("  ", []),
    ],
)
def test_csv_list_cells_are_split_on_semicolons_dropping_empty_parts(
    tmp_path: Path, cell: str, items: list[str]
) -> None:
    path = write(tmp_path, "movies.csv", f'title,year,genres\nAlien,1979,"{cell}"\n')

    ((_, row),) = read(path)

    assert row["genres"] == items


def test_csv_empty_optional_cells_are_not_given_but_title_and_year_always_are(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "movies.csv", HEADER + ",,,,, ,\n" + "Alien,1979,,,,,\n")

    rows = read(path)

    # A row of only empty cells is blank and skipped; empty optional cells are left out.
    assert rows == [(3, {"title": "Alien", "year": "1979", "genres": [], "countries": []})]
    path = write(tmp_path, "movies.csv", "title,year,description\n,,Only a description\n")
    assert read(path) == [(2, {"title": "", "year": "", "description": "Only a description"})]


def test_csv_quoted_cells_keep_commas_quotes_and_line_breaks_and_the_line_numbers_stay_right(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "movies.csv",
        "title,year,description\n"
        'Alien,1979,"Line one\nline two\nline three"\n'  # lines 2-4
        '"Heat, the ""director\'s cut""",1995,x\n'  # line 5
        'Ran,1985,"one\n\nblank line inside"\n'  # lines 6-8
        "Zelig,1983,y\n",  # line 9
    )

    rows = read(path)

    assert [line for line, _ in rows] == [2, 5, 6, 9]
    assert rows[0][1]["description"] == "Line one\nline two\nline three"
    assert rows[1][1]["title"] == 'Heat, the "director\'s cut"'
    assert rows[2][1]["description"] == "one\n\nblank line inside"


def test_csv_blank_lines_are_skipped_and_still_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "movies.csv", "title,year\n\nAlien,1979\n\n\nHeat,1995\n \n")

    assert [line for line, _ in read(path)] == [3, 6]


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_csv_line_numbers_do_not_depend_on_the_line_ending(tmp_path: Path, newline: str) -> None:
    text = newline.join(["title,year", "Alien,1979", "", 'Heat,"1995"', "Ran,1985", ""])
    path = write(tmp_path, "movies.csv", text)

    assert [(line, row["title"]) for line, row in read(path)] == [
        (2, "Alien"),
        (4, "Heat"),
        (5, "Ran"),
    ]


@pytest.mark.parametrize("row", ["Alien,1979,extra", "Alien"])
def test_csv_a_row_with_the_wrong_number_of_cells_names_its_line(tmp_path: Path, row: str) -> None:
    path = write(tmp_path, "movies.csv", f"title,year\nHeat,1995\n\n{row}\nRan,1985\n")

    error = refusal(path)

    assert str(error).startswith("line 4: ")
    assert "cells" in str(error)


@pytest.mark.parametrize("text", ["\n", "\n\ntitle,year\nAlien,1979\n", "\r\ntitle,year\n"])
def test_csv_without_a_header_on_line_1_is_refused(tmp_path: Path, text: str) -> None:
    assert str(refusal(write(tmp_path, "movies.csv", text))) == (
        "line 1: must be the header row (field names), not a blank line"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])  # a BOM alone is empty too
def test_an_empty_csv_file_is_one_clean_message_naming_the_file(
    tmp_path: Path, encoding: str
) -> None:
    error = refusal(write(tmp_path, "movies.csv", "", encoding=encoding))

    assert error.fields == ("file",)
    assert (
        str(error)
        == f"file: {str(tmp_path / 'movies.csv')!r} is empty (a CSV file starts with a header)"
    )


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("title,title,year", "title"),
        ("title,year,genres, genres ", "genres"),
        ("year,title,year", "year"),
    ],
)
def test_a_header_naming_a_column_twice_is_refused_naming_it(
    tmp_path: Path, header: str, column: str
) -> None:
    error = refusal(write(tmp_path, "movies.csv", f"{header}\nAlien,1979,x,y\n"))

    assert str(error) == f"line 1: column {column!r} appears more than once"


def test_csv_an_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    path = write(tmp_path, "movies.csv", 'title,year\nAlien,1979\n"Heat,1995\nRan,1985\n')

    assert str(refusal(path)).startswith("line 3: ")


def test_csv_a_cell_too_large_to_read_is_invalid_input_naming_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "movies.csv", 'title,year,description\nA,2000,x\nB,2000,"' + "x" * 200_000 + '"\n'
    )

    assert str(refusal(path)).startswith("line 3: ")


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ('A,2000,"{big}"', "description"),  # quoted
        ("A,2000,{big}", "description"),  # unquoted
        ('"{big}",2000,x', "title"),
        ('"A, ""the"" cut\nin two lines",2000,"{big}"', "description"),  # quotes, a line break
    ],
)
def test_a_5_mb_cell_reports_its_fields_rule_not_the_csv_size_limit(
    tmp_path: Path, cells: str, field: str
) -> None:
    big = "x" * 5_000_000
    path = write(
        tmp_path, "movies.csv", "title,year,description\nOk,1999,x\n" + cells.format(big=big) + "\n"
    )

    error = refusal(path)

    assert error.fields == (field,)
    assert str(error).startswith(f"line 3: {field}: ")
    assert "field limit" not in str(error)
    assert len(str(error)) < 200  # the rule, not the value


def test_a_5_mb_cell_after_a_byte_order_mark_and_crlf_lines_names_the_right_line(
    tmp_path: Path,
) -> None:
    text = 'title,year,description\r\nA,2000,x\r\n\r\nB,2001,"' + "y" * 5_000_000 + '"\r\n'
    error = refusal(write(tmp_path, "movies.csv", text, encoding="utf-8-sig"))

    assert (error.fields, str(error)[:21]) == (("description",), "line 4: description: ")


def test_a_5_mb_cell_beyond_the_header_is_a_cell_count_error(tmp_path: Path) -> None:
    path = write(tmp_path, "movies.csv", 'title,year\nA,2000,"' + "z" * 5_000_000 + '"\n')

    assert str(refusal(path)) == "line 2: has more cells than the header's 2"


def test_csv_header_names_are_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "movies.csv", " title , year \nAlien,1979\n")

    assert read(path) == [(2, {"title": "Alien", "year": "1979"})]


def test_csv_only_a_header_has_no_rows(tmp_path: Path) -> None:
    assert read(write(tmp_path, "movies.csv", "title,year\n")) == []


# --- JSON Lines ------------------------------------------------------------------------------


def test_jsonl_rows_are_the_objects_of_their_lines(tmp_path: Path) -> None:
    alien = {"title": "Alien", "year": 1979, "genres": ["sci-fi"], "duration_minutes": None}
    heat = {"title": "Heat", "year": 1995}
    path = write(tmp_path, "movies.jsonl", f"{json.dumps(alien)}\n{json.dumps(heat)}")

    assert read(path) == [(1, alien), (2, heat)]


def test_jsonl_blank_lines_are_skipped_and_still_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path, "movies.jsonl", '\n{"title": "A", "year": 2000}\n  \n\n{"title": "B"}\n\n'
    )

    assert [line for line, _ in read(path)] == [2, 5]


@pytest.mark.parametrize("bad", ['{"title": "Alien",', "not json", "{'title': 'Alien'}", "{}}"])
def test_jsonl_invalid_json_names_its_line(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, "movies.jsonl", '{"title": "A", "year": 2000}\n\n' + bad + "\n{}\n")

    error = refusal(path)

    assert str(error).startswith("line 3: ")
    assert "JSON" in str(error)


@pytest.mark.parametrize("bad", ["[1, 2]", '"Alien"', "1979", "null", "true"])
def test_jsonl_a_line_that_is_not_an_object_names_its_line(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, "movies.jsonl", '{"title": "A", "year": 2000}\n' + bad + "\n")

    error = refusal(path)

    assert str(error).startswith("line 2: ")
    assert "object" in str(error)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"title": "A", "year": ' + "9" * 5000 + "}", "holds a number of more than 4300 digits"),
        ('{"title": "A", "year": -' + "1" * 4301 + "}", "holds a number of more than 4300 digits"),
        ("[" * 100_000, "nests arrays or objects too deeply"),
        ('{"title": ' + "[" * 100_000, "nests arrays or objects too deeply"),
        (
            '{"genres": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001,
            "nests arrays or objects too deeply",
        ),
    ],
    ids=["5000 digits", "4301 negative digits", "100000 [", "deep inside", "deep objects"],
)
def test_jsonl_a_line_too_big_or_deep_to_decode_is_invalid_input_naming_its_line(
    tmp_path: Path, bad: str, message: str
) -> None:
    path = write(tmp_path, "movies.jsonl", '{"title": "A", "year": 2000}\n\n' + bad + "\n")

    assert str(refusal(path)) == f"line 3: {message}"


@pytest.mark.parametrize(
    "text",
    [
        '[{"title": "Alien", "year": 1979}, {"title": "Heat", "year": 1995}]\n',
        '[\n  {"title": "Alien", "year": 1979},\n  {"title": "Heat", "year": 1995}\n]\n',
    ],
    ids=["one line", "pretty-printed"],
)
def test_jsonl_that_is_a_json_array_is_refused_saying_so(tmp_path: Path, text: str) -> None:
    assert str(refusal(write(tmp_path, "movies.jsonl", text))) == (
        "line 1: must be a JSON object (a .jsonl file holds one object per line, not an array)"
    )


def test_jsonl_a_line_that_is_a_json_string_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "movies.jsonl", '{"title": "A", "year": 2000}\n"Alien, 1979"\n')

    assert str(refusal(path)) == "line 2: must be a JSON object"


def test_jsonl_crlf_line_endings_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    text = '{"title": "Alien", "year": 1979}\r\n\r\n{"title": "Heat", "year": 1995}\r\n'
    path = write(tmp_path, "movies.jsonl", text, encoding="utf-8-sig")

    assert read(path) == [
        (1, {"title": "Alien", "year": 1979}),
        (3, {"title": "Heat", "year": 1995}),
    ]


# --- both formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "first"),
    [
        ("movies.csv", "title,year\nAlien,1979\n", (2, {"title": "Alien", "year": "1979"})),
        (
            "movies.jsonl",
            '{"title": "Alien", "year": 1979}\n',
            (1, {"title": "Alien", "year": 1979}),
        ),
    ],
)
def test_a_utf8_byte_order_mark_is_ignored(
    tmp_path: Path, name: str, text: str, first: tuple[int, dict[str, Any]]
) -> None:
    path = write(tmp_path, name, text, encoding="utf-8-sig")

    assert read(path) == [first]


@pytest.mark.parametrize("name", ["MOVIES.CSV", "Movies.JsonL"])
def test_the_extension_is_matched_case_insensitively(tmp_path: Path, name: str) -> None:
    text = "title,year\nA,2000\n" if name.lower().endswith(".csv") else '{"title": "A"}\n'

    assert len(read(write(tmp_path, name, text))) == 1


@pytest.mark.parametrize("name", ["movies.txt", "movies.json", "movies", "movies.csv.gz"])
def test_an_unknown_extension_is_refused(tmp_path: Path, name: str) -> None:
    error = refusal(write(tmp_path, name, "title,year\nAlien,1979\n"))

    assert error.fields == ("file",)
    assert ".csv" in str(error)


@pytest.mark.parametrize("name", ["missing.csv", "missing.jsonl"])
def test_a_missing_file_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    error = refusal(tmp_path / name)

    assert error.fields == ("file",)
    assert name in str(error)


@pytest.mark.parametrize("name", ["folder.csv", "folder.jsonl"])
def test_a_directory_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).mkdir()

    assert refusal(tmp_path / name).fields == ("file",)


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("movies.csv", b"title,year\nAlien,1979\n\nAm\xe9lie,2001\nHeat,1995\n", 4),
        ("movies.csv", b"title,ye\xffar\nAlien,1979\n", 1),
        ("movies.csv", b'title,year,description\nAlien,1979,"two\nlines \xc3"\n', 2),
        ("movies.jsonl", b'{"title": "Alien", "year": 1979}\n{"title": "Am\xe9lie"}\n', 2),
    ],
)
def test_a_byte_that_is_not_utf8_names_its_line(
    tmp_path: Path, name: str, content: bytes, line: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    assert str(refusal(path)) == f"line {line}: is not UTF-8 text"


def test_rows_before_a_bad_byte_are_read_first(tmp_path: Path) -> None:
    # The bad byte is far into the file: every row before it comes out, then the error.
    good = "".join(f"Movie {n},2000\n" for n in range(3000))
    path = tmp_path / "movies.csv"
    path.write_bytes(b"title,year\n" + good.encode() + b"Bad \x80,2000\n")
    rows = read_rows(path)

    lines = [line for line, _ in itertools.islice(rows, 3000)]
    with pytest.raises(InvalidInputError) as caught:
        next(rows)

    assert lines == list(range(2, 3002))
    assert str(caught.value) == "line 3002: is not UTF-8 text"


# --- through import_movies, on every backend -----------------------------------------------

# Each file has a multi-line cell or blank lines before its bad row (line 7).
BAD_FILES = {
    "csv": (
        "movies.csv",
        "title,year,description\n"
        'Alien,1979,"two\nlines"\n'  # 2-3
        "\n"  # 4
        "Heat,1995,x\n"  # 5
        'Ran,1985,""\n'  # 6
        "Bad,1700,x\n"  # 7
        "Zelig,1983,y\n",
    ),
    "jsonl": (
        "movies.jsonl",
        '{"title": "Alien", "year": 1979}\n'  # 1
        "\n"  # 2
        '{"title": "Heat", "year": 1995}\n'  # 3
        "   \n"  # 4
        '{"title": "Ran", "year": 1985}\n'  # 5
        "\n"  # 6
        '{"title": "Bad", "year": 1700}\n'  # 7
        '{"title": "Zelig", "year": 1983}\n',
    ),
}


@pytest.mark.parametrize(("name", "text"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_import_names_the_file_line_of_the_bad_row_and_adds_nothing(
    core: StreamCore, tmp_path: Path, name: str, text: str
) -> None:
    path = write(tmp_path, name, text)
    assert [line for line, row in read(path) if row["title"] == "Bad"] == [7]

    with pytest.raises(InvalidInputError) as caught:
        core.movies.import_movies(read_rows(path), actor=SYSTEM)

    assert str(caught.value).startswith("line 7: ")
    assert caught.value.fields == ("year",)
    assert core.movies.list(MovieQuery(trashed="with"), actor=SYSTEM).total == 0


@pytest.mark.parametrize(("name", "text"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_good_file_imports_every_row(
    core: StreamCore, tmp_path: Path, name: str, text: str
) -> None:
    path = write(tmp_path, name, text.replace("1700", "2000"))

    ids = core.movies.import_movies(read_rows(path), actor=SYSTEM)

    page = core.movies.list(actor=SYSTEM)
    assert [m.id for m in page.items] == list(ids)
    assert [m.title for m in page.items] == ["Alien", "Heat", "Ran", "Bad", "Zelig"]
    assert page.items[0].year == 1979


def test_an_imported_csv_row_is_normalised(core: StreamCore, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "movies.csv",
        HEADER + ' Alien ,1979,Sci-Fi; HORROR,gb;us,117,"  Space. ",films/alien.mp4\n',
    )

    (movie_id,) = core.movies.import_movies(read_rows(path), actor=SYSTEM)

    movie = core.movies.get(movie_id, actor=SYSTEM)
    assert movie.model_dump(exclude={"id", "created_at", "updated_at", "deleted_at"}) == {
        "title": "Alien",
        "description": "Space.",
        "year": 1979,
        "duration_minutes": 117,
        "genres": ("sci-fi", "horror"),
        "countries": ("GB", "US"),
        "media_path": "films/alien.mp4",
    }


def test_a_duplicate_row_in_a_csv_file_names_its_line(core: StreamCore, tmp_path: Path) -> None:
    path = write(tmp_path, "movies.csv", 'title,year\n"Alien",1979\n\nHeat,1995\nALIEN,1979\n')

    with pytest.raises(ConflictError) as caught:
        core.movies.import_movies(read_rows(path), actor=SYSTEM)

    assert "line 5" in str(caught.value)
    assert core.movies.list(actor=SYSTEM).total == 0


def test_a_stored_duplicate_before_an_unreadable_line_is_the_line_named(
    core: StreamCore, tmp_path: Path
) -> None:
    core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
    path = write(tmp_path, "movies.csv", "title,year\nAlien,1979\nHeat,1995\nRan,1985,extra\n")

    with pytest.raises(ConflictError) as caught:
        core.movies.import_movies(read_rows(path), actor=SYSTEM)

    assert str(caught.value).startswith("line 3")
    assert [m.title for m in core.movies.list(actor=SYSTEM).items] == ["Heat"]
