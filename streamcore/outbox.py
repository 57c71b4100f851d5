"""``MailOutbox``: mail goes out on one background thread, so a write never waits on SMTP.

A publisher (the new-movie listener, on the thread that committed) hands over a batch: a
function that composes its messages, run on the worker just before they are sent. The one
worker thread of a core sends the batches in the order they were queued, each through the
core's ``Mailer`` (one SMTP connection per batch). A batch that fails is logged (one line at
ERROR, the traceback at DEBUG) and the worker goes on with the next; it is not sent again.

The queue lives in memory: mail still queued when the process dies is lost (making it
durable is for later). ``close`` waits for the queue up to a bound, so a short-lived process
(``streamcore movie add``) sends its mail before it exits; ``join`` waits for what was queued
so far (tests, embedding code).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from streamcore.events import log_failure
from streamcore.mail import Mailer, Message

logger = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0
"""How long ``close`` waits for queued mail before it drops the rest."""

IDLE_SECONDS = 30.0
"""How long the worker waits for mail before it ends (the next ``put`` starts a new one)."""

THREAD_NAME = "streamcore-mail"

Compose = Callable[[], Sequence[Message]]
"""Makes a batch's messages, on the worker thread (it may read storage, e.g. the recipients)."""

OnFailure = Callable[[Exception], None]
"""Reports a batch that could not be composed or sent (the default logs it)."""


@dataclass(frozen=True, slots=True)
class _Batch:
    compose: Compose
    on_failure: OnFailure


class OutboxClosedError(RuntimeError):
    """A batch was handed to an outbox that was closed: it is not sent."""


class MailOutbox:
    """A queue of mail batches and the one daemon thread that sends them, in order.

    Thread-safe: any number of threads may ``put`` at once. The thread starts on the first
    ``put`` (a core that never mails never starts one), ends after ``idle_seconds`` without
    mail (a core dropped without ``close`` leaves no thread behind), and starts again on the
    next ``put``.
    """

    def __init__(
        self,
        mailer: Mailer,
        *,
        drain_seconds: float = DRAIN_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.mailer = mailer
        self.drain_seconds = drain_seconds
        self.idle_seconds = idle_seconds
        self._queue: deque[_Batch] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        # Batches are numbered as they are queued; ``_finished`` counts those sent, failed
        # or dropped. One worker takes them in order, so "batch n is done" is n <= _finished.
        self._queued = 0
        self._finished = 0

    def put(self, compose: Compose, *, on_failure: OnFailure | None = None) -> None:
        """Queue a batch and return at once; raises ``OutboxClosedError`` after ``close``."""
        batch = _Batch(compose, on_failure or _log_failure)
        with self._changed:
            if self._closed:
                raise OutboxClosedError("the mail outbox is closed: the mail is not sent")
            self._queue.append(batch)
            self._queued += 1
            self._ensure_worker()
            self._changed.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every batch queued so far is sent or failed; False if ``timeout`` ran out."""
        with self._changed:
            target = self._queued
            return self._changed.wait_for(lambda: self._finished >= target, timeout)

    @property
    def pending(self) -> int:
        """Batches queued or being sent now."""
        with self._changed:
            return self._queued - self._finished

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive now."""
        with self._changed:
            return self._thread is not None and self._thread.is_alive()

    def close(self, timeout: float | None = None) -> int:
        """Refuse new batches, wait for the queued ones (``drain_seconds`` by default).

        Returns how many batches were given up (queued, or still being sent when the time ran
        out); a drop is logged at ERROR. Calling it again returns 0.
        """
        deadline = time.monotonic() + (self.drain_seconds if timeout is None else timeout)
        with self._changed:
            if self._closed:
                return 0
            self._closed = True
            self._changed.notify_all()
            target = self._queued
            self._changed.wait_for(
                lambda: self._finished >= target, max(0.0, deadline - time.monotonic())
            )
            dropped = self._queued - self._finished
            # Queued batches will never go; one being sent may still finish on its own.
            self._finished += len(self._queue)
            self._queue.clear()
            self._changed.notify_all()
        if dropped:
            logger.error(
                "mail outbox closed with %d batch%s of mail not sent after %.1f s: dropped",
                dropped,
                "" if dropped == 1 else "es",
                self.drain_seconds if timeout is None else timeout,
            )
        return dropped

    def _ensure_worker(self) -> None:
        # Called with the lock held. ``is_alive`` is also False in a child after a fork.
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._queue or self._closed, self.idle_seconds)
                if not self._queue:
                    # Closed, or idle: end under the lock, so a ``put`` now starts a new one.
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
                batch = self._queue.popleft()
            try:
                self._deliver(batch)
            finally:
                with self._changed:
                    self._finished += 1
                    self._changed.notify_all()

    def _deliver(self, batch: _Batch) -> None:
        try:
            messages = batch.compose()
            if messages:
                self.mailer.send(messages)
        except Exception as exc:
            try:
                batch.on_failure(exc)
            except Exception as report_failure:  # the worker must outlive a bad reporter
                log_failure(logger, "reporting a failed mail batch", report_failure, "going on")

    def __repr__(self) -> str:
        return f"MailOutbox(mailer={self.mailer!r}, pending={self.pending})"


def _log_failure(exc: Exception) -> None:
    log_failure(logger, "mail batch", exc, "the outbox goes on with the next")
