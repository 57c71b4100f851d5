"""``GET``/``HEAD /api/movie/{id}/stream``: ranges, conditions, who may play (SPEC §3.5)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

import anyio
import pytest

from streamcore.api.streaming import CHUNK_SIZE, MediaResponse
from streamcore.auth.permissions import SYSTEM
from tests.api.conftest import Api
from tests.conftest import FakeClock
from tests.contract.test_plans import in_state, make_movie, make_plan

SIZE = 2 * CHUNK_SIZE + 12_345  # several chunks and a short last one
CONTENT = random.Random(8).randbytes(SIZE)
PROBLEM = "application/problem+json"


@dataclass
class Film:
    """A movie with a media file, and the path of that file."""

    id: int
    url: str
    path: Path


@pytest.fixture
def film(api: Api) -> Film:
    root = api.core.settings.media_root
    (root / "films").mkdir(parents=True)
    path = root / "films" / "alien.mp4"
    path.write_bytes(CONTENT)
    movie = make_movie(api.core, "Alien", 1979, media_path="films/alien.mp4")
    return Film(movie.id, f"/api/movie/{movie.id}/stream", path)


# -- whole file, HEAD ----------------------------------------------------------------------


def test_the_whole_file_with_its_validators(api: Api, film: Film) -> None:
    answer = api.request("GET", film.url, "editor")
    assert answer.status_code == 200
    assert answer.content == CONTENT
    headers = answer.headers
    assert headers["content-type"] == "video/mp4"
    assert headers["content-length"] == str(SIZE)
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"][0] == headers["etag"][-1] == '"'  # strong: If-Range may use it
    assert headers["last-modified"] == formatdate(film.path.stat().st_mtime, usegmt=True)
    assert headers["cache-control"] == "private, no-cache"
    assert headers["x-content-type-options"] == "nosniff"


def test_head_gives_the_headers_and_no_body(api: Api, film: Film) -> None:
    whole = api.request("GET", film.url, "editor")
    head = api.request("HEAD", film.url, "editor")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-length", "content-type", "etag", "last-modified", "accept-ranges"):
        assert head.headers[name] == whole.headers[name]
    ranged = api.request("HEAD", film.url, "editor", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged.content == b""
    assert ranged.headers["content-range"] == f"bytes 10-19/{SIZE}"
    assert ranged.headers["content-length"] == "10"


# -- ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        (f"bytes={CHUNK_SIZE - 5}-{CHUNK_SIZE + 5}", CHUNK_SIZE - 5, CHUNK_SIZE + 5),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        (f"bytes=-{SIZE * 2}", 0, SIZE - 1),  # a suffix longer than the file: all of it
        (f"bytes=5-{SIZE * 2}", 5, SIZE - 1),  # a last byte past the end: up to the end
    ],
)
def test_a_single_range(api: Api, film: Film, spec: str, start: int, end: int) -> None:
    answer = api.request("GET", film.url, "editor", headers={"Range": spec})
    assert answer.status_code == 206, answer.text
    assert answer.content == CONTENT[start : end + 1]
    assert answer.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert answer.headers["content-length"] == str(end - start + 1)
    assert answer.headers["content-type"] == "video/mp4"


@pytest.mark.parametrize("spec", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}"])
def test_an_unsatisfiable_range_is_a_416_problem(api: Api, film: Film, spec: str) -> None:
    answer = api.request("GET", film.url, "editor", headers={"Range": spec})
    assert answer.status_code == 416
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["content-range"] == f"bytes */{SIZE}"
    body = answer.json()
    assert body["status"] == 416
    assert body["code"] == "range_not_satisfiable"
    assert str(SIZE) in body["detail"]


@pytest.mark.parametrize("spec", ["bytes=20-10", "bytes=abc", "bytes"])
def test_a_malformed_byte_range_is_a_400_problem(api: Api, film: Film, spec: str) -> None:
    answer = api.request("GET", film.url, "editor", headers={"Range": spec})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"].startswith("Range: must be bytes=first-last")


def test_a_range_of_another_unit_is_ignored(api: Api, film: Film) -> None:
    answer = api.request("GET", film.url, "editor", headers={"Range": "items=0-5"})
    assert answer.status_code == 200
    assert answer.content == CONTENT


def test_several_ranges_come_as_multipart_byteranges(api: Api, film: Film) -> None:
    answer = api.request("GET", film.url, "editor", headers={"Range": "bytes=0-9,-10"})
    assert answer.status_code == 206
    content_type = answer.headers["content-type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    assert answer.headers["content-length"] == str(len(answer.content))
    body = answer.content
    assert f"Content-Range: bytes 0-9/{SIZE}".encode() in body
    assert f"Content-Range: bytes {SIZE - 10}-{SIZE - 1}/{SIZE}".encode() in body
    assert CONTENT[:10] in body
    assert CONTENT[-10:] in body


# -- conditional requests -----------------------------------------------------------------


def test_if_none_match_with_the_etag_is_a_304(api: Api, film: Film) -> None:
    etag = api.request("GET", film.url, "editor").headers["etag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        answer = api.request("GET", film.url, "editor", headers={"If-None-Match": value})
        assert answer.status_code == 304, value
        assert answer.content == b""
        assert answer.headers["etag"] == etag
        assert "content-length" not in answer.headers or answer.headers["content-length"] == "0"
    other = api.request("GET", film.url, "editor", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    assert other.content == CONTENT


def test_if_modified_since(api: Api, film: Film) -> None:
    last_modified = api.request("HEAD", film.url, "editor").headers["last-modified"]
    same = api.request("GET", film.url, "editor", headers={"If-Modified-Since": last_modified})
    assert same.status_code == 304
    older = formatdate(film.path.stat().st_mtime - 3600, usegmt=True)
    changed = api.request("GET", film.url, "editor", headers={"If-Modified-Since": older})
    assert changed.status_code == 200
    junk = api.request("GET", film.url, "editor", headers={"If-Modified-Since": "yesterday"})
    assert junk.status_code == 200


def test_a_replaced_file_gets_a_new_etag(api: Api, film: Film) -> None:
    before = api.request("HEAD", film.url, "editor").headers["etag"]
    stat = film.path.stat()
    fresh = film.path.with_suffix(".tmp")
    fresh.write_bytes(CONTENT[::-1])
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime
    fresh.replace(film.path)
    answer = api.request("GET", film.url, "editor", headers={"If-None-Match": before})
    assert answer.status_code == 200
    assert answer.headers["etag"] != before
    assert answer.content == CONTENT[::-1]


def test_if_range_gives_the_range_only_while_the_file_is_unchanged(api: Api, film: Film) -> None:
    head = api.request("HEAD", film.url, "editor").headers
    ranged = {"Range": "bytes=0-99"}
    for validator in (head["etag"], head["last-modified"]):
        same = api.request("GET", film.url, "editor", headers={**ranged, "If-Range": validator})
        assert same.status_code == 206, validator
        assert same.content == CONTENT[:100]
    stale_date = formatdate(film.path.stat().st_mtime - 3600, usegmt=True)
    for validator in ('"something-else"', f"W/{head['etag']}", stale_date):
        other = api.request("GET", film.url, "editor", headers={**ranged, "If-Range": validator})
        assert other.status_code == 200, validator
        assert other.content == CONTENT


# -- who may play -------------------------------------------------------------------------


def test_an_anonymous_caller_gets_a_401(api: Api, film: Film) -> None:
    answer = api.request("GET", film.url)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["content-type"] == PROBLEM


def test_a_subscriber_plays_only_what_its_plan_holds(
    api: Api, film: Film, clock: FakeClock
) -> None:
    plan = make_plan(api.core)
    api.core.plans.add_movie(plan.id, film.id, actor=SYSTEM)
    ann_id = api.user(email="ann@example.com")
    in_state(api.core, plan, api.core.auth.get_user(ann_id, actor=SYSTEM), "active", clock.now)
    ann = api.client.get(film.url, headers=api.headers("ann@example.com"))
    assert ann.status_code == 200
    assert ann.content == CONTENT
    refused = api.request("GET", film.url, "subscriber")  # no subscription
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "permission_denied"
    head = api.request("HEAD", film.url, "subscriber")
    assert head.status_code == 403


def test_a_deleted_or_unknown_movie_is_a_404(api: Api, film: Film) -> None:
    api.core.movies.delete(film.id, actor=SYSTEM)
    for role in ("editor", "admin", "subscriber"):
        answer = api.request("GET", film.url, role)
        assert answer.status_code == 404, role
        assert answer.json()["detail"] == f"movie {film.id} not found"
    assert api.request("GET", "/api/movie/999/stream", "editor").status_code == 404


def test_a_missing_file_is_a_404_that_names_no_server_path(api: Api, film: Film) -> None:
    film.path.unlink()
    answer = api.request("GET", film.url, "editor")
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"movie {film.id} cannot be played: its media file is missing"
    assert str(film.path.parent) not in answer.text


def test_a_symlink_out_of_the_root_is_a_404(api: Api, film: Film, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside")
    film.path.unlink()
    film.path.symlink_to(tmp_path / "secret.txt")
    answer = api.request("GET", film.url, "editor")
    assert answer.status_code == 404
    assert "outside the media root" in answer.json()["detail"]
    assert str(tmp_path) not in answer.text


def test_a_non_integer_id_is_a_422(api: Api, film: Film) -> None:
    answer = api.request("GET", "/api/movie/abc/stream", "editor")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM


def test_other_methods_are_a_405(api: Api, film: Film) -> None:
    answer = api.request("POST", film.url, "editor")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM


def test_the_route_is_in_the_openapi_document(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    operations = paths["/api/movie/{id}/stream"]
    assert set(operations) >= {"get", "head"}
    assert {"200", "206", "304", "401", "403", "404", "416"} <= set(operations["get"]["responses"])


# -- the file described is the file sent --------------------------------------------------


def replace_keeping_stat(path: Path, content: bytes) -> None:
    """Rename a new file over ``path``, with the same size and mtime as the old one."""
    stat = path.stat()
    fresh = path.with_suffix(".new")
    fresh.write_bytes(content)
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fresh.replace(path)


def call(response: MediaResponse, on_start: Any = None) -> tuple[int, dict[str, str], bytes]:
    """Run ``response`` as an ASGI app for a GET; its status, headers and body."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        raise AssertionError  # never reached

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and on_start:
            on_start()
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": [], "asgi": {"spec_version": "2.4"}}
    anyio.run(response, scope, receive, send)
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_a_file_replaced_once_the_headers_are_out_is_still_the_one_sent(
    api: Api, film: Film
) -> None:
    # Starlette alone opens the path again after sending the headers: it would send the new
    # bytes under the old ETag. The response reads the file it checked before the headers.
    media = api.core.playback.open(film.id, actor=SYSTEM)
    status, headers, body = call(
        MediaResponse(media), on_start=lambda: replace_keeping_stat(film.path, CONTENT[::-1])
    )
    assert status == 200
    assert headers["etag"] == f'"{media.version}"'
    assert body == CONTENT


def test_a_file_replaced_before_the_headers_is_a_409_problem(api: Api, film: Film) -> None:
    media = api.core.playback.open(film.id, actor=SYSTEM)
    replace_keeping_stat(film.path, CONTENT[::-1])
    status, headers, body = call(MediaResponse(media))
    assert status == 409
    assert headers["content-type"] == PROBLEM
    assert b"changed while it was opened; try again" in body
