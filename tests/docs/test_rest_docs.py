"""docs/rest.md's curl examples run, in order, against a real ``streamcore serve``.

The convention is tests/docs/console.py's (rest.md says it to its readers too). Ids are compared
as they are: the database is new, so they are the ones a reader gets on a fresh server.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest

from streamcore import StreamCore
from streamcore.api.app import create_app
from tests.docs.console import ANY, Answer, compare, examples, mismatch, parse, run
from tests.e2e.server import LiveServer, start_server
from tests.tools import needs

ROOT = Path(__file__).resolve().parents[2]
REST_DOC = ROOT / "docs" / "rest.md"
CORS_ORIGIN = "https://app.example.com"
"""The server of the examples lists this origin (rest.md starts it so)."""
ROUTE_HEADING = re.compile(r"^#### `([A-Z]+) (/[^`]*)`$", re.M)


def doc_text() -> str:
    return REST_DOC.read_text(encoding="utf-8")


def test_the_parser_finds_the_examples() -> None:
    """Guards the parser: no examples would make the run below pass."""
    found = examples(doc_text())
    assert len(found) >= 20
    assert any("TOKEN" in example.saves for example in found)
    assert all(example.expected.strip() for example in found), "a command with no output shown"
    commands = "\n".join(example.command for example in found)
    for route in ("/api/auth/login", "/api/movie", "/api/plan", "/api/subscription"):
        assert route in commands


def test_the_parser_reads_the_convention() -> None:
    text = (
        "<!-- save: T=access_token -->\n```console\n$ curl -si $BASE/x \\\n  -d '{}'\n"
        'HTTP/1.1 200 OK\nlocation: ...\n\n{"a": 1}\n$ echo hi\nhi\n```\n'
    )
    first, second = examples(text)
    assert first.command == "curl -si $BASE/x \\\n  -d '{}'"
    assert first.saves == {"T": "access_token"}
    assert second.saves == {}
    assert parse(first.expected) == Answer("HTTP/1.1 200 OK", {"location": "..."}, '{"a": 1}')
    real = 'HTTP/1.1 200 OK\r\nLocation: /x/1\r\n\r\n{"a": 1}'
    assert compare(first, real) is None
    assert compare(first, real.replace("200 OK", "201 Created")) is not None
    assert compare(first, real.replace('"a": 1', '"a": 2')) == "body.a: 1 != 2"
    assert mismatch({"at": "2026-01-15T12:00:00Z"}, {"at": "2026-12-01T08:30:01.5+00:00"}) is None
    assert mismatch({"at": "2026-01-15T12:00:00Z"}, {"at": "soon"}) is not None
    assert mismatch({"a": ANY}, {"a": [1]}) is None
    assert mismatch({"a": 1}, {"a": 1, "b": 2}) is not None


@pytest.fixture
def server(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'rest.db'}"
    live = start_server(
        tmp_path, env={"STREAMCORE_DATABASE_URL": url, "STREAMCORE_CORS_ORIGINS": CORS_ORIGIN}
    )
    try:
        yield live, url
    finally:
        live.stop()


def test_the_doc_starts_its_server_as_the_test_does() -> None:
    assert f"export STREAMCORE_CORS_ORIGINS={CORS_ORIGIN}" in doc_text()
    assert "BASE=http://127.0.0.1:8000" in doc_text()


@pytest.mark.slow
@needs("curl")
def test_every_curl_example_answers_what_the_doc_shows(
    server: tuple[LiveServer, str], tmp_path: Path
) -> None:
    live, database_url = server
    variables = {"BASE": live.url, "STREAMCORE_DATABASE_URL": database_url}
    run(examples(doc_text()), "rest.md", variables, tmp_path)


@functools.cache
def openapi() -> dict[str, Any]:
    """The app's OpenAPI document (made once: the sections below are checked against it)."""
    with StreamCore.open("memory://") as core:
        document: dict[str, Any] = create_app(core).openapi()
        return document


def app_operations() -> list[tuple[str, str]]:
    """``(METHOD, path)`` of every documented route of the app."""
    return [(m.upper(), p) for p, item in openapi()["paths"].items() for m in item]


def route_sections() -> dict[tuple[str, str], str]:
    """``(METHOD, path)`` -> the text of its ``#### `METHOD path` `` section."""
    text = doc_text()
    heads = list(ROUTE_HEADING.finditer(text))
    sections = {}
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        body = re.split(r"\n#{1,3} ", text[head.end() : end], maxsplit=1)[0]
        sections[(head[1], head[2])] = body
    return sections


def statuses(section: str, label: str) -> set[int]:
    # The bullet and the lines that carry it on (indented), up to the next bullet.
    item = re.search(rf"^- \*\*{label}\*\*:(.*(?:\n  .*)*)", section, re.M)
    assert item, f"no '- **{label}**:' line"
    return {int(code) for code in re.findall(r"`(\d{3})`", item[1])}


@pytest.mark.parametrize(("method", "path"), app_operations())
def test_every_route_has_a_section_that_matches_its_openapi(method: str, path: str) -> None:
    section = route_sections().get((method, path))
    assert section is not None, f"docs/rest.md has no heading #### `{method} {path}`"
    responses = openapi()["paths"][path][method.lower()]["responses"]
    documented = {int(status) for status in responses}
    assert statuses(section, "Success") == {s for s in documented if s < 400}
    # 500 and 503 may answer any route: the doc says so once, not in every section.
    assert statuses(section, "Errors") == {s for s in documented if s >= 400} - {500, 503}
    assert re.search(r"^- \*\*Who\*\*: \S", section, re.M), "no '- **Who**:' line"


def test_no_section_for_a_route_the_app_does_not_have() -> None:
    stale = set(route_sections()) - set(app_operations())
    assert not stale, f"rest.md documents routes the app does not have: {sorted(stale)}"
