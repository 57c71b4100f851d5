"""``run_blocking``: a core call leaves the event loop's thread and comes back unchanged."""

from __future__ import annotations

import asyncio
import threading

import pytest

from streamcore.api.blocking import WORKERS, run_blocking
from streamcore.errors import NotFoundError


def _where(value: int, *, times: int) -> tuple[int, int]:
    return threading.get_ident(), value * times


def test_the_call_runs_on_another_thread_with_its_arguments() -> None:
    async def main() -> tuple[int, tuple[int, int]]:
        return threading.get_ident(), await run_blocking(_where, 6, times=7)

    loop_thread, (call_thread, result) = asyncio.run(main())
    assert call_thread != loop_thread
    assert result == 42


def test_an_error_of_the_call_reaches_the_caller_as_it_was() -> None:
    def missing() -> None:
        raise NotFoundError("movie 7: not found")

    with pytest.raises(NotFoundError, match="movie 7: not found"):
        asyncio.run(run_blocking(missing))


def test_slow_calls_overlap_up_to_the_pool_size_and_the_loop_stays_free() -> None:
    release = threading.Event()
    running: set[int] = set()
    lock = threading.Lock()

    def wait() -> None:
        with lock:
            running.add(threading.get_ident())
        release.wait(10)

    async def main() -> int:
        calls = [asyncio.ensure_future(run_blocking(wait)) for _ in range(WORKERS + 2)]
        ticks = 0
        while len(running) < WORKERS and ticks < 1000:  # the loop keeps turning meanwhile
            await asyncio.sleep(0.005)
            ticks += 1
        busy = len(running)
        release.set()
        await asyncio.gather(*calls)
        return busy

    assert asyncio.run(main()) == WORKERS
