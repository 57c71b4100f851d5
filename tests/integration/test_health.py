"""``core.check_health()``: quiet while the storage answers, a StorageError once it cannot."""

from __future__ import annotations

import pytest

from streamcore import StorageError, StreamCore


def test_health_passes_while_the_storage_answers(database_url: str) -> None:
    with StreamCore.open(database_url) as core:
        core.check_health()


def test_health_fails_once_the_memory_storage_is_closed() -> None:
    core = StreamCore.open("memory://")
    core.close()
    with pytest.raises(StorageError):
        core.check_health()
