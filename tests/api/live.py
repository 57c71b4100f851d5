"""Real sockets for the tests that need them: uvicorn serving an app, and a TCP proxy to cut.

``LiveServer`` runs uvicorn in a thread of the test process on a socket bound to a free
127.0.0.1 port (so ``caplog`` sees uvicorn's log), and stops it by asking it to exit.
``CuttableProxy`` forwards a port to PostgreSQL until ``cut`` closes it and every connection
through it: the database then really is unreachable for the core behind it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1:``port``."""

    app: Any
    sock: socket.socket = field(init=False)
    server: uvicorn.Server = field(init=False)
    thread: threading.Thread = field(init=False)

    @property
    def port(self) -> int:
        """The port it listens on."""
        port: int = self.sock.getsockname()[1]
        return port

    def __enter__(self) -> LiveServer:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        # log_config=None: uvicorn's loggers propagate to the root logger (and caplog).
        config = uvicorn.Config(self.app, log_config=None, lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    def connect(self) -> socket.socket:
        """A raw TCP connection to the server (5 s timeout)."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


def read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and whatever body has arrived of one HTTP/1.1 response on ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(body)))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


@dataclass
class CuttableProxy:
    """Forwards 127.0.0.1:``port`` to ``target`` until ``cut``."""

    target: tuple[str, int]
    listener: socket.socket = field(init=False)
    conns: list[socket.socket] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        """The port clients connect to."""
        port: int = self.listener.getsockname()[1]
        return port

    def __enter__(self) -> CuttableProxy:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()

    def cut(self) -> None:
        """Close the port and every connection through it (new ones are refused)."""
        # shutdown first: close alone leaves a thread blocked in accept() still accepting.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for conn in self.conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self.conns.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(self.target, timeout=5)
            with self.lock:
                self.conns += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        source.settimeout(None)
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def served(app: Any) -> Iterator[LiveServer]:
    """``LiveServer(app)`` for a ``with`` block."""
    with LiveServer(app) as server:
        yield server
