"""What every command shares: the global options and a lazily opened core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from streamcore.auth.permissions import Principal
    from streamcore.config import Settings
    from streamcore.core import StreamCore


@dataclass
class CliState:
    """Global options, and the core opened on first use (``--help`` never opens one)."""

    database_url: str | None = None
    json: bool = False
    _core: StreamCore | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """Defaults, then the environment, then ``--database-url``."""
        from streamcore.config import Settings

        return Settings.from_env(database_url=self.database_url)

    @property
    def actor(self) -> Principal:
        """Whom the CLI acts as: the trusted local caller (whoever may run it may do anything)."""
        from streamcore.auth.permissions import SYSTEM

        return SYSTEM

    def core(self) -> StreamCore:
        """The opened core (the CLI acts as a trusted local administrator)."""
        if self._core is None:
            from streamcore.core import StreamCore

            self._core = StreamCore.open(self.settings())
        return self._core

    def close(self) -> None:
        """Close the core if a command opened one."""
        if self._core is not None:
            self._core.close()
            self._core = None


def state_of(ctx: typer.Context) -> CliState:
    """The state the root callback stored (a fresh one when a group is invoked alone)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()
