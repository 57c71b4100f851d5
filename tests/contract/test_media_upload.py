"""``core.media``: an upload lands under the media root, whole or not at all (SPEC §3.5)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.auth.permissions import SYSTEM, Principal, Role
from streamcore.errors import InvalidInputError, PermissionDeniedError
from streamcore.movies.errors import MovieNotFoundError
from streamcore.movies.models import MovieCreate
from streamcore.movies.upload import (
    STALE_AFTER,
    UPLOAD_DIR,
    MediaUploads,
    suffix_for_type,
    sweep_dead_uploads,
)

DATA = [b"a" * 70_000, b"b" * 30_000, b"c"]


def leftovers(root: Path) -> list[Path]:
    """Files of uploads in progress still on disk."""
    spool = root / ".upload"
    return sorted(spool.iterdir()) if spool.exists() else []


def new_movie(core: StreamCore) -> int:
    """A fresh movie's id."""
    return core.movies.create(MovieCreate(title="Upload", year=2001), actor=SYSTEM).id


def test_attach_stores_the_file_and_points_the_movie_to_it(core: StreamCore) -> None:
    movie_id = new_movie(core)
    attached = core.media.attach(movie_id, iter(DATA), suffix=".mp4", actor=SYSTEM)
    body = b"".join(DATA)
    digest = hashlib.sha256(body).hexdigest()
    assert (attached.size, attached.sha256) == (len(body), digest)
    assert attached.movie.media_path == f"movies/{movie_id}/{digest[:16]}.mp4"
    root = core.settings.media_root
    assert (root / attached.movie.media_path).read_bytes() == body
    assert core.movies.get(movie_id, actor=SYSTEM).media_path == attached.movie.media_path
    assert core.playback.open(movie_id, actor=SYSTEM).size == len(body)
    assert leftovers(root) == []


def test_a_new_upload_gets_a_new_name_and_the_old_file_stays(core: StreamCore) -> None:
    movie_id = new_movie(core)
    first = core.media.attach(movie_id, [b"first"], suffix=".mp4", actor=SYSTEM)
    second = core.media.attach(movie_id, [b"second"], suffix=".webm", actor=SYSTEM)
    root = core.settings.media_root
    assert first.movie.media_path != second.movie.media_path
    assert second.movie.media_path is not None
    assert second.movie.media_path.endswith(".webm")
    assert first.movie.media_path is not None
    assert (root / first.movie.media_path).read_bytes() == b"first"  # decision 181: kept


def test_an_error_in_the_stream_leaves_nothing(core: StreamCore) -> None:
    movie_id = new_movie(core)

    def broken() -> Iterator[bytes]:
        yield b"x" * 1000
        raise OSError("the client went away")

    with pytest.raises(OSError, match="went away"):
        core.media.attach(movie_id, broken(), suffix=".mp4", actor=SYSTEM)
    root = core.settings.media_root
    assert leftovers(root) == []
    assert not (root / "movies").exists()
    assert core.movies.get(movie_id, actor=SYSTEM).media_path is None


def test_over_the_largest_upload_is_refused_and_nothing_kept(core: StreamCore) -> None:
    movie_id = new_movie(core)
    root = core.settings.media_root
    small = MediaUploads(core.movies.get, core.movies.update, media_root=root, max_upload=100)
    with pytest.raises(InvalidInputError, match="file: must be at most 100 bytes"):
        small.attach(movie_id, [b"x" * 60, b"y" * 41], suffix=".mp4", actor=SYSTEM)
    assert leftovers(root) == []
    assert core.movies.get(movie_id, actor=SYSTEM).media_path is None
    exactly = small.attach(movie_id, [b"x" * 60, b"y" * 40], suffix=".mp4", actor=SYSTEM)
    assert exactly.size == 100


