"""The server's logs: uvicorn's loggers, streamcore's beside them, no secret in the access log.

``streamcore serve`` hands ``log_config(level)`` to uvicorn, which applies it in every worker
process. FastAPI is not imported here: the supervisor of several workers loads only this.

The access log writes each request line. A token or a password is never part of one that
streamcore asks for (bearer header and JSON bodies only), but a client may put anything in a
query string, and a signed playback URL carries its signature there: so the value of every query
parameter except the catalogue's filters and paging is written as ``***``.
"""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import unquote_plus

SHOWN_PARAMETERS = frozenset(
    {
        "q",
        "genre",
        "year",
        "country",
        "trashed",
        "sort",
        "limit",
        "offset",
        "role",
        "is_active",
        "include_inactive",
        "user_id",
    }
)
"""Query parameters whose values the access log keeps: filters and paging, never a secret."""
HIDDEN = "***"
LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning"}
"""The CLI's log levels (``--verbose``, default, ``--quiet``) as uvicorn names them."""
PATH_ARG = 2
"""Where uvicorn's access record keeps the path with its query string:
``(client_addr, method, full_path, http_version, status_code)``."""


def hide_query_values(path: str) -> str:
    """``path`` with the value of each query parameter not in ``SHOWN_PARAMETERS`` hidden."""
    base, mark, query = path.partition("?")
    if not mark:
        return path
    parts = []
    for pair in query.split("&"):
        name, equals, _value = pair.partition("=")
        shown = unquote_plus(name) in SHOWN_PARAMETERS
        parts.append(pair if shown or not equals else f"{name}={HIDDEN}")
    return f"{base}?{'&'.join(parts)}"


class HideQueryValues(logging.Filter):
    """Rewrites the path of each uvicorn access record with ``hide_query_values``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, its query values hidden."""
        args = record.args
        if isinstance(args, tuple) and len(args) > PATH_ARG:
            path = args[PATH_ARG]
            if isinstance(path, str):
                record.args = (*args[:PATH_ARG], hide_query_values(path), *args[PATH_ARG + 1 :])
        return True


def log_config(level: int) -> dict[str, Any]:
    """uvicorn's logging config at ``level``, with streamcore's loggers and the access filter."""
    from uvicorn.config import LOGGING_CONFIG

    name = LEVELS.get(level, "info")
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["streamcore"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": "%(levelprefix)s %(name)s: %(message)s",
    }
    config["handlers"]["streamcore"] = {
        "formatter": "streamcore",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["filters"] = {"hide_query_values": {"()": f"{__name__}.HideQueryValues"}}
    config["handlers"]["access"]["filters"] = ["hide_query_values"]
    for logger in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        config["loggers"][logger]["level"] = name.upper()
    config["loggers"]["streamcore"] = {
        "handlers": ["streamcore"],
        "level": name.upper(),
        "propagate": False,
    }
    return config
