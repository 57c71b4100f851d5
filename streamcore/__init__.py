"""streamcore: the back end of a movie-streaming service.

The names below are loaded on first use, so that ``import streamcore`` (and the CLI's start-up)
does not pay for pydantic, SQLAlchemy or blinker until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from streamcore.config import Settings
    from streamcore.core import StreamCore
    from streamcore.errors import (
        ConflictError,
        InvalidInputError,
        NotAuthenticatedError,
        NotFoundError,
        PermissionDeniedError,
        SchemaOutdatedError,
        StorageError,
        StreamcoreError,
        TooManyAttemptsError,
    )
    from streamcore.movies.models import Movie, MovieCreate, MoviePatch, MovieQuery
    from streamcore.paging import Page

_EXPORTS = {
    "StreamCore": "streamcore.core",
    "Settings": "streamcore.config",
    "StreamcoreError": "streamcore.errors",
    "NotFoundError": "streamcore.errors",
    "ConflictError": "streamcore.errors",
    "InvalidInputError": "streamcore.errors",
    "NotAuthenticatedError": "streamcore.errors",
    "PermissionDeniedError": "streamcore.errors",
    "TooManyAttemptsError": "streamcore.errors",
    "StorageError": "streamcore.errors",
    "SchemaOutdatedError": "streamcore.errors",
    "Movie": "streamcore.movies.models",
    "MovieCreate": "streamcore.movies.models",
    "MoviePatch": "streamcore.movies.models",
    "MovieQuery": "streamcore.movies.models",
    "Page": "streamcore.paging",
}

__all__ = [
    "ConflictError",
    "InvalidInputError",
    "Movie",
    "MovieCreate",
    "MoviePatch",
    "MovieQuery",
    "NotAuthenticatedError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "SchemaOutdatedError",
    "Settings",
    "StorageError",
    "StreamCore",
    "StreamcoreError",
    "TooManyAttemptsError",
    "__version__",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'streamcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
