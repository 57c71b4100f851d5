"""``/docs``: Swagger UI from files streamcore serves itself, so the page needs no network.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN (and its favicon from FastAPI's site);
a server on a closed network, or a browser offline, would show a blank page. The assets come
from the ``fastapi-offline`` package instead (Swagger UI 5's bundle and stylesheet: 5.x reads
the OpenAPI 3.1 document FastAPI writes, which 4.x refuses), served from ``/docs/assets``.
The page also turns off Swagger UI's online validator, the one thing it would fetch from
another host, and says so to the browser with a Content-Security-Policy that allows this
origin only.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
ASSETS_PACKAGE = ("fastapi_offline", "static")
"""Where ``swagger-ui-bundle.js``, ``swagger-ui.css`` and ``favicon.png`` are: package, folder."""
SWAGGER_UI_PARAMETERS = {
    # None: no "valid" badge, so no request to validator.swagger.io with our document's URL.
    "validatorUrl": None,
}
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def install(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` for ``app``'s OpenAPI document, with its assets."""
    app.mount(ASSETS_PATH, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        return page(app, request.scope.get("root_path", ""))


def page(app: FastAPI, root_path: str = "") -> HTMLResponse:
    """The ``/docs`` HTML: every URL it names is on this server, under ``root_path``."""
    root = root_path.rstrip("/")
    html = get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - API docs",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )
    body = bytes(html.body)
    return HTMLResponse(body, headers={"Content-Security-Policy": _policy(body)})


def _policy(body: bytes) -> str:
    # The page's one inline script (the SwaggerUIBundle call) is allowed by its hash, not by
    # 'unsafe-inline'; Swagger UI sets inline styles, and draws some icons from data: URLs.
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {hashes}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )
