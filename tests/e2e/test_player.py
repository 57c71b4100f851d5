"""The demo web player in a real browser: Debian's headless Chromium, driven by Playwright.

One ``streamcore serve --demo --workers 2`` for the module (each worker builds its app from the
environment, so both must serve the player) and one browser. The subscriber logs in through
the form, filters the list by genre, plays a movie and seeks in it; the video's requests carry
a playback URL (206, no header, no token); a user with no paid plan sees why not. Every request
the page makes stays on the server's origin, and the console stays clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from streamcore.api.player import POLICY
from streamcore.api.server import PLAYER_ENV
from tests.e2e.server import LiveServer, start_server
from tests.e2e.test_demo import ACCOUNT
from tests.e2e.workers import ON_LINUX, one_connection_per_worker, uvicorn_workers
from tests.tools import needs

if TYPE_CHECKING:
    from playwright.sync_api import (
        ConsoleMessage,
        Error,
        Page,
        Request,
        Response,
    )

pytestmark = [pytest.mark.xdist_group("player"), pytest.mark.slow]

needs_chromium = needs("chromium")
PASSWORD = "correct horse battery"
SEEK_TO = 5.0  # seconds, in the 8-second demo video


@dataclass
class Demo:
    """The demo server, the subscriber it printed, and an API client for expectations."""

    server: LiveServer
    email: str
    password: str

    def token(self, email: str | None = None, password: str | None = None) -> str:
        """A bearer token of the subscriber (or of ``email``), logged in over HTTP."""
        body = {"email": email or self.email, "password": password or self.password}
        with self.server.client() as http:
            answer = http.post("/api/auth/login", json=body)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def get(self, path: str, token: str, **params: str | int) -> Any:
        """The JSON of ``GET path`` with ``token``."""
        with self.server.client(headers={"Authorization": f"Bearer {token}"}) as http:
            answer = http.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


@dataclass
class Watched:
    """What a page did: every request, the stream's answers, console errors."""

    requests: list[Request] = field(default_factory=list)
    streams: list[Response] = field(default_factory=list)
    errors: list[ConsoleMessage] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Record everything ``page`` does from now on."""
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", self._crash)

    # Methods, not bound builtins: Playwright tags each handler with an attribute.
    def _request(self, request: Request) -> None:
        self.requests.append(request)

    def _response(self, response: Response) -> None:
        if "/stream" in response.url:
            self.streams.append(response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message)

    def _crash(self, error: Error) -> None:
        self.crashes.append(str(error))

    def unexpected_errors(self, *allowed: tuple[int, str]) -> list[str]:
        """Console errors other than the browser's note on an ``allowed`` (status, path)."""
        return [
            m.text
            for m in self.errors
            if not any(
                f"status of {status}" in m.text and urlsplit(m.location["url"]).path.endswith(path)
                for status, path in allowed
            )
        ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``streamcore serve --demo --workers 2`` in a new directory; stopped by PID."""
    workdir = tmp_path_factory.mktemp("player")
    server = start_server(
        workdir, env={"STREAMCORE_DATABASE_URL": ""}, args=["--demo", "--workers", "2"]
    )
    try:
        accounts = {role: (email, pw) for role, email, pw in ACCOUNT.findall(server.log())}
        yield Demo(server, *accounts["subscriber"])
    finally:
        server.stop()


def log_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    """Open the player and log in through its form."""
    page.goto(f"{server.url}/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Movies").wait_for()


def shown_titles(page: Page, total: int) -> list[str]:
    """The titles listed, once the status line says ``total`` movies."""
    status = page.locator("#library-status")
    status.filter(has_text=f"{total} movie").wait_for()
    return page.locator("#movies h3").all_inner_texts()


def video_time(page: Page) -> float:
    """The video's ``currentTime``."""
    seconds: float = page.eval_on_selector("#video", "v => v.currentTime")
    return seconds


@needs_chromium
def test_the_subscriber_logs_in_filters_plays_and_seeks(demo: Demo, page: Page) -> None:
    watched = Watched()
    watched.watch(page)
    token = demo.token()
    mine = demo.get("/api/me/movie", token, limit=10)
    everything = demo.get("/api/me/movie", token, limit=100)["items"]
    playable = next(m for m in everything if m["media_path"])
    # The genre of the playable movie that leaves the fewest: the list visibly changes.
    genre = min(playable["genres"], key=lambda g: sum(g in m["genres"] for m in everything))
    filtered = demo.get("/api/me/movie", token, limit=10, genre=genre)
    assert filtered["total"] < mine["total"]

    silent = next(m for m in mine["items"] if not m["media_path"])

    log_in(page, demo.server, demo.email, demo.password)
    assert shown_titles(page, mine["total"]) == [m["title"] for m in mine["items"]]
    # In the plan but with no video: a sentence from the 404's detail, not a broken player.
    page.get_by_role("button", name=f"Play {silent['title']}", exact=True).click()
    page.locator("#player-message").filter(has_text="no media file").wait_for()
    assert page.locator("#player-message").inner_text() == (
        f"“{silent['title']}” is not available: movie {silent['id']} cannot be played: "
        "it has no media file."
    )
    assert page.locator("#video").is_hidden()
    page.get_by_label("Genre").select_option(genre)
    assert shown_titles(page, filtered["total"]) == [m["title"] for m in filtered["items"]]
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")  # no sideways

    page.get_by_role("button", name=f"Play {playable['title']}", exact=True).click()
    page.wait_for_function("() => document.querySelector('#video').currentTime > 0.5")
    assert page.locator("#player-message").is_hidden()  # the last refusal is gone
    page.eval_on_selector("#video", f"v => {{ v.currentTime = {SEEK_TO}; }}")
    # Played from there: a played range begins at the seek, and it grows.
    page.wait_for_function(
        f"""() => {{
            const played = document.querySelector('#video').played;
            for (let i = 0; i < played.length; i++) {{
                if (played.start(i) >= {SEEK_TO - 0.1} && played.end(i) > {SEEK_TO + 0.5}) {{
                    return true;
                }}
            }}
            return false;
        }}"""
    )
    assert video_time(page) > SEEK_TO

    page_token = _page_token(page)
    assert watched.streams, "the video made no request"
    for response in watched.streams:
        headers = response.request.all_headers()
        assert response.status == 206, (response.url, response.status)
        assert "authorization" not in headers
        parts = urlsplit(response.url)
        assert parts.path == f"/api/movie/{playable['id']}/stream"
        assert set(parse_qs(parts.query)) == {"user", "expires", "sig"}
        assert page_token not in response.url
        assert token not in response.url

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    assert page.evaluate("sessionStorage.length") == 0
    with demo.server.client(headers={"Authorization": f"Bearer {page_token}"}) as http:
        assert http.get("/api/auth/me").status_code == 401  # revoked, not only forgotten

    assert {_origin(r.url) for r in watched.requests} == {demo.server.url}
    assert watched.unexpected_errors((404, "/playback")) == []
    assert watched.crashes == []


@needs_chromium
def test_a_user_without_a_paid_plan_is_told_why_not(demo: Demo, page: Page) -> None:
    watched = Watched()
    watched.watch(page)
    email = "unpaid@example.com"
    with demo.server.client() as http:
        joined = http.post(
            "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Una Paid"}
        )
        assert joined.status_code == 201, joined.text
        classic = http.get("/api/plan").json()["items"][0]
    token = demo.token(email, PASSWORD)
    with demo.server.client(headers={"Authorization": f"Bearer {token}"}) as http:
        unpaid = http.post("/api/subscription", json={"plan_id": classic["id"]})
    assert unpaid.status_code == 201, unpaid.text
    playable = next(m for m in demo.get("/api/movie", token, limit=100)["items"] if m["media_path"])

    log_in(page, demo.server, email, PASSWORD)
    page.get_by_text("No movie to watch yet").wait_for()
    page.get_by_label("Show").select_option("all")
    page.get_by_role("button", name=f"Play {playable['title']}", exact=True).click()
    message = page.locator("#player-message")
    message.wait_for()
    assert message.get_attribute("role") == "alert"
    assert message.inner_text() == (
        f"“{playable['title']}” is not available: you may not watch movie {playable['id']}: "
        "it is in no plan of a paid-up subscription of yours."
    )
    assert page.locator("#video").is_hidden()
    assert page.eval_on_selector("#video", "v => v.paused && !v.getAttribute('src')")
    assert watched.streams == []

    # A token revoked elsewhere: the next call brings the login form back, with the reason.
    with demo.server.client(headers={"Authorization": f"Bearer {_page_token(page)}"}) as http:
        assert http.post("/api/auth/logout").status_code == 204
    page.get_by_label("Genre").select_option(index=1)
    page.get_by_role("heading", name="Log in").wait_for()
    assert "Your session has ended" in page.locator("#login-info").inner_text()

    assert {_origin(r.url) for r in watched.requests} == {demo.server.url}
    assert watched.unexpected_errors((403, "/playback"), (401, "/api/movie")) == []
    assert watched.crashes == []


@pytest.mark.skipif(not ON_LINUX, reason="tells the workers apart through Linux's /proc")
def test_every_worker_serves_the_player(demo: Demo) -> None:
    workers = uvicorn_workers(demo.server.process.pid, 2)
    connections = one_connection_per_worker(demo.server.port, workers)
    try:
        for connection in connections:
            answer = connection.request("HEAD", "/")
            assert answer.status == 200
            assert answer.headers["content-security-policy"] == POLICY
    finally:
        for connection in connections:
            connection.close()


def test_without_demo_there_is_no_player(tmp_path: Path) -> None:
    """Not even when the variable ``--demo`` sets was left in the environment."""
    server = start_server(tmp_path, env={PLAYER_ENV: "1"})
    try:
        with server.client() as http:
            for path in ("/", "/player/player.js"):
                assert http.get(path).status_code == 404, path
    finally:
        server.stop()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page_token(page: Page) -> str:
    token: str = page.evaluate("JSON.parse(sessionStorage.getItem('streamcore.session')).token")
    return token
