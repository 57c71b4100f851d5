"""The shipped demo video is what a browser needs: a small MP4, index first, H.264 and AAC.

Read with a few lines of ISO BMFF box parsing, so the check runs without ffmpeg.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from importlib import resources

from streamcore.demo import MEDIA_PATH

VIDEO = resources.files("streamcore.demo") / "streamcore-demo.mp4"
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, bytes]]:
    """``(type, payload)`` of each box between ``start`` and ``end``, in order."""
    end = len(data) if end is None else end
    at = start
    while at < end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            (size,) = struct.unpack(">Q", data[at + 8 : at + 16])
            header = 16
        assert size >= header, f"box {kind!r} at {at} has size {size}"
        yield kind, data[at + header : at + size]
        at += size
    assert at == end, "the boxes do not fill their parent exactly"


def walk(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every box of the file, depth first, into the containers that lead to sample entries."""
    for kind, payload in boxes(data):
        yield kind, payload
        if kind in CONTAINERS:
            yield from walk(payload)


def test_the_video_is_small() -> None:
    assert 50_000 < len(VIDEO.read_bytes()) < 500_000


def test_the_index_comes_before_the_data() -> None:
    """``+faststart``: a browser can start playing from the first bytes of a stream."""
    top = [kind for kind, _ in boxes(VIDEO.read_bytes())]
    assert top[0] == b"ftyp"
    assert b"moov" in top
    assert b"mdat" in top
    assert top.index(b"moov") < top.index(b"mdat")


def test_it_is_h264_and_aac_and_5_to_10_seconds_long() -> None:
    found = list(walk(VIDEO.read_bytes()))
    mvhd = next(payload for kind, payload in found if kind == b"mvhd")
    # A full box: version, flags, two times, then the timescale and the duration.
    if mvhd[0] == 1:
        timescale, duration = struct.unpack(">IQ", mvhd[20:32])
    else:
        timescale, duration = struct.unpack(">II", mvhd[12:20])
    assert 5 <= duration / timescale <= 10
    # Each track's sample description names its codec, 4 bytes after its size.
    codecs = {payload[12:16] for kind, payload in found if kind == b"stsd"}
    assert codecs == {b"avc1", b"mp4a"}
    ftyp = next(payload for kind, payload in found if kind == b"ftyp")
    assert ftyp[:4] in {b"isom", b"mp42", b"iso5"}


def test_the_media_path_is_a_relative_mp4_path() -> None:
    assert MEDIA_PATH.endswith(".mp4")
    assert not MEDIA_PATH.startswith("/")
