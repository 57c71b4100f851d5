"""``core.playback.open``: who may play, and a media path can never leave the media root.

Real files in the test's directory: symlinks out (to a file, through a directory), ``..``,
absolute paths, FIFOs and directories, missing and replaced files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore import NotAuthenticatedError, PermissionDeniedError, StreamCore
from streamcore.auth.passwords import Argon2Hasher
from streamcore.auth.permissions import ANONYMOUS, SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.errors import MediaChangedError, MediaNotFoundError, MovieNotFoundError
from streamcore.movies.media import MediaFile, content_type_for, find_media
from tests.conftest import CHEAPEST, FakeClock
from tests.contract.test_plans import in_state, make_movie, make_plan, make_user

CONTENT = b"\x00\x01frames" * 100


@pytest.fixture
def root(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    (media / "films").mkdir()
    (media / "films" / "alien.mp4").write_bytes(CONTENT)
    (tmp_path / "secret.txt").write_bytes(b"outside the root")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.mp4").write_bytes(b"outside too")
    return media


@pytest.fixture
def core(root: Path, clock: FakeClock) -> Iterator[StreamCore]:
    settings = Settings(database_url="memory://", media_root=root)
    with StreamCore.open(settings, clock=clock, hasher=Argon2Hasher(CHEAPEST)) as opened:
        yield opened


def movie_with(core: StreamCore, media_path: str | None, title: str = "Alien") -> int:
    return make_movie(core, title, media_path=media_path).id


def refusal(root: Path, media_path: str) -> str:
    with pytest.raises(MediaNotFoundError) as caught:
        find_media(root, media_path, movie_id=7)
    assert caught.value.movie_id == 7
    return caught.value.reason


# -- who may play -------------------------------------------------------------------------


def test_an_entitled_subscriber_gets_the_file(core: StreamCore, clock: FakeClock) -> None:
    movie_id = movie_with(core, "films/alien.mp4")
    plan = make_plan(core)
    core.plans.add_movie(plan.id, movie_id, actor=SYSTEM)
    ann = make_user(core, "Ann")
    in_state(core, plan, ann, "active", clock.now)
    media = core.playback.open(movie_id, actor=ann.principal)
    assert isinstance(media, MediaFile)
    assert media.size == len(CONTENT)
    assert media.content_type == "video/mp4"
    assert media.path == (core.settings.media_root / "films/alien.mp4").resolve()
    with media.open() as file:
        assert file.read() == CONTENT


@pytest.mark.parametrize("state", ["pending", "expired"])
def test_a_subscriber_without_entitlement_is_refused(
    core: StreamCore, clock: FakeClock, state: str
) -> None:
    movie_id = movie_with(core, "films/alien.mp4")
    plan = make_plan(core)
    core.plans.add_movie(plan.id, movie_id, actor=SYSTEM)
    bob = make_user(core, "Bob")
    in_state(core, plan, bob, state, clock.now)
    with pytest.raises(PermissionDeniedError, match=f"may not watch movie {movie_id}"):
        core.playback.open(movie_id, actor=bob.principal)


def test_a_subscriber_is_refused_before_the_file_is_looked_at(core: StreamCore) -> None:
    """Not entitled is a 403 whether or not a file exists: nothing to probe."""
    movie_id = movie_with(core, "films/none.mp4")
    with pytest.raises(PermissionDeniedError):
        core.playback.open(movie_id, actor=make_user(core, "Cy").principal)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_editors_and_admins_play_any_live_movie(core: StreamCore, role: Role) -> None:
    movie_id = movie_with(core, "films/alien.mp4")
    staff = make_user(core, "Staff", role)
    assert core.playback.open(movie_id, actor=staff.principal).size == len(CONTENT)
    assert core.playback.open(movie_id, actor=SYSTEM).size == len(CONTENT)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.SUBSCRIBER])
def test_a_deleted_or_unknown_movie_is_not_found_for_everyone(core: StreamCore, role: Role) -> None:
    movie_id = movie_with(core, "films/alien.mp4")
    core.movies.delete(movie_id, actor=SYSTEM)
    someone = make_user(core, "Someone", role)
    for missing in (movie_id, 999):
        with pytest.raises(MovieNotFoundError):
            core.playback.open(missing, actor=someone.principal)
    with pytest.raises(MovieNotFoundError):
        core.playback.open(movie_id, actor=SYSTEM)


def test_an_anonymous_caller_is_not_authenticated(core: StreamCore) -> None:
    movie_id = movie_with(core, "films/alien.mp4")
    with pytest.raises(NotAuthenticatedError):
        core.playback.open(movie_id, actor=ANONYMOUS)


def test_a_forgotten_actor_is_never_granted(core: StreamCore) -> None:
    movie_id = movie_with(core, "films/alien.mp4")
    with pytest.raises(TypeError, match="actor must be a Principal"):
        core.playback.open(movie_id, actor=None)  # type: ignore[arg-type]


def test_a_movie_without_media_or_with_a_missing_file(core: StreamCore) -> None:
    none = movie_with(core, None, "No media")
    gone = movie_with(core, "films/gone.mp4", "Gone")
    with pytest.raises(MediaNotFoundError, match=f"movie {none} cannot be played: it has no"):
        core.playback.open(none, actor=SYSTEM)
    with pytest.raises(MediaNotFoundError, match="its media file is missing"):
        core.playback.open(gone, actor=SYSTEM)


def test_a_missing_media_root_is_a_missing_file(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nowhere", "films/alien.mp4") == "its media file is missing"


# -- no escape ----------------------------------------------------------------------------


def test_a_symlink_inside_the_root_pointing_out_is_refused(root: Path) -> None:
    (root / "films" / "leak.mp4").symlink_to(root.parent / "secret.txt")
    assert refusal(root, "films/leak.mp4") == "its media file is outside the media root"


def test_a_symlinked_directory_leading_out_is_refused(root: Path) -> None:
    (root / "elsewhere").symlink_to(root.parent / "outside", target_is_directory=True)
    assert refusal(root, "elsewhere/x.mp4") == "its media file is outside the media root"


def test_a_symlink_to_the_root_itself_is_refused(root: Path) -> None:
    (root / "self").symlink_to(root, target_is_directory=True)
    assert refusal(root, "self") == "its media file is outside the media root"


def test_a_symlink_that_stays_inside_the_root_is_followed(root: Path) -> None:
    (root / "latest.mp4").symlink_to(root / "films" / "alien.mp4")
    media = find_media(root, "latest.mp4", movie_id=7)
    assert media.path == (root / "films" / "alien.mp4").resolve()
    assert media.parts == ("films", "alien.mp4")


def test_a_media_root_reached_through_a_symlink_works(root: Path) -> None:
    link = root.parent / "media-link"
    link.symlink_to(root, target_is_directory=True)
    assert find_media(link, "films/alien.mp4", movie_id=7).size == len(CONTENT)


@pytest.mark.parametrize(
    "media_path",
    [
        "../secret.txt",
        "films/../../secret.txt",
        "films/./alien.mp4",
        "/etc/passwd",
        str(Path("/") / "tmp"),
        "films\\alien.mp4",
        "films//alien.mp4",
        "films/alien.mp4\0",
        "",
    ],
)
def test_unsafe_paths_are_refused_before_the_file_system_is_asked(
    root: Path, media_path: str
) -> None:
    # The model refuses these on write; a row written before that rule is refused here.
    assert refusal(root, media_path) == "its media path is not a path inside the media root"


def test_dangling_and_looping_links_are_missing_files(root: Path) -> None:
    (root / "dangling.mp4").symlink_to(root / "nothing.mp4")
    (root / "loop.mp4").symlink_to(root / "loop.mp4")
    assert refusal(root, "dangling.mp4") == "its media file is missing"
    assert refusal(root, "loop.mp4") == "its media file is missing"
    assert refusal(root, "films/alien.mp4/inner") == "its media file is missing"


def test_a_fifo_and_a_directory_are_not_regular_files(root: Path) -> None:
    os.mkfifo(root / "pipe.mp4")  # opening it must not wait for a writer
    assert refusal(root, "pipe.mp4") == "its media file is not a regular file"
    assert refusal(root, "films") == "its media file is not a regular file"


def test_the_service_refuses_an_escape_too(core: StreamCore, root: Path) -> None:
    (root / "films" / "leak.mp4").symlink_to(root.parent / "secret.txt")
    movie_id = movie_with(core, "films/leak.mp4")
    with pytest.raises(MediaNotFoundError, match="outside the media root"):
        core.playback.open(movie_id, actor=SYSTEM)


# -- the file described is the file read ---------------------------------------------------


def test_a_file_replaced_after_the_lookup_is_not_read(root: Path) -> None:
    path = root / "films" / "alien.mp4"
    media = find_media(root, "films/alien.mp4", movie_id=7)
    stat = path.stat()
    fresh = root / "films" / "new.tmp"
    fresh.write_bytes(b"X" * len(CONTENT))
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    fresh.replace(path)
    with pytest.raises(MediaChangedError, match="changed while it was opened"):
        media.open()
    assert find_media(root, "films/alien.mp4", movie_id=7).version != media.version


def test_a_file_swapped_for_a_link_after_the_lookup_is_not_followed(root: Path) -> None:
    path = root / "films" / "alien.mp4"
    media = find_media(root, "films/alien.mp4", movie_id=7)
    path.unlink()
    path.symlink_to(root.parent / "secret.txt")
    with pytest.raises(MediaChangedError):
        media.open()


def test_a_directory_swapped_for_a_link_after_the_lookup_is_not_followed(root: Path) -> None:
    media = find_media(root, "films/alien.mp4", movie_id=7)
    (root / "films").rename(root.parent / "moved")
    (root / "films").symlink_to(root.parent / "moved", target_is_directory=True)
    with pytest.raises(MediaChangedError):  # same inode behind it, but reached by a link
        media.open()


def test_a_file_that_grew_after_the_lookup_is_not_read(root: Path) -> None:
    media = find_media(root, "films/alien.mp4", movie_id=7)
    with (root / "films" / "alien.mp4").open("ab") as file:
        file.write(b"more")
    with pytest.raises(MediaChangedError):
        media.open()


# -- content types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.mp4", "video/mp4"),
        ("a.MP4", "video/mp4"),
        ("a.webm", "video/webm"),
        ("a.mkv", "video/x-matroska"),
        ("a.ts", "video/mp2t"),
        ("a.mov", "video/quicktime"),
        ("a.mp3", "audio/mpeg"),
        ("a.html", "application/octet-stream"),
        ("a.svg", "application/octet-stream"),
        ("a.js", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_content_type_comes_from_the_extension_and_is_only_ever_media(
    name: str, content_type: str
) -> None:
    assert content_type_for(name) == content_type
