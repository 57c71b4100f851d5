"""docs/cli.md documents every CLI command and option, and every command has help text.

The command tree comes from the Typer app itself, so a new command or option fails these tests
until docs/cli.md has a ``### `streamcore <group> <command>` `` section that mentions it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

import streamcore.cli

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
HEADING = re.compile(r"^(#{1,6}) +(.+?) *$", re.MULTILINE)
COMMAND_HEADING = re.compile(r"^`streamcore ([a-z0-9 -]+)`$")


def command_tree() -> list[tuple[tuple[str, ...], Any]]:
    """``(path, command)`` for the root (path ``()``), every group and every command."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append((path, command))
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))

    walk(typer.main.get_command(streamcore.cli.app), ())
    return found


TREE = command_tree()
LEAVES = [(path, cmd) for path, cmd in TREE if path and not isinstance(cmd, TyperGroup)]
ROOT = TREE[0][1]


def doc_text() -> str:
    return CLI_DOC.read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    """Heading title -> its body, up to the next heading of the same or a higher level."""
    heads = list(HEADING.finditer(text))
    result: dict[str, str] = {}
    for index, head in enumerate(heads):
        level = len(head.group(1))
        end = len(text)
        for later in heads[index + 1 :]:
            if len(later.group(1)) <= level:
                end = later.start()
                break
        result[head.group(2)] = text[head.end() : end]
    return result


def command_sections() -> dict[str, str]:
    """``"movie add"`` -> the body of its ``### `streamcore movie add` `` section."""
    result: dict[str, str] = {}
    for head in HEADING.finditer(doc_text()):
        match = COMMAND_HEADING.match(head.group(2))
        if len(head.group(1)) == 3 and match:
            result[match.group(1)] = sections(doc_text())[head.group(2)]
    return result


def option_names(command: Any) -> list[str]:
    """Every ``--long``/``-s`` name of the command's options (not ``--help``)."""
    names: list[str] = []
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            names += [*param.opts, *param.secondary_opts]
    return names


def own_option_names(command: Any) -> list[str]:
    """The command's options without the global ones (those have their own section)."""
    shared = set(option_names(ROOT))
    return [name for name in option_names(command) if name not in shared]


def argument_names(command: Any) -> list[str]:
    """The metavar a user sees for each argument (``ID``, ``FILE``)."""
    return [
        (param.metavar or param.name.upper())
        for param in command.params
        if getattr(param, "param_type_name", "") == "argument"
    ]


def ident(item: tuple[tuple[str, ...], Any]) -> str:
    return " ".join(item[0]) or "streamcore"


def test_the_walk_finds_the_commands() -> None:
    """Guards the walk itself: an empty tree would make every test below pass."""
    paths = {" ".join(path) for path, _ in LEAVES}
    assert {"db upgrade", "db current", "movie add", "movie list", "movie import"} <= paths


def test_the_doc_exists_and_the_section_parser_finds_sections() -> None:
    assert CLI_DOC.is_file()
    documented = set(command_sections())
    assert {"db upgrade", "db current", "movie add", "movie import"} <= documented
    assert "--title" in command_sections()["movie add"]
    assert "--title" not in command_sections()["movie delete"]


@pytest.mark.parametrize("item", LEAVES, ids=ident)
def test_every_command_has_a_section(item: tuple[tuple[str, ...], Any]) -> None:
    path, _ = item
    heading = f"### `streamcore {' '.join(path)}`"
    assert heading in doc_text().splitlines(), f"docs/cli.md has no heading {heading!r}"


@pytest.mark.parametrize("item", LEAVES, ids=ident)
def test_every_option_and_argument_is_in_its_section(item: tuple[tuple[str, ...], Any]) -> None:
    path, command = item
    body = command_sections().get(" ".join(path))
    assert body is not None, f"no section for streamcore {' '.join(path)}"
    missing = [
        name
        for name in own_option_names(command)
        if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", body)
    ]
    missing += [name for name in argument_names(command) if not re.search(rf"\b{name}\b", body)]
    assert not missing, f"streamcore {' '.join(path)}: not documented: {missing}"


def test_global_options_are_documented() -> None:
    body = sections(doc_text()).get("Global options")
    assert body is not None, "docs/cli.md has no '## Global options' section"
    names = [*option_names(ROOT), "-h", "--help"]
    assert {"--database-url", "--json", "--version", "--verbose", "--quiet"} <= set(names)
    for name in names:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", body), name


def test_no_section_for_a_command_that_does_not_exist() -> None:
    existing = {" ".join(path) for path, _ in LEAVES}
    stale = sorted(set(command_sections()) - existing)
    assert not stale, f"docs/cli.md documents commands the CLI does not have: {stale}"


@pytest.mark.parametrize("item", TREE, ids=ident)
def test_every_command_and_group_has_help_text(item: tuple[tuple[str, ...], Any]) -> None:
    path, command = item
    assert (command.help or "").strip(), f"streamcore {' '.join(path)} has no help text"
    assert command.get_short_help_str(limit=200).strip()


@pytest.mark.parametrize("item", LEAVES, ids=ident)
def test_every_option_and_argument_has_help_text(item: tuple[tuple[str, ...], Any]) -> None:
    path, command = item
    bare = [param.name for param in command.params if not (getattr(param, "help", "") or "")]
    assert not bare, f"streamcore {' '.join(path)}: no help for {bare}"


def test_exit_codes_and_precedence_are_documented() -> None:
    text = doc_text()
    body = sections(text).get("Exit codes and errors", "")
    for fragment in ("`0`", "`1`", "`2`", "error:"):
        assert fragment in body
    precedence = sections(text).get("Configuration precedence", "")
    assert "STREAMCORE_DATABASE_URL" in precedence
    assert "--database-url" in precedence
