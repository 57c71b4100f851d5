"""Media files under the media root: find one without ever leaving the root, describe it.

A ``media_path`` is checked by the model when it is written, but the file system can change
under it: a symlink, a directory swapped for a symlink, a FIFO. So a lookup resolves the path
(every symlink followed, strictly), requires the result inside the resolved root, then opens it
again component by component from the root with ``O_NOFOLLOW`` — a link put in place after the
resolve is refused, never followed — and describes what it opened (``fstat``). ``MediaFile.open``
reopens the same way and refuses a file that is no longer the one described.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from streamcore.movies.errors import MediaChangedError, MediaNotFoundError

PLAYABLE_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".mov": "video/quicktime",
    ".ogv": "video/ogg",
    ".avi": "video/x-msvideo",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".ts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".3gp": "video/3gpp",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
}
"""Extensions whose type the machine's mime tables may lack or get wrong (``.ts`` is not Qt)."""
OPAQUE = "application/octet-stream"

# The built-in table only: /etc/mime.types differs from machine to machine.
_TYPES = mimetypes.MimeTypes(filenames=())
_DIR_FLAGS = os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW
# O_NONBLOCK: opening a FIFO for reading must not wait for a writer; it is refused after fstat.
_FILE_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0)


def content_type_for(name: str) -> str:
    """The media type of a file name: video and audio types only, else opaque bytes.

    Anything else (``.html``, ``.svg``) is ``application/octet-stream``, so a stray file in the
    media root is never served as a page a browser would run.
    """
    suffix = PurePosixPath(name).suffix.lower()
    guessed = PLAYABLE_TYPES.get(suffix) or _TYPES.guess_type(f"x{suffix}", strict=True)[0]
    if guessed and guessed.startswith(("video/", "audio/")):
        return guessed
    return OPAQUE


@dataclass(frozen=True, slots=True)
class MediaFile:
    """One regular file under the media root, as it was when it was looked up."""

    path: Path
    """Its real path (no symlink in it), inside the resolved media root."""
    size: int
    modified: float
    """``st_mtime``, seconds since the epoch."""
    content_type: str
    version: str
    """Opaque and different for every content the path has had (an ``ETag``'s material)."""
    root: Path
    parts: tuple[str, ...]
    identity: tuple[int, int]
    """(device, inode): what ``open`` checks it finds again."""

    def open(self) -> BinaryIO:
        """The file for reading; raises ``MediaChangedError`` if it is not the one described."""
        try:
            fd = _open_beneath(self.root, self.parts)
        except OSError:  # removed, or a link put in its place
            raise MediaChangedError(self.path.name) from None
        try:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) != self.identity or _version(info) != self.version:
                raise MediaChangedError(self.path.name)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise


def find_media(root: Path, media_path: str, *, movie_id: int) -> MediaFile:
    """The regular file ``media_path`` names under ``root``; never one outside it.

    Raises ``MediaNotFoundError`` when the path is unsafe, leads out of the root (through a
    symlink or otherwise), names nothing, or names something that is not a regular file.
    """
    relative = _safe_relative(media_path, movie_id)
    try:
        real_root = root.resolve(strict=True)
        real = (real_root / relative).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a dangling or looping link, a file as a dir
        raise MediaNotFoundError(movie_id, "its media file is missing") from None
    if real == real_root or not real.is_relative_to(real_root):
        raise MediaNotFoundError(movie_id, "its media file is outside the media root")
    parts = real.relative_to(real_root).parts
    try:
        fd = _open_beneath(real_root, parts)
    except OSError:  # changed since the resolve (a link put in its place): refused
        raise MediaNotFoundError(movie_id, "its media file is missing") from None
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise MediaNotFoundError(movie_id, "its media file is not a regular file")
    return MediaFile(
        path=real,
        size=info.st_size,
        modified=info.st_mtime,
        content_type=content_type_for(real.name),
        version=_version(info),
        root=real_root,
        parts=parts,
        identity=(info.st_dev, info.st_ino),
    )


def _safe_relative(media_path: str, movie_id: int) -> PurePosixPath:
    # The model refuses these when a path is written; rows written before that rule, or by
    # hand, are refused again here rather than trusted.
    pure = PurePosixPath(media_path)
    unsafe = (
        not media_path
        or "\\" in media_path
        or "\0" in media_path
        or pure.is_absolute()
        or any(part in {"", ".", ".."} for part in media_path.split("/"))
    )
    if unsafe:
        raise MediaNotFoundError(movie_id, "its media path is not a path inside the media root")
    return pure


def _open_beneath(root: Path, parts: tuple[str, ...]) -> int:
    """Open root/parts… one component at a time, following no symlink; a raw descriptor."""
    if os.open not in os.supports_dir_fd:  # no openat: one open, the last component checked
        return os.open(root.joinpath(*parts), _FILE_FLAGS)
    dir_fd = os.open(root, _DIR_FLAGS)  # resolved: no link in it, O_NOFOLLOW passes
    try:
        for part in parts[:-1]:
            inner = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = inner
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def _version(info: os.stat_result) -> str:
    # The inode tells a file renamed into place from the one it replaced, even when the size
    # and the mtime are equal; hashed, so an ETag says nothing about the file system.
    material = f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"
    return hashlib.blake2b(material.encode(), digest_size=12).hexdigest()
