"""Run callables at the same instant in real threads, and collect what each returned or raised."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from streamcore import StreamCore

JOIN_TIMEOUT = 60


def run_together(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Start every call at once (a barrier), wait for all; each result or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the caller asserts on it
            results[index] = exc

    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
        assert not thread.is_alive(), "a racing call did not finish: a deadlock or a hang"
    return results


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def shared_core(request: pytest.FixtureRequest, sqlite_url: str) -> Any:
    """One core whose units of work run on separate connections (SQL) or one lock (memory)."""
    from streamcore.auth.passwords import CHEAPEST, Argon2Hasher

    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = sqlite_url
    else:
        from tests.conftest import empty_postgres

        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    with StreamCore.open(url, hasher=Argon2Hasher(CHEAPEST)) as core:
        yield core
