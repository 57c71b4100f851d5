"""The layering of docs/architecture.md, enforced: a test fails when an import points up.

Floors, top to bottom: faces (cli, commands, api) → core → storage → domains → uow, events,
validation, outbox → errors, config, clock, iso. Every import is counted, also those inside
functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import streamcore

PACKAGE = Path(streamcore.__file__).parent
DOMAINS = ("movies", "auth", "subscriptions")
FACES = ("streamcore.cli", "streamcore.commands", "streamcore.api")
WEB_AND_SQL = (
    "sqlalchemy",
    "alembic",
    "typer",
    "click",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {
    _module_name(p): p
    for p in sorted(PACKAGE.rglob("*.py"))
    if "migrations" not in p.relative_to(PACKAGE).parts
}


SHARED_GATE = "streamcore.auth.permissions"
"""The one module every domain may import from another: the permission table."""

PUBLISHED = {"streamcore.subscriptions": ("streamcore.movies.models",)}
"""Models a domain may use from another: the catalogue's models are the language that
entitlement speaks (its listing takes a MovieQuery and returns Movies); nothing else."""


def _hits(imported: set[str], forbidden: tuple[str, ...], module: str = "") -> list[str]:
    allowed = (SHARED_GATE, *next((v for k, v in PUBLISHED.items() if _in(module, k)), ()))
    return sorted(
        i
        for i in imported
        if any(i == f or i.startswith(f + ".") for f in forbidden) and not _in(i, *allowed)
    )


def _in(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _rule_for(module: str) -> tuple[str, ...]:
    """What ``module`` may not import."""
    low = ("streamcore.core", "streamcore.storage", *FACES)
    if module == SHARED_GATE:  # the gate sits on the floor: errors and the stdlib only
        auth_rest = (
            "streamcore.auth.models",
            "streamcore.auth.service",
            "streamcore.auth.repository",
        )
        floor = (
            "streamcore.uow",
            "streamcore.events",
            "streamcore.validation",
            "streamcore.paging",
        )
        others = tuple(f"streamcore.{d}" for d in DOMAINS if d != "auth")
        return (*auth_rest, *floor, *others, "pydantic", "blinker", *WEB_AND_SQL, *low)
    if _in(module, *(f"streamcore.{d}" for d in DOMAINS)):
        own = module.split(".")[1]
        others = tuple(f"streamcore.{d}" for d in DOMAINS if d != own)
        return (*WEB_AND_SQL, "rich", *low, *others)
    if module in {
        "streamcore.uow",
        "streamcore.events",
        "streamcore.validation",
        "streamcore.paging",
        "streamcore.outbox",
    }:
        return (*WEB_AND_SQL, *low, *(f"streamcore.{d}" for d in DOMAINS))
    if module in {
        "streamcore.errors",
        "streamcore.config",
        "streamcore.clock",
        "streamcore.iso",
        "streamcore.mail",
    }:
        floor = ("streamcore.uow", "streamcore.events", "streamcore.validation", "pydantic")
        return (*WEB_AND_SQL, *low, *floor, *(f"streamcore.{d}" for d in DOMAINS))
    if _in(module, "streamcore.storage"):
        return ("streamcore.core", *FACES, "typer", "fastapi")
    if module == "streamcore.listeners":  # wired by core; knows events, mail, not storage
        return (*WEB_AND_SQL, *low)
    if module == "streamcore.core":
        return (*FACES, "streamcore.demo", "typer", "fastapi")
    if _in(module, "streamcore.demo"):  # sample data through the public services, for a face
        return (*FACES, "streamcore.storage", *WEB_AND_SQL)
    return ()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    assert _hits(_imports(MODULES[module]), _rule_for(module), module) == []


def test_the_rules_cover_every_domain_and_floor() -> None:
    """Guard the guard: the rules above really apply to the modules that exist."""
    assert _rule_for("streamcore.movies.service")
    assert "sqlalchemy" in _rule_for("streamcore.movies.models")
    assert "streamcore.storage" in _rule_for("streamcore.movies.repository")
    assert "streamcore.core" in _rule_for("streamcore.storage.sql.movies")
    assert _hits({"sqlalchemy.engine"}, _rule_for("streamcore.movies.service")) == [
        "sqlalchemy.engine"
    ]
    assert _hits({"streamcore.auth.service"}, _rule_for("streamcore.movies.service"))
    subscriptions = "streamcore.subscriptions.service"
    assert not _hits({"streamcore.movies.models"}, _rule_for(subscriptions), subscriptions)
    assert _hits({"streamcore.movies.service"}, _rule_for(subscriptions), subscriptions)
    assert _hits(
        {"streamcore.movies.models"},
        _rule_for("streamcore.auth.service"),
        "streamcore.auth.service",
    )
    assert not _hits({SHARED_GATE}, _rule_for("streamcore.movies.service"))
    assert _hits({"streamcore.api.app"}, _rule_for("streamcore.demo"))
    assert _hits({"streamcore.demo"}, _rule_for("streamcore.core"))


@pytest.mark.parametrize("module", [m for m in sorted(MODULES) if _in(m, *FACES[:2])])
def test_cli_modules_import_only_typer_and_the_stdlib_at_start_up(module: str) -> None:
    """Heavy modules are imported inside the commands, so `streamcore --help` stays fast."""
    heavy = ("sqlalchemy", "alembic", "pydantic", "rich", "blinker", "argon2", "fastapi")
    allowed_streamcore = ("streamcore.commands", "streamcore.cli")
    top = _imports(MODULES[module], top_level_only=True)
    assert _hits(top, heavy) == []
    assert [i for i in top if i.startswith("streamcore") and not _in(i, *allowed_streamcore)] == []


@pytest.mark.parametrize(
    "module", [m for m in sorted(MODULES) if m.endswith((".service", ".models"))]
)
def test_services_and_models_do_not_read_the_environment(module: str) -> None:
    assert "os" not in _imports(MODULES[module])


def test_public_names_are_exported_lazily_and_all_resolve() -> None:
    assert set(streamcore.__all__) == {"__version__", *streamcore._EXPORTS}
    for name in streamcore.__all__:
        assert getattr(streamcore, name) is not None
