"""``/docs`` loads nothing from another host: its assets come from this server, and say so."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.api.conftest import Api

CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}


class _Urls(HTMLParser):
    """Every ``src``/``href`` of a page, and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in {"src", "href"}]
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parse(html: str) -> _Urls:
    parser = _Urls()
    parser.feed(html)
    return parser


def test_docs_names_only_same_origin_urls(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    found = parse(page.text)
    assert len(found.urls) == 3, found.urls  # the stylesheet, the icon, the bundle
    for url in found.urls:
        assert url.startswith("/docs/assets/"), url
        assert "//" not in url
        assert "http" not in url
    # The script's own URLs: the document it loads, and no validator (it would send our URL out).
    (script,) = found.scripts
    assert "url: '/openapi.json'" in script
    assert '"validatorUrl": null' in script
    assert not re.search(r"https?:|//", script)


def test_every_asset_the_page_names_is_served(api: Api) -> None:
    for url in parse(api.client.get("/docs").text).urls:
        asset = api.client.get(url)
        assert asset.status_code == 200, url
        media_type = asset.headers["content-type"].split(";")[0]
        assert media_type in CONTENT_TYPES[url[url.rindex(".") :]], (url, media_type)
        assert len(asset.content) > 1000, url  # the real file, not an error page


def test_the_bundle_is_swagger_ui_5(api: Api) -> None:
    # FastAPI writes OpenAPI 3.1, which Swagger UI 4 refuses to render ("openapi: 3.0.n").
    assert api.client.get("/openapi.json").json()["openapi"].startswith("3.1.")
    bundle = api.client.get("/docs/assets/swagger-ui-bundle.js").text
    versions = re.findall(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle)
    assert versions, "no version string in the bundle"
    assert int(versions[0][0]) >= 5


def test_the_browser_is_told_to_load_from_this_origin_only(api: Api) -> None:
    page = api.client.get("/docs")
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"]
    (script,) = parse(page.text).scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["script-src"].split()


def test_a_missing_asset_is_a_problem_404(api: Api) -> None:
    missing = api.client.get("/docs/assets/nope.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_docs_and_assets_are_not_in_the_openapi_document(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/docs")]


def test_docs_follow_the_root_path(api: Api) -> None:
    # Behind a proxy that mounts the app under /streamcore, every URL must carry the prefix.
    with TestClient(api.client.app, root_path="/streamcore") as proxied:
        html = proxied.get("/docs").text
        urls = parse(html).urls
        assert urls
        assert all(url.startswith("/streamcore/docs/assets/") for url in urls), urls
        assert "url: '/streamcore/openapi.json'" in html