def test_a_movie_deleted_during_the_upload_keeps_no_file(core: StreamCore) -> None:
    movie_id = new_movie(core)
    root = core.settings.media_root

    def then_delete() -> Iterator[bytes]:
        yield b"data"
        core.movies.delete(movie_id, actor=SYSTEM)

    with pytest.raises(MovieNotFoundError):
        core.media.attach(movie_id, then_delete(), suffix=".mp4", actor=SYSTEM)
    assert leftovers(root) == []
    assert list((root / "movies").rglob("*.mp4")) == []


def test_no_byte_is_written_for_a_missing_movie(core: StreamCore) -> None:
    with pytest.raises(MovieNotFoundError):
        core.media.attach(999_999, [b"data"], suffix=".mp4", actor=SYSTEM)
    assert leftovers(core.settings.media_root) == []


def test_a_subscriber_may_not_upload(core: StreamCore) -> None:
    movie_id = new_movie(core)
    viewer = Principal(user_id=1, role=Role.SUBSCRIBER)
    with pytest.raises(PermissionDeniedError):
        core.media.attach(movie_id, [b"data"], suffix=".mp4", actor=viewer)
    assert core.movies.get(movie_id, actor=SYSTEM).media_path is None


def test_an_unplayable_suffix_is_refused(core: StreamCore) -> None:
    movie_id = new_movie(core)
    with pytest.raises(InvalidInputError, match="file: must have a video or audio extension"):
        core.media.attach(movie_id, [b"<html>"], suffix=".html", actor=SYSTEM)


@pytest.mark.parametrize(
    ("content_type", "suffix"),
    [("video/mp4", ".mp4"), ("VIDEO/WebM; codecs=vp9", ".webm"), ("audio/mpeg", ".mp3")],
)
def test_the_suffix_comes_from_the_content_type(content_type: str, suffix: str) -> None:
    assert suffix_for_type(content_type) == suffix


@pytest.mark.parametrize("content_type", ["text/html", "video/x-unknown", "", "image/svg+xml"])
def test_other_content_types_are_refused(content_type: str) -> None:
    with pytest.raises(InvalidInputError, match="content_type: must be a video or audio type"):
        suffix_for_type(content_type)


def test_an_upload_removes_the_temporary_files_of_dead_uploads(core: StreamCore) -> None:
    # What a process killed mid-upload leaves: a day-old one goes, a fresh one (an upload
    # still running elsewhere) and anything that is not a temporary upload file stay.
    spool = core.settings.media_root / UPLOAD_DIR
    spool.mkdir(parents=True)
    dead, running, other = spool / "7-dead.part", spool / "7-running.part", spool / "notes.txt"
    for path in (dead, running, other):
        path.write_bytes(b"x")
    day_and_a_minute_ago = time.time() - STALE_AFTER - 60
    os.utime(dead, (day_and_a_minute_ago, day_and_a_minute_ago))
    os.utime(other, (day_and_a_minute_ago, day_and_a_minute_ago))
    core.media.attach(new_movie(core), [b"new"], suffix=".mp4", actor=SYSTEM)
    assert sorted(p.name for p in spool.iterdir()) == ["7-running.part", "notes.txt"]


def test_sweeping_twice_at_once_is_harmless(tmp_path: Path) -> None:
    old = time.time() - STALE_AFTER - 60
    for index in range(50):
        path = tmp_path / f"{index}.part"
        path.write_bytes(b"")
        os.utime(path, (old, old))
    with ThreadPoolExecutor(4) as pool:
        removed = list(pool.map(lambda _: sweep_dead_uploads(tmp_path, time.time()), range(4)))
    assert sorted(name for names in removed for name in names) == sorted(
        f"{index}.part" for index in range(50)
    )
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_is_refused_and_the_playable_one_stays(core: StreamCore) -> None:
    movie_id = new_movie(core)
    first = core.media.attach(movie_id, [b"plays"], suffix=".mp4", actor=SYSTEM)
    with pytest.raises(InvalidInputError) as error:
        core.media.attach(movie_id, [b"", b""], suffix=".mp4", actor=SYSTEM)
    assert str(error.value) == "file: must not be empty"
    assert core.movies.get(movie_id, actor=SYSTEM).media_path == first.movie.media_path
    assert leftovers(core.settings.media_root) == []
