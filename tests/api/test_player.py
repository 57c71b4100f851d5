"""The demo web player's files, in-process: served only when asked for, from this origin only.

The browser drives it in tests/e2e/test_player.py; here: what the server sends and what the
files name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streamcore import StreamCore
from streamcore.api.app import create_app
from streamcore.api.player import ASSETS_PACKAGE, POLICY
from streamcore.api.server import PLAYER_ENV, app_from_env, player_wanted
from tests.api.conftest import Api

FILES = resources.files(ASSETS_PACKAGE[0]) / ASSETS_PACKAGE[1]
TEXT_FILES = ("index.html", "player.js", "player.css")
CONTENT_TYPES = {
    "player.js": {"text/javascript", "application/javascript"},
    "player.css": {"text/css"},
    "favicon.svg": {"image/svg+xml"},
}
ANY_URL = re.compile(r"\b(?:https?:|wss?:)?//[\w.-]", re.IGNORECASE)
"""An absolute or protocol-relative URL (``//host``); a comment's ``// text`` has a space."""


class _Page(HTMLParser):
    """The URLs a page names, its scripts, and any inline script or style it would run."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in {"src", "href", "action"}]
        self.inline += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]
        self.inline += [f"{tag} style" for name, _ in attrs if name == "style"]
        if tag == "style":
            self.inline.append("style element")
        if tag == "script":
            self.scripts.append(dict(attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(f"script text {data.strip()[:40]!r}")


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def player(api: Api) -> Iterator[TestClient]:
    """A client of the app built with the player, over the ``api`` fixture's core."""
    with TestClient(create_app(api.core, player=True), raise_server_exceptions=False) as client:
        yield client


def test_the_page_is_served_at_the_root_with_a_same_origin_policy(player: TestClient) -> None:
    page = player.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.text == (FILES / "index.html").read_text()
    assert player.head("/").status_code == 200


def test_the_policy_allows_this_origin_only_and_no_inline_script() -> None:
    policy = dict(part.strip().split(" ", 1) for part in POLICY.split(";"))
    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "img-src", "media-src", "connect-src"):
        assert policy[directive] == "'self'", directive
    assert policy["frame-ancestors"] == "'none'"


def test_the_page_runs_no_inline_code_and_loads_one_module(player: TestClient) -> None:
    page = parse(player.get("/").text)
    assert page.inline == []
    assert page.scripts == [{"type": "module", "src": "player/player.js"}]


def test_every_file_the_page_names_is_served_with_its_type(player: TestClient) -> None:
    urls = parse(player.get("/").text).urls
    assert sorted(urls) == ["#main", "player/favicon.svg", "player/player.css", "player/player.js"]
    for url in urls:
        if url.startswith("#"):
            continue  # the skip link, to the main content
        asset = player.get(f"/{url}")
        assert asset.status_code == 200, url
        name = url.rsplit("/", 1)[1]
        assert asset.headers["content-type"].split(";")[0] in CONTENT_TYPES[name], url
        assert asset.headers["content-security-policy"] == POLICY
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert asset.content == (FILES / name).read_bytes()


def test_the_files_name_no_other_host() -> None:
    # Relative URLs only: the page works under a proxy's prefix and cannot reach elsewhere.
    for name in TEXT_FILES:
        text = (FILES / name).read_text()
        assert not ANY_URL.search(text), (name, ANY_URL.search(text))
        assert "@import" not in text, name
        assert "url(" not in text, name
    script = (FILES / "player.js").read_text()
    assert not re.search(r"^\s*import\b", script, re.MULTILINE)  # no module from anywhere
    assert re.findall(r"fetch\(([^,)]+)", script) == ["path"]  # the one fetch: api(path)
    assert not re.search(r"""["'`]/api""", script)  # relative: api/..., never /api/...


def test_the_token_never_goes_into_a_url() -> None:
    script = (FILES / "player.js").read_text()
    uses = [line.strip() for line in script.splitlines() if "state.token" in line]
    assert any("headers.Authorization = `Bearer ${state.token}`" in use for use in uses), uses
    assert not [use for use in uses if "?" in use or "URLSearchParams" in use or "src" in use]


def test_a_missing_asset_is_a_problem_404(player: TestClient) -> None:
    missing = player.get("/player/nope.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert player.get("/player/../pyproject.toml").status_code == 404


def test_without_the_player_there_is_no_page(api: Api) -> None:
    for path in ("/", "/player/player.js", "/player/player.css"):
        answer = api.client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"


def test_the_player_is_not_in_the_openapi_document(player: TestClient) -> None:
    paths = player.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not [path for path in paths if path.startswith("/player")]


@pytest.mark.parametrize(("value", "wanted"), [("1", True), ("", False), ("0", False)])
def test_the_worker_reads_the_flag_from_its_environment(value: str, wanted: bool) -> None:
    assert player_wanted({PLAYER_ENV: value}) is wanted
    assert player_wanted({}) is False


@pytest.mark.parametrize(("value", "status"), [("1", 200), (None, 404)])
def test_app_from_env_serves_the_player_only_when_told(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None, status: int
) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    StreamCore.open(url).close()  # serve migrates before its workers start; so does this
    monkeypatch.setenv("STREAMCORE_DATABASE_URL", url)
    monkeypatch.setenv("STREAMCORE_MEDIA_ROOT", str(tmp_path / "media"))
    if value is None:
        monkeypatch.delenv(PLAYER_ENV, raising=False)
    else:
        monkeypatch.setenv(PLAYER_ENV, value)
    with TestClient(app_from_env()) as worker:
        assert worker.get("/").status_code == status
