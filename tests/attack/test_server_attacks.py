"""A real ``streamcore serve`` under attack: what its log keeps, what a crash leaves behind.

Each test starts its own server on a SQLite file in its directory (one needs to kill its
server with SIGKILL, by PID, mid-upload; the other reads a whole log).
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.movies.models import MovieCreate
from tests.e2e.server import LiveServer, start_server

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
MIB = 1024 * 1024
DAY = 24 * 3600


def seed(workdir: Path) -> tuple[int, int]:
    """An editor and two movies (one with a file) in the server's SQLite file: their ids."""
    media = workdir / "media"
    media.mkdir(exist_ok=True)
    (media / "film.mp4").write_bytes(bytes(range(256)) * 64)
    with StreamCore.open(f"sqlite:///{workdir / 'streamcore.db'}") as core:
        data = UserCreate(email="ed@example.com", password=PASSWORD, name="Ed", role=Role.EDITOR)
        core.auth.create_user(data, actor=SYSTEM)
        viewer = UserCreate(email="sub@example.com", password=PASSWORD, name="Sub")
        core.auth.create_user(viewer, actor=SYSTEM)
        film = core.movies.create(
            MovieCreate(title="Film", year=2000, media_path="film.mp4"), actor=SYSTEM
        )
        empty = core.movies.create(MovieCreate(title="Empty", year=2001), actor=SYSTEM)
    return film.id, empty.id


def token(live: LiveServer, email: str = "ed@example.com") -> str:
    """The editor's (or ``email``'s) bearer token."""
    with live.client() as http:
        login = http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    value: str = login.json()["access_token"]
    return value


def parts(root: Path) -> list[Path]:
    """The temporary files of uploads under the media root."""
    spool = root / ".upload"
    return sorted(spool.iterdir()) if spool.exists() else []


@pytest.mark.parametrize("level", ["default", "--verbose"])
def test_no_signature_or_token_reaches_the_log(tmp_path: Path, level: str) -> None:
    film, _ = seed(tmp_path)
    live = start_server(tmp_path, args=[] if level == "default" else [level])
    try:
        bearer = token(live)
        with live.client(headers={"Authorization": f"Bearer {bearer}"}) as http:
            url = http.post(f"/api/movie/{film}/playback").json()["url"]
        sig = parse_qs(urlsplit(url).query)["sig"][0]
        with live.client() as http:
            assert http.get(url, headers={"Range": "bytes=0-9"}).status_code == 206
            assert http.head(url).status_code == 200
            tampered = url.replace(sig, sig[::-1])
            assert http.get(tampered).status_code == 401
            twice = f"{url}&sig={sig}"
            assert http.get(twice).status_code == 422
            both = http.get(url, headers={"Authorization": f"Bearer {bearer}"})
            assert both.status_code == 422
            for answer in (both, http.get(twice), http.get(tampered)):
                assert sig not in answer.text
                assert bearer not in answer.text
    finally:
        live.stop()
    log = live.log()
    assert f'/api/movie/{film}/stream?user=***&expires=***&sig=*** HTTP/1.1" 206' in log
    for secret in (sig, sig[::-1], sig[:12], bearer, bearer[:16]):
        assert secret not in log
    with closing(sqlite3.connect(tmp_path / "streamcore.db")) as db:
        (key,) = db.execute("SELECT value FROM secrets").fetchone()
    for shown in (repr(bytes(key))[2:-1], bytes(key).hex(), base64.b64encode(key).decode()):
        assert shown[:16] not in log  # nor the generated key, as any log would print it


def test_a_server_killed_mid_upload_leaves_a_part_that_is_cleaned_later(tmp_path: Path) -> None:
    _, empty = seed(tmp_path)
    root = tmp_path / "media"
    live = start_server(tmp_path)
    try:
        bearer = token(live)
        head = (
            f"PUT /api/movie/{empty}/media HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {bearer}\r\nContent-Type: video/mp4\r\n"
            f"Content-Length: {8 * MIB}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", live.port)) as raw:
            raw.sendall(head + b"\x00" * (2 * MIB))
            deadline = time.monotonic() + 10
            while not any(p.stat().st_size >= MIB for p in parts(root)):
                assert time.monotonic() < deadline, "the upload never started"
                time.sleep(0.05)
            os.kill(live.process.pid, signal.SIGKILL)  # our own server, by its PID
            live.process.wait(timeout=10)
    finally:
        live.stop()
    left = parts(root)
    assert len(left) == 1  # what a crash leaves: the temporary file, never a media file
    assert not (root / "movies").exists()
    # A day later (its clock moved back, as a day of idleness would), another server runs.
    stale = time.time() - 2 * DAY
    os.utime(left[0], (stale, stale))
    again = start_server(tmp_path)
    try:
        with again.client(headers={"Authorization": f"Bearer {token(again)}"}) as http:
            stored = http.put(
                f"/api/movie/{empty}/media",
                content=b"\x00" * 1000,
                headers={"Content-Type": "video/mp4"},
            )
            assert stored.status_code == 200, stored.text
    finally:
        again.stop()
    assert parts(root) == []


def _answer_to_expect(
    live: LiveServer, bearer: str, movie_id: int, content_type: str = "video/mp4"
) -> bytes:
    """What the server says to a 20 GiB upload's headers with Expect: 100-continue."""
    head = (
        f"PUT /api/movie/{movie_id}/media HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {bearer}\r\nContent-Type: {content_type}\r\n"
        f"Expect: 100-continue\r\nContent-Length: {20 * 1024**3 - 1}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as raw:
        raw.sendall(head)
        return raw.recv(65536)


def test_a_refused_upload_is_refused_before_the_client_sends_its_body(tmp_path: Path) -> None:
    """Expect: 100-continue: a subscriber or a 415 gets its answer, never a "send it"."""
    _, empty = seed(tmp_path)
    live = start_server(tmp_path)
    try:
        refused = _answer_to_expect(live, token(live, "sub@example.com"), empty)
        assert refused.startswith(b"HTTP/1.1 403 "), refused[:80]
        missing = _answer_to_expect(live, token(live), 999_999)
        assert missing.startswith(b"HTTP/1.1 404 "), missing[:80]
        html = _answer_to_expect(live, token(live), empty, "text/html")
        assert html.startswith(b"HTTP/1.1 415 "), html[:80]
        welcome = _answer_to_expect(live, token(live), empty)
        assert welcome.startswith(b"HTTP/1.1 100 "), welcome[:80]
    finally:
        live.stop()
    assert parts(tmp_path / "media") == []
