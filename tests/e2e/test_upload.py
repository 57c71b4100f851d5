"""Uploads through a real server: a client that hangs up leaves nothing; memory stays flat."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.e2e.server import LiveServer

MIB = 1024 * 1024


def media_files(root: Path) -> list[Path]:
    """Every file under the media root, temporary ones too."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_client_that_hangs_up_mid_upload_leaves_nothing(
    upload_server: tuple[LiveServer, int, str], tmp_path: Path
) -> None:
    live, movie_id, token = upload_server
    root = tmp_path / "media"
    request = (
        f"PUT /api/movie/{movie_id}/media HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: video/mp4\r\n"
        f"Content-Length: {64 * MIB}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live.port)) as raw:
        raw.sendall(request)
        for _ in range(4):
            raw.sendall(b"\x00" * MIB)
        deadline = time.monotonic() + 10
        while not media_files(root) and time.monotonic() < deadline:
            time.sleep(0.05)  # the upload has begun: its temporary file exists
        assert media_files(root), "the upload never started"
    deadline = time.monotonic() + 10
    while media_files(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert media_files(root) == []
    with live.client() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        assert http.get(f"/api/movie/{movie_id}").json()["media_path"] is None
        assert http.get("/api/health").status_code == 200


def peak_rss(live: LiveServer) -> int:
    """The server's peak resident memory so far, bytes (``VmHWM``)."""
    status = Path(f"/proc/{live.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_a_large_upload_keeps_memory_flat(
    upload_server: tuple[LiveServer, int, str], tmp_path: Path
) -> None:
    live, movie_id, token = upload_server
    size = 256 * MIB
    block = b"\x5a" * MIB

    def body() -> Iterator[bytes]:
        for _ in range(size // MIB):
            yield block

    before = peak_rss(live)
    with httpx.Client(base_url=live.url, timeout=120) as http:
        answer = http.put(
            f"/api/movie/{movie_id}/media",
            content=body(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "video/mp4"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["size"] == size
    grown = peak_rss(live) - before
    assert grown < 48 * MIB, f"the server's peak RSS grew by {grown / MIB:.0f} MiB"
    stored = tmp_path / "media" / answer.json()["movie"]["media_path"]
    assert stored.stat().st_size == size
