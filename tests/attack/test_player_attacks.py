"""The demo web player against hostile data, in Debian's headless Chromium (Playwright).

An editor puts markup in a movie's title and description; the subscriber lists it, filters
to it and presses play: the markup is shown as text and never runs. The page refuses to be
framed by another origin, its policy blocks a script put in by any means, and no request of
the page carries the bearer token in its URL or sends a Referer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.e2e.server import LiveServer, start_server
from tests.e2e.test_demo import ACCOUNT
from tests.e2e.test_player import log_in, needs_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page, Request, Route

pytestmark = [pytest.mark.xdist_group("attack-player"), pytest.mark.slow, needs_chromium]

TITLE = '<img src=x onerror="window.hit=\'title\'"><script>window.hit="script"</script>'
DESCRIPTION = "<svg onload=\"window.hit='description'\"></svg>"
GENRE = "zz-hostile"


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, dict[str, tuple[str, str]]]]:
    """``streamcore serve --demo`` with a movie whose text is markup; its accounts."""
    workdir = tmp_path_factory.mktemp("attack-player")
    server = start_server(workdir, env={"STREAMCORE_DATABASE_URL": ""}, args=["--demo"])
    try:
        accounts = {role: (email, pw) for role, email, pw in ACCOUNT.findall(server.log())}
        email, password = accounts["editor"]
        with server.client() as http:
            login = http.post("/api/auth/login", json={"email": email, "password": password})
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            made = http.post(
                "/api/movie",
                json={"title": TITLE, "description": DESCRIPTION, "year": 2020, "genres": [GENRE]},
            )
            assert made.status_code == 201, made.text
        yield server, accounts
    finally:
        server.stop()


def test_markup_in_a_movie_is_shown_as_text_and_never_runs(
    demo: tuple[LiveServer, dict[str, tuple[str, str]]], page: Page
) -> None:
    server, accounts = demo
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    urls: dict[str, dict[str, str]] = {}

    def record(request: Request) -> None:
        urls[request.url] = request.headers

    page.on("request", record)
    log_in(page, server, *accounts["subscriber"])
    page.get_by_label("Show").select_option("all")
    page.locator("#genre option", has_text=GENRE).wait_for(state="attached")
    page.get_by_label("Genre").select_option(GENRE)
    page.locator("#library-status").filter(has_text="1 movie").wait_for()
    assert page.locator("#movies h3").all_inner_texts() == [TITLE]
    assert page.locator("#movies img, #movies script, #movies svg").count() == 0
    page.get_by_role("button", name=f"Play {TITLE}", exact=True).click()
    page.locator("#player-message").filter(has_text="is not available").wait_for()
    assert page.locator("#now-playing").inner_text() == f"{TITLE} (2020)"
    assert TITLE in page.locator("#player-message").inner_text()
    assert page.locator("main img, main script:not([src]), main svg").count() == 0
    assert page.evaluate("window.hit") is None
    assert dialogs == []
    token = page.evaluate("JSON.parse(sessionStorage.getItem('streamcore.session')).token")
    assert urls
    for url, headers in urls.items():
        assert token not in url
        assert headers.get("referer", "") == "", url


def test_a_script_put_in_by_any_means_is_blocked_by_the_policy(
    demo: tuple[LiveServer, dict[str, tuple[str, str]]], page: Page
) -> None:
    server, _ = demo
    page.goto(f"{server.url}/")
    page.get_by_label("Email").wait_for()
    blocked = page.evaluate(
        """() => new Promise((resolve) => {
            const seen = [];
            const note = (e) => seen.push(e.violatedDirective);
            document.addEventListener('securitypolicyviolation', note);
            const inline = document.createElement('script');
            inline.textContent = 'window.hit = "inline"';
            document.body.append(inline);
            const outside = document.createElement('script');
            outside.src = 'http://example.invalid/x.js';
            document.body.append(outside);
            const handler = document.createElement('img');
            handler.setAttribute('onerror', 'window.hit = "handler"');
            handler.src = 'player/none.png';
            document.body.append(handler);
            setTimeout(() => resolve(seen), 500);
        })"""
    )
    assert page.evaluate("window.hit") is None
    assert "script-src-elem" in blocked or "script-src" in blocked


def test_another_origin_cannot_frame_the_player(
    demo: tuple[LiveServer, dict[str, tuple[str, str]]], page: Page
) -> None:
    server, _ = demo
    page.set_content(f'<iframe id="f" src="{server.url}/" width="400" height="400"></iframe>')
    framed = [frame for frame in page.frames if frame != page.main_frame]
    assert len(framed) == 1
    # frame-ancestors 'none': Chromium puts its error page in the frame instead of the player.
    assert not framed[0].url.startswith(server.url), framed[0].url
    assert framed[0].query_selector("#login-form") is None


def test_the_last_movie_pressed_is_the_one_that_plays(
    demo: tuple[LiveServer, dict[str, tuple[str, str]]], page: Page
) -> None:
    """Play A, then B before A's playback URL came back: B plays, under B's title."""
    server, accounts = demo
    email, password = accounts["subscriber"]
    with server.client() as http:
        login = http.post("/api/auth/login", json={"email": email, "password": password})
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        listed = http.get("/api/me/movie", params={"limit": 10}).json()["items"]
    first, second = [m for m in listed if m["media_path"]][:2]
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # A's answer waits

    page.route(f"**/api/movie/{first['id']}/playback", hold)
    log_in(page, server, email, password)
    page.get_by_role("button", name=f"Play {first['title']}", exact=True).click()
    while not held:
        page.wait_for_timeout(50)
    page.get_by_role("button", name=f"Play {second['title']}", exact=True).click()
    page.wait_for_function(
        f"() => (document.querySelector('#video').getAttribute('src') || '')"
        f".includes('/api/movie/{second['id']}/stream')"
    )
    held[0].fulfill(response=held[0].fetch())  # A's real answer, late
    page.wait_for_timeout(500)  # time for the page to act on it
    source = page.eval_on_selector("#video", "v => v.getAttribute('src')")
    assert f"/api/movie/{second['id']}/stream" in source
    assert page.locator("#now-playing").inner_text().startswith(second["title"])
