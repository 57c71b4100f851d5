"""Blocking core calls off the event loop: one thread hop on the adapter's own small pool.

The core is synchronous (SQLAlchemy, sqlite3, psycopg), so a service call must never run on the
event loop: a PostgreSQL round trip, a pool checkout or a SQLite busy wait would stall every
other connection meanwhile. ``run_blocking`` sends the call to a worker thread and awaits it.

It uses a plain ``ThreadPoolExecutor`` through ``loop.run_in_executor`` rather than
``anyio.to_thread`` (what FastAPI uses for ``def`` routes and dependencies): measured on the
project's machine, a hop costs a third of the CPU time (about 40 against 120-150 µs: no cancel
scope, capacity limiter or run-variable lookups), and the pool stays small, so a burst of
requests does not wake 40 threads to fight over the GIL for work that is mostly Python anyway
(decision 170; benchmarks/README.md, "REST").
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 8
"""Threads of the pool: enough for PostgreSQL round trips to overlap, few for the GIL."""

# One pool per process, shared by every app; its threads start on first use, not at import.
_POOL = ThreadPoolExecutor(WORKERS, thread_name_prefix="streamcore-api")


async def run_blocking(call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)`` on a worker thread; the loop serves others meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(call, *args, **kwargs))
