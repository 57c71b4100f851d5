"""Settings: defaults, then environment, then explicit overrides (CLI options).

``Settings.from_env`` is called by the faces; nothing reads the environment at import time.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from streamcore.errors import FieldError, InvalidInputError

ENV_PREFIX = "STREAMCORE_"
MINIMUMS = {
    "token_ttl": 1,
    "grace_days": 0,
    "db_pool_size": 1,
    "db_max_overflow": 0,
    "db_connect_timeout": 1,
    "max_body": 1,
    "max_upload": 1,
    "playback_ttl": 1,
}
"""Whole-number settings and their smallest value."""
DAY = 86_400
MAXIMUMS = {
    "token_ttl": 366 * DAY,
    "grace_days": 366,
    "playback_ttl": 366 * DAY,
}
"""Whole-number settings with a largest value: lifetimes that must stay dates (decision 184)."""
SECONDS = ("db_pool_timeout", "db_busy_timeout")
"""Settings that are a number of seconds, fractions allowed, above 0."""
SECRET_KEY_LENGTH = 32
"""The shortest secret key accepted, in characters: HMAC-SHA256 wants 32 bytes of key material."""
MAX_SECONDS = 86_400
"""The longest timeout accepted: a day (SQLite keeps its busy timeout in a C int of ms)."""
MEDIA_OFFLOADS = ("none", "nginx")
"""Who sends a stream's bytes: streamcore itself, or nginx after an ``X-Accel-Redirect``."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a core needs to open; see docs/configuration.md."""

    database_url: str = "sqlite:///streamcore.db"
    media_root: Path = Path("media")
    smtp_url: str | None = None
    mail_from: str = "streamcore@localhost"
    token_ttl: int = 86400
    grace_days: int = 3
    # Sized for a threadpool server (Starlette runs sync routes on 40 threads): 20 kept + 30
    # more on demand cover 40 callers at once with room to spare (decision 73).
    db_pool_size: int = 20
    db_max_overflow: int = 30
    db_pool_timeout: float = 10.0
    db_connect_timeout: int = 10
    db_busy_timeout: float = 10.0
    cors_origins: tuple[str, ...] = ()
    max_body: int = 1024 * 1024
    max_upload: int = 20 * 1024**3
    # Never in a repr: a Settings printed in a log or a traceback must not carry the key.
    secret_key: str | None = field(default=None, repr=False)
    playback_ttl: int = 14400
    media_offload: str = "none"
    # Where nginx's `internal` location maps the media root (docs/deploy/nginx.conf).
    media_offload_prefix: str = "/_media/"

    def __post_init__(self) -> None:
        for name in MINIMUMS:
            problem = _whole_number_problem(name, getattr(self, name))
            if problem:
                raise InvalidInputError.single(name, problem)
        for name in SECONDS:
            problem = _seconds_problem(getattr(self, name))
            if problem:
                raise InvalidInputError.single(name, problem)
        problem = _secret_key_problem(self.secret_key)
        if problem:
            raise InvalidInputError.single("secret_key", problem)
        for origin in self.cors_origins:
            problem = _origin_problem(origin)
            if problem:
                raise InvalidInputError.single("cors_origins", problem)
        for name, check in _TEXT_RULES.items():
            problem = check(getattr(self, name))
            if problem:
                raise InvalidInputError.single(name, problem)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, overridden by ``STREAMCORE_*`` variables, overridden by ``overrides``.

        An override of ``None`` means "not given" and leaves the lower layer in place.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        errors: list[FieldError] = []
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            try:
                values[f.name] = _coerce(f.name, raw)
            except ValueError as exc:
                errors.append(FieldError(ENV_PREFIX + f.name.upper(), str(exc)))
        if errors:
            raise InvalidInputError(errors)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)  # type: ignore[arg-type]


def _whole_number_problem(name: str, value: object) -> str | None:
    # bool is an int to Python, never to a user.
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a whole number"
    if value < MINIMUMS[name]:
        return f"must be >= {MINIMUMS[name]}"
    maximum = MAXIMUMS.get(name)
    return f"must be <= {maximum}" if maximum is not None and value > maximum else None


def _seconds_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "must be a number of seconds"
    if value <= 0:
        return "must be > 0"
    return f"must be <= {MAX_SECONDS}" if value > MAX_SECONDS else None


def _secret_key_problem(value: object) -> str | None:
    # Only its length is judged and named: the message never carries the key.
    if value is None:
        return None
    if not isinstance(value, str) or len(value) < SECRET_KEY_LENGTH:
        return f"must be at least {SECRET_KEY_LENGTH} characters"
    return None


def _origin_problem(origin: object) -> str | None:
    # An origin is what a browser sends in its Origin header: scheme://host[:port], exactly.
    if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
        return "each origin must be scheme://host[:port], like https://app.example.com"
    return None


def _offload_problem(value: object) -> str | None:
    return None if value in MEDIA_OFFLOADS else f"must be {' or '.join(MEDIA_OFFLOADS)}"


def _prefix_problem(value: object) -> str | None:
    # It goes into a response header and an nginx location as it is: nothing to escape.
    if (
        not isinstance(value, str)
        or not _PREFIX.fullmatch(value)
        or any(part in {".", ".."} for part in value.split("/"))
    ):
        return "must be a path like /_media/: /, then letters, digits, - _ . and /, then /"
    return None


_TEXT_RULES = {"media_offload": _offload_problem, "media_offload_prefix": _prefix_problem}
"""Text settings with a rule, checked the same way from code and from the environment."""
_PREFIX = re.compile(r"/(?:[A-Za-z0-9._-]+/)+")
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


def _coerce(name: str, raw: str) -> object:
    if name in MINIMUMS:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
        problem = _whole_number_problem(name, value)
        if problem:
            raise ValueError(problem)
        return value
    if name in SECONDS:
        try:
            seconds = float(raw)
        except ValueError:
            raise ValueError("must be a number of seconds") from None
        problem = _seconds_problem(seconds)
        if problem:
            raise ValueError(problem)
        return seconds
    if name == "media_root":
        return Path(raw)
    if name == "cors_origins":
        origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
        problem = next(filter(None, map(_origin_problem, origins)), None)
        if problem:
            raise ValueError(problem)
        return origins
    if name == "secret_key":
        problem = _secret_key_problem(raw)
        if problem:
            raise ValueError(problem)
    if name in _TEXT_RULES:
        problem = _TEXT_RULES[name](raw)
        if problem:
            raise ValueError(problem)
    return raw
