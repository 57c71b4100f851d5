"""A real media client reads a playback URL: ffprobe and ffmpeg against ``streamcore serve --demo``.

Issue 9, item 5. The subscriber logs in over HTTP and asks for a playback URL of a movie that
has the demo video; ffprobe and ffmpeg get that URL as it is, never a bearer token. They must
find the duration the local file has, decode at ``-ss`` the very frame the local file gives,
and be refused (ffmpeg sees the 401) once the URL is tampered with or has expired.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from streamcore import StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.demo import MEDIA_PATH
from tests.e2e.server import LiveServer, start_server
from tests.e2e.test_demo import ACCOUNT, STREAM, Demo
from tests.tools import needs

pytestmark = [
    pytest.mark.xdist_group("mediaclient"),  # one demo server for the module, on one worker
    needs("ffprobe", "ffmpeg"),
]

VIDEO = resources.files("streamcore.demo") / "streamcore-demo.mp4"
FPS = 24  # the demo video's frame rate (streamcore/demo/README.md)
STREAM_LINE = re.compile(r'"(?:GET|HEAD) /api/movie/\d+/stream\?\S* HTTP/1\.1" (\d{3})')
RANGE_SENT = re.compile(r"^Range: bytes=(\d+)-", re.MULTILINE)
TOOL_TIMEOUT = 30


@dataclass
class Client:
    """The demo server, the subscriber's bearer headers (for the API only) and the local file."""

    demo: Demo
    headers: dict[str, str]
    movie_id: int
    local: Path

    @property
    def server(self) -> LiveServer:
        """The running server."""
        return self.demo.server

    def playback_url(self) -> str:
        """A fresh playback URL of the movie, issued over HTTP to the subscriber."""
        with self.server.client(headers=self.headers) as http:
            answer = http.post(f"/api/movie/{self.movie_id}/playback")
        assert answer.status_code == 200, answer.text
        url: str = answer.json()["url"]
        assert url.startswith(self.server.url)
        assert self.headers["Authorization"].split()[1] not in url  # no bearer token in a URL
        return url


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One ``streamcore serve --demo`` for the module, and the subscriber logged in on it."""
    workdir = tmp_path_factory.mktemp("mediaclient")
    server = start_server(workdir, env={"STREAMCORE_DATABASE_URL": ""}, args=["--demo"])
    try:
        printed = server.log()
        passwords = {role: (email, pw) for role, email, pw in ACCOUNT.findall(printed)}
        match = STREAM.search(printed)
        assert match, printed
        demo = Demo(server, workdir, passwords, int(match.group(1)))
        headers = demo.login("subscriber")
        with server.client(headers=headers) as http:
            movie = http.get(f"/api/movie/{demo.playable}").json()
        assert movie["media_path"] == MEDIA_PATH  # the demo video, not some other file
        with resources.as_file(VIDEO) as local:
            yield Client(demo, headers, demo.playable, local)
    finally:
        server.stop()


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """A tool's run, its output captured; never raises on a non-zero exit."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT)


def duration(source: str) -> float:
    """What ffprobe reports as the duration of ``source`` (a path or a URL)."""
    probed = run(
        "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", source
    )
    assert probed.returncode == 0, probed.stderr
    return float(json.loads(probed.stdout)["format"]["duration"])


@dataclass(frozen=True)
class Frame:
    """The first video frame ffmpeg decodes after ``-ss``: its time and an MD5 of its pixels."""

    seconds: float
    md5: str
    stderr: str


def frame_at(source: str, seconds: float, *options: str) -> Frame:
    """Decode one frame of ``source`` from ``-ss seconds``; ``options`` go before ``-i``.

    ``-copyts`` keeps the stream's own timestamps, so the frame says where the seek landed;
    ``framemd5`` hashes the decoded picture itself, not an encoding of it.
    """
    argv = ["ffmpeg", "-nostdin", "-v", "debug", *options, "-copyts", "-ss", str(seconds)]
    argv += ["-i", source, "-map", "0:v:0", "-frames:v", "1", "-f", "framemd5", "-"]
    done = run(*argv)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line.split(",") for line in done.stdout.splitlines() if line.startswith("0,")]
    assert len(rows) == 1, done.stdout
    base = re.search(r"^#tb 0: 1/(\d+)$", done.stdout, re.MULTILINE)
    assert base, done.stdout
    pts = int(rows[0][2])
    return Frame(pts / int(base.group(1)), rows[0][5].strip(), done.stderr)


