"""docs/rest.md's curl examples run, in order, against a real ``streamcore serve``.

The convention (rest.md says it to its readers too):

- Every ```` ```console ```` block is run. A line starting with ``$ `` is a command (a line
  ending in ``\\`` goes on on the next one); the lines up to the next command are what it prints.
- Commands run in bash with ``BASE`` (the server's base URL) and ``STREAMCORE_DATABASE_URL``
  (the server's database, for the ``streamcore`` CLI) set, and every variable saved before.
- ``<!-- save: NAME=key -->`` just before a block saves the ``key`` of the JSON its first
  command prints as ``$NAME`` for the commands after it (the login example saves ``TOKEN``).
- An output that starts with ``HTTP/`` (``curl -i``) is a status line, some headers and a body:
  the status line must be the same, each header shown must be sent with that value (``...``: any
  value), and the body must be the same. Others are a body alone.
- Bodies are compared as JSON: same keys, same values, except that ``"..."`` matches anything
  and a timestamp matches any timestamp. Ids are compared as they are: the database is new, so
  they are the ones a reader gets on a fresh server.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from streamcore import StreamCore
from streamcore.api.app import create_app
from tests.e2e.server import LiveServer, start_server

ROOT = Path(__file__).resolve().parents[2]
REST_DOC = ROOT / "docs" / "rest.md"
BIN = Path(sys.executable).parent
CORS_ORIGIN = "https://app.example.com"
"""The server of the examples lists this origin (rest.md starts it so)."""
TIMEOUT = 60
BLOCK = re.compile(r"(?:<!-- save: (?P<saves>[^>]*?) -->\n)?```console\n(?P<body>.*?)```", re.S)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
ANY = "..."
ROUTE_HEADING = re.compile(r"^#### `([A-Z]+) (/[^`]*)`$", re.M)


@dataclass
class Example:
    """One command of a console block and what the doc says it prints."""

    line: int
    command: str
    expected: str
    saves: dict[str, str] = field(default_factory=dict)


def examples(text: str) -> list[Example]:
    """Every command of every console block, in order."""
    found: list[Example] = []
    for block in BLOCK.finditer(text):
        saves = dict(
            part.strip().split("=", 1) for part in (block["saves"] or "").split(",") if part
        )
        first_line = text.count("\n", 0, block.start("body")) + 1
        found += _commands(block["body"], first_line, saves)
    return found


def _commands(body: str, first_line: int, saves: dict[str, str]) -> list[Example]:
    found: list[Example] = []
    lines = body.splitlines()
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            raise AssertionError(f"rest.md:{first_line + index}: output before any command")
        start = index
        command = lines[index][2:]
        while command.endswith("\\"):
            index += 1
            command += "\n" + lines[index]  # bash joins the lines itself
        index += 1
        output = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        found.append(Example(first_line + start, command, "\n".join(output), saves))
        saves = {}
    return found


@dataclass
class Answer:
    """What a command printed: a status line and headers if it was ``curl -i``, and a body."""

    status: str | None
    headers: dict[str, str]
    body: str


def parse(output: str) -> Answer:
    """Split ``curl -i`` output (or a body alone) into status, headers and body."""
    text = output.replace("\r\n", "\n")
    while text.startswith("HTTP/1.1 1"):  # a 100 Continue before the real answer
        text = text.split("\n\n", 1)[1]
    if not text.startswith("HTTP/"):
        return Answer(None, {}, text.strip())
    head, _, body = text.partition("\n\n")
    status, *header_lines = head.split("\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return Answer(status.strip(), headers, body.strip())


def mismatch(expected: Any, actual: Any, where: str = "body") -> str | None:
    """Where ``actual`` differs from the doc's ``expected`` JSON; ``None`` when it matches."""
    if expected == ANY:
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or expected.keys() != actual.keys():
            keys = sorted(actual) if isinstance(actual, dict) else type(actual).__name__
            return f"{where}: keys {sorted(expected)} != {keys}"
        for key in expected:
            found = mismatch(expected[key], actual[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return f"{where}: {expected!r} != {actual!r}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found = mismatch(want, got, f"{where}[{index}]")
            if found:
                return found
        return None
    if isinstance(expected, str) and TIMESTAMP.fullmatch(expected):
        ok = isinstance(actual, str) and TIMESTAMP.fullmatch(actual)
        return None if ok else f"{where}: {actual!r} is not a timestamp"
    return None if expected == actual else f"{where}: {expected!r} != {actual!r}"


def compare(example: Example, output: str) -> str | None:
    """What in ``output`` differs from what the doc shows for ``example``."""
    want, got = parse(example.expected), parse(output)
    if want.status != got.status:
        return f"status: {want.status!r} != {got.status!r}"
    for name, value in want.headers.items():
        if name not in got.headers:
            return f"header {name}: not sent (sent: {sorted(got.headers)})"
        if value != ANY and value != got.headers[name]:
            return f"header {name}: {value!r} != {got.headers[name]!r}"
    if not want.body or not got.body:
        return None if want.body == got.body else f"body: {want.body!r} != {got.body!r}"
    try:
        expected_json, actual_json = json.loads(want.body), json.loads(got.body)
    except json.JSONDecodeError:
        return None if want.body == got.body else f"body: {want.body!r} != {got.body!r}"
    return mismatch(expected_json, actual_json)


def save(example: Example, output: str, variables: dict[str, str]) -> None:
    """Keep the JSON keys the doc asked to save, as shell variables for later commands."""
    if example.saves:
        body = json.loads(parse(output).body)
        for name, key in example.saves.items():
            variables[name] = str(body[key])


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
def test_every_curl_example_answers_what_the_doc_shows(
    server: tuple[LiveServer, str], tmp_path: Path
) -> None:
    assert shutil.which("curl"), "the examples need curl (.ci/run installs it when missing)"
    live, database_url = server
    variables = {"BASE": live.url, "STREAMCORE_DATABASE_URL": database_url}
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    for example in examples(doc_text()):
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", example.command],
            cwd=tmp_path,
            env={**env, **variables},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        where = f"rest.md:{example.line}: {example.command}"
        assert done.returncode == 0, f"{where}\nexited {done.returncode}: {done.stderr}"
        problem = compare(example, done.stdout)
        assert problem is None, f"{where}\n{problem}\nit printed:\n{done.stdout}"
        save(example, done.stdout, variables)


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
    coming = {
        ("GET", "/api/movie/{id}/stream"),
        ("POST", "/api/movie/{id}/playback"),
        ("PUT", "/api/movie/{id}/media"),
    }
    stale = set(route_sections()) - set(app_operations()) - coming
    assert not stale, f"rest.md documents routes the app does not have: {sorted(stale)}"
    for method, path in coming - set(app_operations()):
        assert "placeholder" in route_sections()[(method, path)].lower()
