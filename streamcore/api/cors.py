"""CORS for the origins in ``STREAMCORE_CORS_ORIGINS`` only; every other origin gets none.

Starlette's ``CORSMiddleware`` does the work for listed origins. For an unlisted one it still
sends ``Access-Control-Expose-Headers`` on every answer, and answers a preflight itself with
a plain-text 400 carrying ``Access-Control-Allow-Methods``/``-Headers``: inert in a browser,
but it tells any origin what the API accepts, and it is not problem+json. Here an unlisted
origin is served as if CORS were off: no ``Access-Control-*`` header, and a preflight goes to
the app (which answers ``OPTIONS`` with its 405 problem).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send


class ListedOriginsCORS(CORSMiddleware):
    """``CORSMiddleware`` that says nothing at all to an origin it does not list."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer listed origins as Starlette does; pass any other request through untouched."""
        if scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin is not None and not self.is_allowed_origin(origin):
                await self.app(scope, receive, _vary_on_origin(send))
                return
        await super().__call__(scope, receive, send)


def _vary_on_origin(send: Send) -> Send:
    # The answer still depends on Origin: a shared cache must not hand it to a listed origin.
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
        await send(message)

    return sending
