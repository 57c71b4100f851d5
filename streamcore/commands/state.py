"""What every command shares: the global options, the log set-up and a lazily opened core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from streamcore.commands.log import CliLogging

if TYPE_CHECKING:
    from streamcore.auth.permissions import Principal
    from streamcore.config import Settings
    from streamcore.core import StreamCore


@dataclass
class CliState:
    """Global options, and the core opened on first use (``--help`` never opens one)."""

    database_url: str | None = None
    json: bool = False
    logs: CliLogging = field(default_factory=CliLogging, repr=False)
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
        """The opened core (the CLI acts as a trusted local administrator: ``SYSTEM``)."""
        if self._core is None:
            from streamcore.core import StreamCore

            self._core = StreamCore.open(self.settings())
        return self._core

    def close(self) -> None:
        """Close the core if a command opened one, and give the loggers back."""
        try:
            if self._core is not None:
                self._core.close()
                self._core = None
        finally:
            self.logs.undo()


def state_of(ctx: typer.Context) -> CliState:
    """The invocation's state, kept on the root context; made on first use, closed with it."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
        root.call_on_close(root.obj.close)
    return root.obj
