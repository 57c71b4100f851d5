"""Settings: defaults, then environment, then explicit overrides (CLI options).

``Settings.from_env`` is called by the faces; nothing reads the environment at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from streamcore.errors import FieldError, InvalidInputError

ENV_PREFIX = "STREAMCORE_"
MINIMUMS = {"token_ttl": 1, "grace_days": 0}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a core needs to open; see docs/configuration.md."""

    database_url: str = "sqlite:///streamcore.db"
    media_root: Path = Path("media")
    smtp_url: str | None = None
    mail_from: str = "streamcore@localhost"
    token_ttl: int = 86400
    grace_days: int = 3

    def __post_init__(self) -> None:
        for name, minimum in MINIMUMS.items():
            if getattr(self, name) < minimum:
                raise InvalidInputError.single(name, f"must be >= {minimum}")

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


def _coerce(name: str, raw: str) -> object:
    if name in MINIMUMS:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if value < MINIMUMS[name]:
            raise ValueError(f"must be >= {MINIMUMS[name]}")
        return value
    if name == "media_root":
        return Path(raw)
    return raw
