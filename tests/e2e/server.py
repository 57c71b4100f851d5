"""A real ``streamcore serve`` in a subprocess on a free 127.0.0.1 port, stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

STREAMCORE = str(Path(sys.executable).with_name("streamcore"))
START_TIMEOUT = 90.0  # generous: on a loaded machine, spawned workers import FastAPI slowly


def free_port() -> int:
    """A port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running server: its base URL, its process and where its log goes."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.url.rsplit(":", 1)[1])

    def log(self) -> str:
        """Everything the server wrote so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs: object) -> httpx.Client:
        """An httpx client for this server."""
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it lingers; never by name."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> LiveServer:
    """Start ``streamcore serve`` in ``workdir``; return once ``/api/health`` answers 200.

    The server gets no ``STREAMCORE_*`` variable of the test run, only ``env``, and a SQLite
    file in ``workdir`` unless ``env`` names a database (an empty value: the CLI's default).
    """
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STREAMCORE_")}
    environ.update(env or {})
    environ.setdefault("STREAMCORE_DATABASE_URL", f"sqlite:///{workdir / 'streamcore.db'}")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [STREAMCORE, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=workdir,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamcore serve exited {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"streamcore serve did not answer in {START_TIMEOUT} s:\n{server.log()}")
