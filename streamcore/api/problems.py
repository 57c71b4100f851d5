"""Every error answer of the REST adapter: one RFC 9457 ``application/problem+json`` body.

Faces map categories, never leaves: ``DuplicateMovieError`` is a 409 because it is a
``ConflictError``. FastAPI's own request validation, Starlette's 404/405 and anything
unexpected go through here too, so every error a client sees has the same shape:
``{type, title, status, detail, code}`` and, for invalid input, ``errors`` (one entry per field,
naming the field and the rule, never the value sent).

This module imports no FastAPI at import time of ``streamcore.api``'s package; the handlers
below are installed by ``app.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from streamcore.errors import (
    ConflictError,
    FieldError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    StreamcoreError,
    TooManyAttemptsError,
    category_of,
)

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

HTTP_STATUS: dict[type[StreamcoreError], int] = {
    InvalidInputError: 422,
    NotAuthenticatedError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    TooManyAttemptsError: 429,
    StorageError: 503,
}
"""Status of each category; 401 answers carry ``WWW-Authenticate: Bearer``, 429 ``Retry-After``."""

UNEXPECTED = 500
PROBLEM_JSON = "application/problem+json"
CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    500: "unexpected",
}
"""The ``code`` of answers that no core error category gives (HTTP's own refusals)."""


def status_for(error: StreamcoreError) -> int:
    """The HTTP status that answers ``error``."""
    return HTTP_STATUS.get(category_of(error), UNEXPECTED)


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The one builder of error responses."""
    from starlette.responses import JSONResponse

    body: dict[str, Any] = {
        # "about:blank": the status says what kind of problem it is; `code` says it exactly.
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code or CODES.get(status, "error"),
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def for_error(error: StreamcoreError) -> JSONResponse:
    """The answer to one of the core's errors."""
    status = status_for(error)
    if status == UNEXPECTED:
        return unexpected()
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, TooManyAttemptsError):
        headers["Retry-After"] = str(max(1, error.retry_after))
    if isinstance(error, StorageError):
        # The sentence is ours (storage/sql/failures.py), never the driver's; a client
        # still learns nothing about the database but that it is unavailable.
        logger.error("storage unavailable: %s", error.message)
        return problem(
            status,
            "the service's storage is unavailable; try again later",
            code=error.code,
            headers={"Retry-After": "5"},
        )
    errors = error.errors if isinstance(error, InvalidInputError) else ()
    return problem(status, error.message, code=error.code, errors=errors, headers=headers)


def unexpected() -> JSONResponse:
    """A 500 that says nothing of what went wrong (the log has the traceback)."""
    return problem(UNEXPECTED, "something went wrong on our side; it has been logged")


def request_field_errors(items: Iterable[Any]) -> list[FieldError]:
    """FastAPI's validation report in our words, one entry per field; never the value sent."""
    from streamcore.validation import rule_for

    result = []
    for item in items:
        loc = tuple(str(part) for part in item.get("loc", ()))
        # ("body", "title") is the field "title"; a whole body that is not an object is "body".
        where = loc[1:] if len(loc) > 1 and loc[0] in {"body", "query", "path", "header"} else loc
        if item.get("type") == "json_invalid":
            where = ("body",)  # its loc is ("body", <character offset>): no field at all
        result.append(FieldError(".".join(where), rule_for(item)))
    return result


def install(app: FastAPI) -> None:
    """Route every error the app can raise through ``problem``."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    app.add_exception_handler(StreamcoreError, _core_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _core_error(request: Request, exc: StreamcoreError) -> JSONResponse:
    return for_error(exc)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = request_field_errors(exc.errors())
    detail = "; ".join(str(e) for e in errors) or "invalid input"
    return problem(422, detail, code=InvalidInputError.code, errors=errors)


UNREADABLE_BODY = "There was an error parsing the body"
"""FastAPI's 400 for a JSON body its parser gave up on (the cause says why)."""


def _unreadable_body(cause: BaseException | None) -> JSONResponse:
    # Python's json gives up on bytes that are not UTF-8, on nesting deeper than its
    # recursion limit and on integers of more than 4300 digits: the same 422 as bad JSON.
    if isinstance(cause, UnicodeDecodeError):
        rule = "must be JSON text in UTF-8"
    elif isinstance(cause, RecursionError):
        rule = "is nested too deeply"
    else:
        rule = "must be valid JSON (no number longer than 4300 digits)"
    error = FieldError("body", rule)
    return problem(422, str(error), code=InvalidInputError.code, errors=[error])


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == UNREADABLE_BODY:
        return _unreadable_body(exc.__cause__)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is no route {request.url.path}"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.url.path} does not answer {request.method}"
        return problem(405, detail, headers={"Allow": _allowed_methods(request)})
    return problem(exc.status_code, detail, headers=exc.headers)


def _allowed_methods(request: Request) -> str:
    # Starlette's 405 names only the methods of the first route whose path matched, and
    # FastAPI makes one route per method: collect every route of this path (RFC 9110 15.5.6).
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Match

    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The backstop, outside every middleware (``Unexpected`` answers first): Starlette logs
    # the traceback itself after this answer is sent, as it re-raises to the server.
    return unexpected()


class Unexpected:
    """ASGI middleware: an unexpected error is a 500 problem answered *inside* CORS.

    Starlette answers unhandled exceptions in its outermost middleware, past CORS, so a
    browser script on a listed origin could not read that 500. This one sits inside CORS: it
    logs the traceback (the client gets none of it) and answers the same 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if started:  # too late for an answer: the server drops the connection
                raise
            # The path only, never the query string or headers (they may hold secrets).
            logger.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            await unexpected()(scope, receive, send)
