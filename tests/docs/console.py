"""Runs the console examples of a doc: the convention of docs/rest.md and docs/playback.md.

- Every ```` ```console ```` block is run. A line starting with ``$ `` is a command (a line
  ending in ``\\`` goes on on the next one); the lines up to the next command are what it prints.
- Commands run in bash with the variables the test gives (``BASE``, the server's base URL, ...)
  and every variable saved before.
- ``<!-- save: NAME=key -->`` just before a block saves the ``key`` of the JSON its first
  command prints as ``$NAME`` for the commands after it (the login example saves ``TOKEN``).
- An output that starts with ``HTTP/`` (``curl -i``) is a status line, some headers and a body:
  the status line must be the same, each header shown must be sent with that value (``...``: any
  value), and the body must be the same. Others are a body alone.
- Bodies are compared as JSON: same keys, same values, except that ``"..."`` matches anything
  and a timestamp matches any timestamp; a body that is not JSON must be the same text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
TIMEOUT = 60
BLOCK = re.compile(r"(?:<!-- save: (?P<saves>[^>]*?) -->\n)?```console\n(?P<body>.*?)```", re.S)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
ANY = "..."


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
            raise AssertionError(f"line {first_line + index}: output before any command")
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


def run(found: list[Example], doc: str, variables: dict[str, str], cwd: Path) -> None:
    """Run each example in order in bash; fail at the first whose output differs from the doc."""
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
    }
    for example in found:
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", example.command],
            cwd=cwd,
            env={**env, **variables},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        where = f"{doc}:{example.line}: {example.command}"
        assert done.returncode == 0, f"{where}\nexited {done.returncode}: {done.stderr}"
        problem = compare(example, done.stdout)
        assert problem is None, f"{where}\n{problem}\nit printed:\n{done.stdout}"
        save(example, done.stdout, variables)