def stream_statuses(server: LiveServer, since: int, count: int) -> list[int]:
    """The statuses of the stream requests in the access log after offset ``since``.

    Waits a little for ``count`` of them: a line is written once its response is sent, which
    may be just after the client has exited.
    """
    deadline = time.monotonic() + 5
    while True:
        found = [int(code) for code in STREAM_LINE.findall(server.log()[since:])]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def tamper(url: str, part: str) -> str:
    """``url`` with one of its signed values changed (``movie``: the id in the path)."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    values = dict(parse_qsl(query))
    if part == "movie":
        path = re.sub(r"/movie/(\d+)/", lambda m: f"/movie/{int(m.group(1)) + 1}/", path)
    elif part == "sig":
        middle = len(values["sig"]) // 2
        flipped = "B" if values["sig"][middle] == "A" else "A"
        values["sig"] = values["sig"][:middle] + flipped + values["sig"][middle + 1 :]
    else:
        values[part] = str(int(values[part]) + 1)
    changed = urlunsplit((scheme, netloc, path, urlencode(values), fragment))
    assert changed != url
    return changed


def test_ffprobe_reads_the_duration_the_local_file_has(client: Client) -> None:
    since = len(client.server.log())
    remote = duration(client.playback_url())
    assert remote == pytest.approx(duration(str(client.local)), abs=0.05)
    assert 5 <= remote <= 10  # the demo video is 8 s: a probe of nothing would not say so
    statuses = stream_statuses(client.server, since, 1)
    assert statuses, "no stream request in the access log"
    assert set(statuses) == {206}, statuses  # ffmpeg asks for ranges (bytes=0-)


@pytest.mark.parametrize("seconds", [2.0, 5.0])
def test_ffmpeg_seeks_to_the_frame_the_local_file_gives(client: Client, seconds: float) -> None:
    local = frame_at(str(client.local), seconds)
    remote = frame_at(client.playback_url(), seconds)
    assert remote.md5 == local.md5
    assert abs(remote.seconds - seconds) < 1 / FPS  # the frame shown at t, not the keyframe
    other = frame_at(str(client.local), 7.0 - seconds)
    assert other.md5 != local.md5  # the pictures differ (a frame counter): the check can fail


def test_a_seek_beyond_the_read_ahead_is_a_range_request_answered_206(client: Client) -> None:
    """ffmpeg seeks forward by reading on while the target is within its TCP receive window,
    which on loopback holds the whole 300 KB demo; ``-short_seek_size 1`` makes it seek the way
    it does in a real movie, hours long: a new request from the target offset."""
    since = len(client.server.log())
    local = frame_at(str(client.local), 5.0)
    remote = frame_at(client.playback_url(), 5.0, "-short_seek_size", "1")
    assert remote.md5 == local.md5
    offsets = [int(start) for start in RANGE_SENT.findall(remote.stderr)]
    assert offsets[0] == 0, offsets
    assert any(start > 0 for start in offsets[1:]), offsets
    size = client.local.stat().st_size
    assert all(start < size for start in offsets)
    assert stream_statuses(client.server, since, len(offsets)) == [206] * len(offsets)


@pytest.mark.parametrize("part", ["sig", "user", "expires", "movie"])
def test_a_tampered_url_is_refused_and_ffmpeg_sees_401(client: Client, part: str) -> None:
    url = client.playback_url()
    assert run("ffprobe", "-v", "error", url).returncode == 0  # the URL as issued plays
    since = len(client.server.log())
    probed = run("ffprobe", "-v", "error", "-show_entries", "format=duration", tamper(url, part))
    assert probed.returncode != 0
    assert "401 Unauthorized" in probed.stderr, probed.stderr
    assert "duration=" not in probed.stdout
    assert stream_statuses(client.server, since, 1) == [401]


def test_an_expired_url_is_refused_and_ffmpeg_sees_401(client: Client) -> None:
    """Issued by the core with a playback URL lifetime of a few seconds: the same rule the
    server's ``STREAMCORE_PLAYBACK_TTL`` sets; the server checks the expiry on its own clock."""
    lifetime = 3
    workdir = client.demo.workdir
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'streamcore-demo.db'}",
        media_root=workdir / "media",
        playback_ttl=lifetime,
    )
    with StreamCore.open(settings) as core:
        email = client.demo.passwords["subscriber"][0]
        subscriber = core.auth.find_user(email, actor=SYSTEM).principal
        grant = core.playback.issue(client.movie_id, actor=subscriber)
    query = urlencode({"user": grant.user_id, "expires": grant.expires, "sig": grant.signature})
    url = f"{client.server.url}/api/movie/{client.movie_id}/stream?{query}"
    playing = run("ffprobe", "-v", "error", url)
    assert time.time() < grant.expires, "ffprobe took the URL's whole lifetime: a loaded machine"
    assert playing.returncode == 0, playing.stderr  # valid before its expiry
    time.sleep(max(0.0, grant.expires - time.time()) + 0.2)
    since = len(client.server.log())
    probed = run("ffprobe", "-v", "error", "-show_entries", "format=duration", url)
    assert probed.returncode != 0
    assert "401 Unauthorized" in probed.stderr, probed.stderr
    assert stream_statuses(client.server, since, 1) == [401]
    refused = httpx.get(url, timeout=10)
    assert "expired" in refused.json()["detail"]  # refused for its expiry, not its signature
