"""nginx in front of two ``streamcore serve``, with media offload: docs/deploy/nginx.conf, run.

One nginx for the module, on the shipped configuration (its ports, paths and user replaced:
tests/e2e/nginx.py), proxying to two streamcore servers with ``STREAMCORE_MEDIA_OFFLOAD=nginx``
on PostgreSQL when ``STREAMCORE_TEST_POSTGRES_URL`` is set, else on one SQLite file. Every
request goes through nginx, as a client's would; streamcore checks the caller and answers with
``X-Accel-Redirect``, nginx sends the bytes (ranges, 206/416, conditionals) and never shows the
header. As root, nginx's workers run as www-data: the media root and nginx's own directory are
made where that user may read them (pytest's tmp_path is not: it is under a 0700 directory).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from streamcore import StreamCore
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.upload import UPLOAD_DIR
from tests.conftest import POSTGRES_ENV, empty_postgres
from tests.contract.test_plans import in_state, make_movie, make_plan, make_user
from tests.e2e.nginx import Nginx, configuration, readable_dir, start_nginx
from tests.e2e.server import LiveServer, free_port, start_server
from tests.tools import needs

pytestmark = [
    needs("nginx"),
    pytest.mark.slow,
    pytest.mark.xdist_group("nginx"),  # one nginx and two servers for the module, one worker
]

PASSWORD = "correct horse battery"
SIZE = 3 * 1024 * 1024 + 17
CONTENT = random.Random(9).randbytes(SIZE)
ODD_NAME = "a film %41 #1; été?.webm"
"""A file name with every character a URI treats specially, and non-ASCII letters."""
MAX_UPLOAD = 8 * 1024 * 1024
PROBLEM = "application/problem+json"


@dataclass
class Site:
    """nginx, the two servers behind it, the media root, and who is who."""

    nginx: Nginx
    servers: list[LiveServer]
    media: Path
    core_settings: Settings
    ids: dict[str, int]
    tokens: dict[str, str]

    def client(self, who: str | None = None) -> httpx.Client:
        """A client of nginx, with ``who``'s bearer header."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.nginx.url, headers=headers, timeout=60)

    def stream(self, movie: str = "film") -> str:
        """The stream path of a movie."""
        return f"/api/movie/{self.ids[movie]}/stream"


def _database(request: pytest.FixtureRequest, base: Path) -> str:
    if os.environ.get(POSTGRES_ENV):
        url: str = request.getfixturevalue("postgres_url")
        empty_postgres(url)
        return url
    return f"sqlite:///{base / 'streamcore.db'}"


def _seed(settings: Settings, media: Path) -> dict[str, int]:
    for name, data in (("film.webm", CONTENT), ("other.mp4", CONTENT[:5000])):
        (media / name).write_bytes(data)
    (media / "gone.mp4").write_bytes(b"gone" * 100)
    (media / ODD_NAME).write_bytes(CONTENT[:70_000])
    (media / "flip.mp4").write_bytes(b"F" * 4096)
    with StreamCore.open(settings) as core:
        ids = {
            "film": make_movie(core, "Film", media_path="film.webm").id,
            "other": make_movie(core, "Other", media_path="other.mp4").id,
            "gone": make_movie(core, "Gone", media_path="gone.mp4").id,
            "odd": make_movie(core, "Odd", media_path=ODD_NAME).id,
            "flip": make_movie(core, "Flip", media_path="flip.mp4").id,
            "upload": make_movie(core, "Upload").id,
        }
        plan = make_plan(core)
        for movie in ("film", "gone", "odd", "flip"):
            core.plans.add_movie(plan.id, ids[movie], actor=SYSTEM)
        ann = make_user(core, "Ann")
        in_state(core, plan, ann, "active", datetime.now(UTC))
        make_user(core, "Bob")
        make_user(core, "Ed", role=Role.EDITOR)
        core.movies.delete(ids["gone"], actor=SYSTEM)
    return ids


