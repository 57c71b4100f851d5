"""Named secrets (the playback signing key): made once per database, the same for every process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.config import Settings
from streamcore.movies.secrets import KEY_BYTES, SecretKeeper, new_key


@pytest.fixture
def core(database_url: str, tmp_path: Path) -> Iterator[StreamCore]:
    with StreamCore.open(Settings(database_url=database_url, media_root=tmp_path)) as opened:
        yield opened


def _get_or_create(core: StreamCore, name: str, value: bytes) -> bytes:
    with core.storage.unit_of_work() as uow:
        stored = uow.secrets.get_or_create(name, lambda: value)
        uow.commit()
    return stored


def test_the_first_value_is_kept_and_later_ones_are_not_made(core: StreamCore) -> None:
    assert _get_or_create(core, "a", b"first") == b"first"
    made: list[bytes] = []

    def make() -> bytes:
        made.append(b"second")
        return b"second"

    with core.storage.unit_of_work() as uow:
        assert uow.secrets.get_or_create("a", make) == b"first"
        uow.commit()
    assert made == []
    assert _get_or_create(core, "b", b"other") == b"other"  # names are independent


def test_a_rolled_back_secret_is_not_kept(core: StreamCore) -> None:
    with core.storage.unit_of_work() as uow:
        assert uow.secrets.get_or_create("a", lambda: b"lost") == b"lost"
    assert _get_or_create(core, "a", b"kept") == b"kept"


def test_a_read_only_unit_of_work_cannot_make_one(core: StreamCore) -> None:
    from streamcore.errors import StorageError

    with pytest.raises(StorageError), core.storage.unit_of_work(readonly=True) as uow:
        uow.secrets.get_or_create("a", lambda: b"x")


def test_the_keeper_makes_a_random_key_once(core: StreamCore) -> None:
    keeper = SecretKeeper(core.storage.unit_of_work, "k")
    key = keeper()
    assert len(key) == KEY_BYTES
    assert keeper() is key  # held: no storage round trip per signature
    assert SecretKeeper(core.storage.unit_of_work, "k")() == key
    assert new_key() != new_key()
    assert repr(key) not in repr(keeper)


@pytest.mark.parametrize("attempt", range(3))
def test_two_cores_racing_end_with_one_secret(
    database_url: str, tmp_path: Path, attempt: int
) -> None:
    if database_url.startswith("memory://"):
        pytest.skip("a memory database belongs to one core")
    settings = Settings(database_url=database_url, media_root=tmp_path)
    with StreamCore.open(settings) as one, StreamCore.open(settings) as two:
        start = threading.Barrier(8)
        got: list[bytes] = []
        errors: list[BaseException] = []

        def race(core: StreamCore, index: int) -> None:
            try:
                start.wait()
                got.append(SecretKeeper(core.storage.unit_of_work, "race")())
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=race, args=(one if i % 2 else two, i)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(got) == 8
        assert len(set(got)) == 1
        assert SecretKeeper(two.storage.unit_of_work, "race")() == got[0]
