"""Playback URL signatures: HMAC-SHA256 over (movie, user, expiry), compared in constant time.

What is signed is a fixed-format message of three whole numbers under a version label, so no
two grants share one, and a signature made for one purpose can never pass for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

LABEL = b"streamcore playback v1"


@dataclass(frozen=True, slots=True)
class PlaybackGrant:
    """A signed permission for one user to play one movie until ``expires``."""

    movie_id: int
    user_id: int
    expires: int
    """Seconds since the epoch (UTC): the grant plays while the clock is before it."""
    signature: str
    """URL-safe base64 of the HMAC-SHA256, without padding."""

    @property
    def expires_at(self) -> datetime:
        """``expires`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.expires, UTC)


def sign(key: bytes, movie_id: int, user_id: int, expires: int) -> str:
    """The signature of a grant."""
    digest = hmac.new(key, _message(movie_id, user_id, expires), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_signed(key: bytes, movie_id: int, user_id: int, expires: int, signature: str) -> bool:
    """Whether ``signature`` is the one of this grant; in constant time."""
    expected = sign(key, movie_id, user_id, expires).encode("ascii")
    # Bytes on both sides: compare_digest refuses a non-ASCII str rather than comparing it.
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def _message(movie_id: int, user_id: int, expires: int) -> bytes:
    return b"\n".join((LABEL, b"%d" % movie_id, b"%d" % user_id, b"%d" % expires))