@pytest.fixture(scope="module")
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The whole deployment, up; everything stopped by PID and removed afterwards."""
    # Not tmp_path: nginx's workers (www-data, as root) must enter these directories.
    base = readable_dir(Path(tempfile.mkdtemp(prefix="streamcore-nginx-")))
    started: list[LiveServer] = []
    nginx: Nginx | None = None
    try:
        media = readable_dir(base / "media")
        url = _database(request, base)
        settings = Settings(database_url=url, media_root=media)
        ids = _seed(settings, media)
        env = {
            "STREAMCORE_DATABASE_URL": url,
            "STREAMCORE_MEDIA_ROOT": str(media),
            "STREAMCORE_MEDIA_OFFLOAD": "nginx",
            "STREAMCORE_MAX_UPLOAD": str(MAX_UPLOAD),
        }
        for _ in range(2):
            started.append(start_server(tmp_path_factory.mktemp("worker"), env=env))
        port = free_port()
        config = configuration(
            port=port,
            upstreams=[s.port for s in started],
            media_root=media,
            prefix=base / "nginx",
            max_upload=f"{MAX_UPLOAD // (1024 * 1024)}m",
        )
        nginx = start_nginx(base / "nginx", config, port)
        tokens = {}
        for who in ("ann", "bob", "ed"):
            login = {"email": f"{who}@example.org", "password": PASSWORD}
            answer = httpx.post(f"{nginx.url}/api/auth/login", json=login, timeout=60)
            assert answer.status_code == 200, answer.text
            tokens[who] = answer.json()["access_token"]
        yield Site(nginx, started, media, settings, ids, tokens)
    finally:
        if nginx is not None:
            nginx.stop()
        for server in started:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_nginx_sends_the_whole_file_and_never_shows_the_header(site: Site) -> None:
    with site.client("ann") as http:
        answer = http.get(site.stream())
    assert answer.status_code == 200
    assert answer.content == CONTENT
    assert answer.headers["content-length"] == str(SIZE)
    assert answer.headers["content-type"] == "video/webm"
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "private, no-cache"
    assert "last-modified" in answer.headers
    assert "x-accel-redirect" not in answer.headers
    # What nginx was told, asked of a worker directly: the file, and no byte of it.
    direct = httpx.get(
        f"{site.servers[0].url}{site.stream()}",
        headers={"Authorization": f"Bearer {site.tokens['ann']}"},
    )
    assert direct.status_code == 200
    assert direct.headers["x-accel-redirect"] == "/_media/film.webm"
    assert direct.content == b""
    # nginx's ETag (mtime-size), not streamcore's: the bytes came from nginx.
    assert answer.headers["etag"] != direct.headers.get("etag")
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', answer.headers["etag"])


def test_byte_ranges_one_open_suffix_and_several(site: Site) -> None:
    with site.client("ann") as http:
        one = http.get(site.stream(), headers={"Range": "bytes=1000-200999"})
        assert one.status_code == 206
        assert one.headers["content-range"] == f"bytes 1000-200999/{SIZE}"
        assert one.content == CONTENT[1000:201000]
        open_ended = http.get(site.stream(), headers={"Range": f"bytes={SIZE - 10}-"})
        assert open_ended.status_code == 206
        assert open_ended.content == CONTENT[-10:]
        suffix = http.get(site.stream(), headers={"Range": "bytes=-500"})
        assert suffix.status_code == 206
        assert suffix.headers["content-range"] == f"bytes {SIZE - 500}-{SIZE - 1}/{SIZE}"
        assert suffix.content == CONTENT[-500:]
        several = http.get(site.stream(), headers={"Range": "bytes=0-9,100-199"})
    assert several.status_code == 206
    kind, _, boundary = several.headers["content-type"].partition("; boundary=")
    assert kind == "multipart/byteranges"
    parts = several.content.split(b"--" + boundary.encode())
    bodies = [part.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n") for part in parts[1:-1]]
    assert bodies == [CONTENT[0:10], CONTENT[100:200]]
    assert f"Content-Range: bytes 100-199/{SIZE}".encode() in several.content


def test_more_than_a_hundred_ranges_get_the_whole_file_once(site: Site) -> None:
    # max_ranges 100 in the shipped file: 101 one-byte ranges are no 101-part answer.
    many = ",".join(f"{index * 10}-{index * 10}" for index in range(101))
    with site.client("ann") as http:
        answer = http.get(site.stream(), headers={"Range": f"bytes={many}"})
        hundred = http.get(site.stream(), headers={"Range": f"bytes={many.rsplit(',', 1)[0]}"})
    assert answer.status_code == 200
    assert answer.content == CONTENT
    assert hundred.status_code == 206
    assert hundred.headers["content-type"].startswith("multipart/byteranges")


def test_an_unsatisfiable_range_is_a_416_problem(site: Site) -> None:
    with site.client("ann") as http:
        refused = http.get(site.stream(), headers={"Range": f"bytes={SIZE}-"})
    assert refused.status_code == 416
    assert refused.headers["content-range"] == f"bytes */{SIZE}"
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["status"] == 416


def test_head_gives_the_headers_and_no_body(site: Site) -> None:
    with site.client("ann") as http:
        head = http.head(site.stream())
    assert head.status_code == 200
    assert head.headers["content-length"] == str(SIZE)
    assert head.headers["content-type"] == "video/webm"
    assert head.content == b""
    assert "x-accel-redirect" not in head.headers


def test_conditional_requests_are_answered_by_nginx(site: Site) -> None:
    with site.client("ann") as http:
        etag = http.head(site.stream()).headers["etag"]
        assert http.get(site.stream(), headers={"If-None-Match": etag}).status_code == 304
        fresh = http.get(site.stream(), headers={"Range": "bytes=0-99", "If-Range": etag})
        assert fresh.status_code == 206
        assert fresh.content == CONTENT[:100]
        stale = http.get(site.stream(), headers={"Range": "bytes=0-99", "If-Range": '"old-1"'})
        assert stale.status_code == 200
        assert len(stale.content) == SIZE


def test_a_playback_url_issued_through_nginx_points_at_nginx_and_plays(site: Site) -> None:
    with site.client("ann") as http:
        # A client cannot make the URL https (or another host's) by sending its own header.
        issued = http.post(
            f"/api/movie/{site.ids['film']}/playback", headers={"X-Forwarded-Proto": "https"}
        )
    assert issued.status_code == 200, issued.text
    url = issued.json()["url"]
    assert url.startswith(f"{site.nginx.url}/api/movie/{site.ids['film']}/stream?")
    played = httpx.get(url, headers={"Range": "bytes=10-19"}, timeout=60)  # no header at all
    assert played.status_code == 206
    assert played.content == CONTENT[10:20]
    assert httpx.get(url, timeout=60).content == CONTENT
    # A worker asked directly from 127.0.0.1 (where nginx is) believes the header: so the
    # http above is nginx's own X-Forwarded-Proto, set over the client's.
    direct = httpx.post(
        f"{site.servers[0].url}/api/movie/{site.ids['film']}/playback",
        headers={"Authorization": f"Bearer {site.tokens['ann']}", "X-Forwarded-Proto": "https"},
    )
    assert direct.json()["url"].startswith(f"https://127.0.0.1:{site.servers[0].port}/")


def test_the_docs_and_the_openapi_document_come_through_nginx(site: Site) -> None:
    with site.client() as http:
        openapi = http.get("/openapi.json")
        assert openapi.status_code == 200
        assert "/api/movie/{id}/stream" in openapi.json()["paths"]
        assert http.get("/docs").status_code == 200
        assert http.get("/api/health").json() == {"status": "ok"}


def test_refusals_come_from_streamcore_unchanged(site: Site) -> None:
    with site.client() as anonymous:
        nobody = anonymous.get(site.stream())
        assert nobody.status_code == 401
        assert nobody.headers["content-type"] == PROBLEM
        assert nobody.headers["www-authenticate"].startswith("Bearer")
        internal = anonymous.get("/_media/film.webm")
        assert internal.status_code == 404  # nginx's own, as a problem too
        assert internal.headers["content-type"] == PROBLEM
    with site.client("bob") as http:
        not_entitled = http.get(site.stream())
        assert not_entitled.status_code == 403
        assert "may not watch" in not_entitled.json()["detail"]  # streamcore's answer
    with site.client("ann") as http:
        deleted = http.get(site.stream("gone"))
        assert deleted.status_code == 404
        assert deleted.json()["code"] == "not_found"
        url = http.post(f"/api/movie/{site.ids['film']}/playback").json()["url"]
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        both = http.get(f"{parts.path}?{parts.query}")  # a bearer header and a signed URL
        assert both.status_code == 422
    first = "A" if query["sig"][0] != "A" else "B"  # one character of the signature changed
    tampered = {**query, "sig": first + query["sig"][1:]}
    refused = httpx.get(f"{site.nginx.url}{parts.path}?{urlencode(tampered)}", timeout=60)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == PROBLEM
    for answer in (nobody, not_entitled, deleted, refused, both):
        assert "x-accel-redirect" not in answer.headers


def test_an_odd_file_name_reaches_nginx_intact(site: Site) -> None:
    direct = httpx.get(
        f"{site.servers[1].url}{site.stream('odd')}",
        headers={"Authorization": f"Bearer {site.tokens['ann']}"},
    )
    assert (
        direct.headers["x-accel-redirect"]
        == "/_media/a%20film%20%2541%20%231%3B%20%C3%A9t%C3%A9%3F.webm"
    )
    with site.client("ann") as http:
        answer = http.get(site.stream("odd"))
    assert answer.status_code == 200
    assert answer.content == CONTENT[:70_000]


def test_the_access_log_keeps_the_path_and_not_the_signature(site: Site) -> None:
    with site.client("ann") as http:
        url = http.post(f"/api/movie/{site.ids['film']}/playback").json()["url"]
    signature = parse_qs(urlsplit(url).query)["sig"][0]
    assert httpx.head(url, timeout=60).status_code == 200
    log = site.nginx.access_log()
    assert f'"HEAD /api/movie/{site.ids["film"]}/stream HTTP/1.1" 200' in log
    assert signature not in log
    assert "sig=" not in log
    assert "HEAD /_media/" not in log  # not $uri: that is the internal file after the redirect


def test_both_workers_answer_through_nginx(site: Site) -> None:
    with site.client("ann") as http:
        for _ in range(6):
            assert http.head(site.stream()).status_code == 200
    for server in site.servers:
        assert f"HEAD {site.stream()} HTTP/1.1" in server.log()


def test_an_upload_through_nginx_reaches_streamcore_as_it_is_sent_and_then_plays(
    site: Site,
) -> None:
    spool = site.media / UPLOAD_DIR
    seen_mid_upload: list[int] = []

    def body() -> Iterator[bytes]:
        for start in range(0, len(CONTENT), 256 * 1024):
            yield CONTENT[start : start + 256 * 1024]
            if start == 2 * 1024 * 1024:
                # nginx does not hold the body back: streamcore already writes it.
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    sizes = (
                        [p.stat().st_size for p in spool.glob("*.part")] if spool.exists() else []
                    )
                    if sizes and max(sizes) > 0:
                        seen_mid_upload.append(max(sizes))
                        break
                    time.sleep(0.05)

    movie = site.ids["upload"]
    with site.client("ed") as http:
        stored = http.put(
            f"/api/movie/{movie}/media", content=body(), headers={"Content-Type": "video/webm"}
        )
        assert stored.status_code == 200, stored.text
        assert stored.json()["size"] == SIZE
        assert seen_mid_upload, "the upload reached streamcore only once nginx had it all"
        too_large = http.put(
            f"/api/movie/{movie}/media",
            content=b"\0" * (MAX_UPLOAD + 1),
            headers={"Content-Type": "video/webm"},
        )
        assert too_large.status_code == 413
        assert too_large.headers["content-type"] == PROBLEM
    with site.client("ed") as http:  # stored by streamcore, readable by nginx's workers
        played = http.get(site.stream("upload"))
    assert played.status_code == 200
    assert played.content == CONTENT


def test_a_symlink_swapped_in_after_the_check_is_never_followed(site: Site) -> None:
    """Race: flip.mp4 turns into a link to a file outside the root and back, many times."""
    secret = site.media.parent / "outside.bin"
    secret.write_bytes(b"S" * 4096)
    secret.chmod(0o644)
    path = site.media / "flip.mp4"
    regular, link = site.media / "flip.regular", site.media / "flip.link"
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            regular.write_bytes(b"F" * 4096)
            os.replace(regular, path)
            link.symlink_to(secret)
            time.sleep(0.001)  # about as long a regular file as a link
            os.replace(link, path)
            time.sleep(0.0005)

    flipper = threading.Thread(target=flip)
    flipper.start()
    statuses: dict[int, int] = {}
    try:
        with site.client("ann") as http:
            for _ in range(150):
                answer = http.get(site.stream("flip"))
                assert answer.content != b"S" * 4096
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    finally:
        stop.set()
        flipper.join()
        (site.media / "flip.regular").write_bytes(b"F" * 4096)
        os.replace(site.media / "flip.regular", path)
    # 404: streamcore saw the link (it leads out of the root); 409: nginx did (refused).
    assert set(statuses) <= {200, 404, 409}, statuses
    assert statuses.get(200), statuses
