"""``MediaUploads``: store a movie's media file under the media root (SPEC §3.5, decision 180).

The bytes go to a temporary file in the media root's ``.upload`` directory (the same file
system as their destination, so the final rename is atomic), hashed and counted on the way,
refused past ``max_upload``, fsynced, then renamed to ``movies/<id>/<sha256[:16]><ext>``: a
new name for each content, so a player reading the previous file keeps it until the movie's
``media_path`` points to the new one. Any error or interruption removes the temporary file;
one a killed process left behind is removed by a later upload once it is a day old (decision
183). The previous file is kept (decision 181).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Protocol, Self

from pydantic import BaseModel, ConfigDict

from streamcore.auth.permissions import Permission, Principal, require
from streamcore.errors import InvalidInputError
from streamcore.movies.media import PLAYABLE_TYPES
from streamcore.movies.models import Movie, MoviePatch

UPLOAD_DIR = ".upload"
"""Temporary files of uploads in progress, under the media root."""
PART_SUFFIX = ".part"
STALE_AFTER = 24 * 3600
"""Seconds since a temporary file was last written after which its upload is dead."""

# The first extension listed for a type is the one a stored file gets (video/mp4 -> .mp4).
_SUFFIXES: dict[str, str] = {}
for _suffix, _type in PLAYABLE_TYPES.items():
    _SUFFIXES.setdefault(_type, _suffix)


class MovieGetter(Protocol):
    """A live movie; ``MovieNotFoundError`` otherwise."""

    def __call__(self, movie_id: int, *, actor: Principal) -> Movie: ...


class MovieUpdater(Protocol):
    """Apply a patch to a movie in one unit of work (its row locked)."""

    def __call__(self, movie_id: int, patch: MoviePatch, *, actor: Principal) -> Movie: ...


class AttachedMedia(BaseModel):
    """A movie after its media file was stored, with that file's size and SHA-256."""

    model_config = ConfigDict(frozen=True)

    movie: Movie
    size: int
    sha256: str


def suffix_for_type(content_type: str) -> str:
    """The file extension for a media type; refuses anything but a known video or audio type."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    suffix = _SUFFIXES.get(media_type)
    if suffix is None:
        raise InvalidInputError.single(
            "content_type", "must be a video or audio type streamcore can play"
        )
    return suffix


def suffix_for_file(name: str) -> str:
    """The extension of a file to attach; refuses one that is not a playable type."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in PLAYABLE_TYPES:
        raise InvalidInputError.single("file", "must have a video or audio extension")
    return suffix


class MediaUploads:
    """Write uploaded media under the media root and point movies to it."""

    def __init__(
        self,
        get_movie: MovieGetter,
        update_movie: MovieUpdater,
        *,
        media_root: Path,
        max_upload: int,
    ) -> None:
        self._get = get_movie
        self._update = update_movie
        self._root = media_root
        self._max = max_upload

    def begin(self, movie_id: int, suffix: str, *, actor: Principal) -> Upload:
        """Start an upload for a live movie; write to it, then ``finish`` (or ``abort``).

        Checks the permission and the movie first, so no byte is written for a refusal.
        Raises ``PermissionDeniedError``, ``MovieNotFoundError``, ``InvalidInputError``.
        """
        require(actor, Permission.WRITE_MOVIES)
        if suffix not in PLAYABLE_TYPES:
            raise InvalidInputError.single("file", "must have a video or audio extension")
        self._get(movie_id, actor=actor)
        spool = self._root / UPLOAD_DIR
        spool.mkdir(parents=True, exist_ok=True)
        sweep_dead_uploads(spool, time.time())
        fd, path = _create_part(spool, movie_id)
        return Upload(
            _Target(self._update, self._root, self._max, movie_id, suffix, actor), fd, path
        )

    def attach(
        self, movie_id: int, chunks: Iterable[bytes], *, suffix: str, actor: Principal
    ) -> AttachedMedia:
        """Store ``chunks`` as the movie's media file; nothing is kept if anything fails."""
        with self.begin(movie_id, suffix, actor=actor) as upload:
            for chunk in chunks:
                upload.write(chunk)
            return upload.finish()


