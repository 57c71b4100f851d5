"""What the benchmark scripts share: the machine's state, the commit, SQL capture, servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def git_commit() -> str | None:
    """The project's commit, with ``+dirty`` when ``streamcore/`` has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "streamcore"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: how busy the machine was (2 cores: 2.0 is full)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


@contextmanager
def captured_sql(
    engine: Any, *, selects_only: bool = False
) -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Record the statements (and their driver-level parameters) the engine sends."""
    from sqlalchemy import event

    statements: list[tuple[str, tuple[Any, ...]]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if not selects_only or statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, tuple(parameters or ())))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on now (a server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID, then SIGKILL if it lingers; never by name."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until_up(
    process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60.0
) -> None:
    """Return once ``url`` gets any HTTP answer; the server's log in the error otherwise."""
    import httpx  # only the scripts that start servers need it

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{log.read_text()}")
