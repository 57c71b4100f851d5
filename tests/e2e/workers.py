"""Which worker process of a server answered: asked of the kernel, not of the server.

uvicorn's workers share one listening socket and the kernel hands each new connection to one
of them. Linux's ``/proc`` says which process holds the server's end of a connection: its
socket's inode is in ``/proc/net/tcp`` (by the two ports) and among that process's open files.
So a test can tell the workers apart without the server exposing anything of the kind.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
ON_LINUX = sys.platform == "linux" and (PROC / "net" / "tcp").exists()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def uvicorn_workers(pid: int, count: int, timeout: float = 30) -> set[int]:
    """The ``count`` worker processes of the uvicorn supervisor ``pid``, once all are there.

    Workers are started by multiprocessing's spawn (``spawn_main``); its resource tracker,
    also a child, is no worker.
    """
    deadline = time.monotonic() + timeout
    while True:
        workers = {child for child in descendants(pid) if b"spawn_main" in _cmdline(child)}
        if len(workers) >= count or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def _cmdline(pid: int) -> bytes:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the loopback connection between the two ports."""
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == server_port and (
                int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return inode
    return None


def socket_owner(pids: set[int], server_port: int, client_port: int) -> int | None:
    """Which of ``pids`` holds the server's end of that connection."""
    inode = _socket_inode(server_port, client_port)
    if inode is None or inode == "0":
        return None
    wanted = f"socket:[{inode}]"
    for pid in pids:
        fds = PROC / str(pid) / "fd"
        try:
            for fd in fds.iterdir():
                if os.readlink(fd) == wanted:
                    return pid
        except OSError:
            continue
    return None


@dataclass
class Answer:
    """An HTTP answer, read whole."""

    status: int
    headers: dict[str, str]
    body: Any


class WorkerConnection:
    """A kept-alive HTTP connection to a server, and the worker process that accepted it.

    uvicorn closes a connection idle for 5 s (``timeout_keep_alive``); on a busy machine the
    test may pause that long, so a connection idle for ``FRESH_FOR`` is replaced, before the
    next request, by a new one that the same worker accepted.
    """

    FRESH_FOR = 2.0
    RECONNECT_TRIES = 200

    def __init__(self, port: int, workers: set[int]) -> None:
        self.port = port
        self.workers = workers
        self.connection, self.worker = self._connect()
        self.last_used = time.monotonic()

    def _connect(self) -> tuple[http.client.HTTPConnection, int | None]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.connect()
        assert connection.sock is not None
        client_port = connection.sock.getsockname()[1]
        connection.request("GET", "/api/health")  # once answered, the worker surely holds it
        connection.getresponse().read()
        return connection, socket_owner(self.workers, self.port, client_port)

    def _refresh(self) -> None:
        """Replace an idle connection by one the same worker accepted."""
        self.connection.close()
        for _ in range(self.RECONNECT_TRIES):
            connection, worker = self._connect()
            if worker == self.worker:
                self.connection = connection
                return
            connection.close()
            time.sleep(0.02)
        raise AssertionError(f"no new connection reached worker {self.worker}")

    def request(
        self, method: str, path: str, body: object = None, token: str | None = None
    ) -> Answer:
        """``method path`` with a JSON ``body`` and a bearer ``token``, on this worker."""
        if time.monotonic() - self.last_used > self.FRESH_FOR:
            self._refresh()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body) if body is not None else None
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        self.last_used = time.monotonic()
        parsed = json.loads(raw) if raw else None
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, parsed)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def one_connection_per_worker(port: int, workers: set[int], tries: int = 200) -> list[Any]:
    """A connection accepted by each of ``workers``: new ones until every worker took one."""
    kept: dict[int, WorkerConnection] = {}
    for _ in range(tries):
        connection = WorkerConnection(port, workers)
        if connection.worker is None or connection.worker in kept:
            connection.close()
            time.sleep(0.02)  # a worker still starting takes no connection yet
        else:
            kept[connection.worker] = connection
        if len(kept) == len(workers):
            return [kept[pid] for pid in sorted(kept)]
    for connection in kept.values():
        connection.close()
    raise AssertionError(f"{tries} connections reached only workers {sorted(kept)} of {workers}")
