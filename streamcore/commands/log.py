"""Where the CLI's log lines go: stderr, one line per record, streamcore's loggers only.

The default level is INFO, so that a user sees what the default log mailer would have sent
(``streamcore movie add`` with users who asked to hear of new movies). ``--quiet`` shows
warnings and errors only; ``--verbose`` shows DEBUG lines, which carry the traceback of a
failed listener or mailer and the addresses the log mailer would have mailed.
"""

from __future__ import annotations

import logging

import typer

LOGGER = "streamcore"
FORMAT = "%(levelname)s %(name)s: %(message)s"
QUIET, NORMAL, VERBOSE = logging.WARNING, logging.INFO, logging.DEBUG


class StderrHandler(logging.Handler):
    """Writes each record to the current stderr (a test runner swaps it per invocation)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Print the formatted record, traceback lines included when it carries one."""
        try:
            typer.echo(self.format(record), err=True)
        except Exception:
            self.handleError(record)


class CliLogging:
    """streamcore's loggers on stderr for one CLI invocation; ``undo`` restores them."""

    def __init__(self, level: int = NORMAL) -> None:
        self._logger = logging.getLogger(LOGGER)
        self._previous_level = self._logger.level
        self._handler = StderrHandler()
        self._handler.setFormatter(logging.Formatter(FORMAT))
        self._logger.addHandler(self._handler)
        self.set_level(level)

    def set_level(self, level: int) -> None:
        """Show records at ``level`` and above."""
        self._logger.setLevel(level)
        self._handler.setLevel(level)

    @property
    def level(self) -> int:
        """The lowest level shown (``streamcore serve`` hands it on to uvicorn's loggers)."""
        return self._handler.level

    def undo(self) -> None:
        """Remove the handler and put the logger's level back (in-process runs stay apart)."""
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._previous_level)