def sweep_dead_uploads(spool: Path, now: float) -> list[str]:
    """Remove the temporary files no upload has written to for ``STALE_AFTER``; their names.

    A process killed mid-upload (``kill -9``, a crash, a power cut) cannot remove its own. A
    live upload writes all the time, and the servers in front time out an idle body within
    minutes, so a day-old one is dead. ``now`` is the wall clock: file times are.
    """
    removed = []
    for entry in os.scandir(spool):
        if not entry.name.endswith(PART_SUFFIX):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER:
                os.unlink(entry.path)
                removed.append(entry.name)
        except FileNotFoundError:
            continue  # another process swept it first
    return removed


@dataclass(frozen=True)
class _Target:
    """Where an upload goes, for which movie and actor, and how large it may grow."""

    update: MovieUpdater
    root: Path
    max_upload: int
    movie_id: int
    suffix: str
    actor: Principal


@dataclass(frozen=True)
class _Placed:
    relative: str
    path: Path
    existed: bool
    size: int
    sha256: str


class Upload:
    """One upload in progress: a temporary file, its size and hash so far.

    As a context manager it removes the temporary file when the block ends without
    ``finish`` (an error, a disconnect, a refusal).
    """

    def __init__(self, target: _Target, fd: int, temp: Path) -> None:
        self._target = target
        self._file = os.fdopen(fd, "wb")
        self._temp: Path | None = temp
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Append a chunk; past the largest upload size, abort and raise ``InvalidInputError``."""
        if self._temp is None:
            raise RuntimeError("the upload is finished")
        limit = self._target.max_upload
        if self.size + len(chunk) > limit:
            self.abort()
            raise InvalidInputError.single("file", f"must be at most {limit} bytes")
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def finish(self) -> AttachedMedia:
        """Make the file durable, rename it into place, point the movie to it.

        An empty file is refused (``InvalidInputError`` on ``file``) and nothing changes: no
        player can play it, and it would replace one that plays.
        """
        target = self._target
        if self.size == 0:
            self.abort()
            raise InvalidInputError.single("file", "must not be empty")
        try:
            placed = self._place()
        except BaseException:
            self.abort()
            raise
        try:
            movie = target.update(
                target.movie_id, MoviePatch(media_path=placed.relative), actor=target.actor
            )
        except BaseException:
            # The movie is gone or refused the path: the new file must not stay behind,
            # unless an earlier upload of the same content put it there.
            if not placed.existed:
                placed.path.unlink(missing_ok=True)
            raise
        return AttachedMedia(movie=movie, size=placed.size, sha256=placed.sha256)

    def abort(self) -> None:
        """Drop the temporary file (a no-op once finished or aborted)."""
        temp, self._temp = self._temp, None
        self._file.close()
        if temp is not None:
            temp.unlink(missing_ok=True)

    def _place(self) -> _Placed:
        temp = self._temp
        if temp is None:
            raise RuntimeError("the upload is finished")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        digest = self._hash.hexdigest()
        relative = f"movies/{self._target.movie_id}/{digest[:16]}{self._target.suffix}"
        path = self._target.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        os.replace(temp, path)
        self._temp = None
        _fsync_dir(path.parent)  # the rename itself survives a crash
        return _Placed(relative, path, existed, self.size, digest)

    def __enter__(self) -> Self:
        """The upload itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Remove the temporary file unless the upload finished."""
        self.abort()


def _create_part(spool: Path, movie_id: int) -> tuple[int, Path]:
    """A new temporary file in ``spool``, its mode ``0o666`` less the process's umask.

    Not ``mkstemp``: its ``0o600`` would stay on the stored file, and a server that reads the
    media root as another user (nginx's workers, with media offload) could not read it. The
    umask, like for any file the process makes, is the deployment's to choose (deployment.md).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        path = spool / f"{movie_id}-{secrets.token_hex(8)}{PART_SUFFIX}"
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {spool}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
