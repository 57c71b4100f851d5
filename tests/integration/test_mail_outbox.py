"""A write never waits on mail (issue 8, item 9): the outbox sends it on its own thread.

Against a real aiosmtpd server whose DATA answer is held back: ``movies.create`` returns while
the mail is still in flight; a server that refuses connections costs a logged line and not the
next batch; ``close`` sends what was queued, and gives up after its bound on a stuck server.
Waiting is always ``core.mail_outbox.join(timeout)``, never a blind sleep.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from streamcore import MovieCreate, Settings, StorageError, StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.mail import Mailer, MemoryMailer, Message
from streamcore.outbox import DRAIN_SECONDS, THREAD_NAME, MailOutbox, OutboxClosedError
from tests.integration.smtp_server import HOST, SmtpServer, running_smtp_server

SMTP_SECRET = "Smtp-S3cret-pw"
READERS = ["ann@example.org", "bob@example.org"]
WAIT = 10  # seconds: a bound on every wait, reached only when something is broken
RETURNS_WITHIN = 5  # under SMTP's 10 s socket timeout, which would end a wait on a held server


@pytest.fixture
def hold() -> Iterator[threading.Event]:
    """Set it to let the server answer; set at the end whatever happened, so nothing hangs."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def held_server(hold: threading.Event) -> Iterator[SmtpServer]:
    """A real SMTP server that takes each message's DATA and answers only once ``hold`` is set."""
    with running_smtp_server(hold=hold) as server:
        yield server
        hold.set()  # before the server stops: a held session ends on its own


def open_core(database_url: str, tmp_path: Path, smtp_url: str | None, **kwargs: Any) -> StreamCore:
    settings = Settings(
        database_url=database_url,
        media_root=tmp_path / "media",
        smtp_url=smtp_url,
        mail_from="news@example.org",
    )
    return StreamCore.open(settings, hasher=Argon2Hasher(CHEAPEST), **kwargs)


def add_readers(core: StreamCore) -> None:
    for email in READERS:
        core.auth.create_user(
            UserCreate(email=email, password="correct horse battery", name=email[:3]),
            actor=SYSTEM,
        )


def subjects(server: SmtpServer) -> list[str]:
    return [str(r.message["Subject"]) for r in server.received]


def test_create_returns_while_the_mail_is_still_in_flight(
    database_url: str, tmp_path: Path, held_server: SmtpServer, hold: threading.Event
) -> None:
    with open_core(database_url, tmp_path, held_server.url()) as core:
        add_readers(core)

        with ThreadPoolExecutor(max_workers=1) as caller:  # a request thread
            started = time.monotonic()
            movie = caller.submit(
                core.movies.create, MovieCreate(title="Alien", year=1979), actor=SYSTEM
            ).result(timeout=RETURNS_WITHIN)  # one waiting on the held server would not return
            returned_after = time.monotonic() - started

        assert held_server.handler.arrived.wait(WAIT)  # the worker is in the middle of DATA
        assert held_server.received == []  # ... and the server has not taken the mail yet
        assert core.mail_outbox.pending == 1
        assert core.mail_outbox.join(timeout=0.2) is False
        assert core.movies.get(movie.id, actor=SYSTEM) == movie

        hold.set()
        assert core.mail_outbox.join(timeout=WAIT) is True

        assert sorted(r.rcpt_tos for r in held_server.received) == [(to,) for to in READERS]
        assert subjects(held_server) == ["New on streamcore: Alien (1979)"] * 2
        assert held_server.handler.connections == 1
        assert core.mail_outbox.pending == 0
    assert returned_after < RETURNS_WITHIN


# The server that comes up requires AUTH without TLS, as a local relay may; aiosmtpd warns.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_connection_is_logged_and_the_next_mail_still_goes(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Bound, never listening: connections are refused until a server listens on the port.
    refusing = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    refusing.bind((HOST, 0))
    port = refusing.getsockname()[1]
    core = open_core(sqlite_url, tmp_path, f"smtp://news:{SMTP_SECRET}@{HOST}:{port}")
    try:
        add_readers(core)
        with caplog.at_level(logging.INFO, logger="streamcore"):
            alien = core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
            assert core.mail_outbox.join(timeout=WAIT)

        assert core.movies.get(alien.id, actor=SYSTEM) == alien
        (failure,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert (failure.name, failure.levelno) == ("streamcore.listeners", logging.ERROR)
        assert failure.threadName == THREAD_NAME
        assert failure.getMessage() == (
            f"EmailNewMovies failed: StorageError: cannot send mail through {HOST}:{port}: "
            "ConnectionRefusedError; the new movies stay created"
        )
        assert failure.exc_info is None  # the traceback only at DEBUG
        assert SMTP_SECRET not in caplog.text

        refusing.close()
        with running_smtp_server(port=port, users={"news": SMTP_SECRET}) as server:
            heat = core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
            assert core.mail_outbox.join(timeout=WAIT)

            assert subjects(server) == ["New on streamcore: Heat (1995)"] * 2  # not Alien again
            assert server.handler.logins == [("news", True)]
        assert [m.id for m in core.movies.list(actor=SYSTEM).items] == [alien.id, heat.id]
    finally:
        refusing.close()
        core.close()


def test_close_sends_the_queued_mail_in_order_before_it_returns(
    sqlite_url: str, tmp_path: Path, held_server: SmtpServer, hold: threading.Event
) -> None:
    core = open_core(sqlite_url, tmp_path, held_server.url())
    titles = [("Alien", 1979), ("Heat", 1995), ("Ran", 1985)]
    try:
        add_readers(core)
        for title, year in titles:
            core.movies.create(MovieCreate(title=title, year=year), actor=SYSTEM)
        assert held_server.handler.arrived.wait(WAIT)
        assert held_server.received == []
    finally:
        # The server answers only after close began: a close that did not wait would return
        # with nothing delivered.
        release = threading.Timer(0.3, hold.set)
        release.start()
        started = time.monotonic()
        core.close()
        closed_after = time.monotonic() - started
        release.cancel()

    assert closed_after >= 0.25
    expected = [f"New on streamcore: {t} ({y})" for t, y in titles]
    assert subjects(held_server) == [s for s in expected for _ in READERS]
    assert held_server.handler.connections == len(titles)  # one connection per batch


def test_close_gives_up_on_a_stuck_server_after_its_bound_and_says_what_it_dropped(
    sqlite_url: str, tmp_path: Path, held_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    core = open_core(sqlite_url, tmp_path, held_server.url())
    assert core.mail_outbox.drain_seconds == DRAIN_SECONDS == 10
    core.mail_outbox.drain_seconds = 0.5  # the same path as 10 s, without the wait
    try:
        add_readers(core)
        core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
        core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
        assert held_server.handler.arrived.wait(WAIT)
    finally:
        with caplog.at_level(logging.ERROR, logger="streamcore.outbox"):
            started = time.monotonic()
            core.close()
            closed_after = time.monotonic() - started

    assert 0.4 <= closed_after < 3
    dropped = [r for r in caplog.records if r.name == "streamcore.outbox"]
    assert [(r.levelno, r.getMessage()) for r in dropped] == [
        (logging.ERROR, "mail outbox closed with 2 batches of mail not sent after 0.5 s: dropped")
    ]
    assert held_server.received == []


class ThreadRecordingMailer:
    """Remembers, per batch, the thread that sent it and the subjects (thread-safe)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[str, ...]]] = []
        self._lock = threading.Lock()

    def send(self, messages: Sequence[Message]) -> None:
        with self._lock:
            self.sent.append((threading.current_thread().name, tuple(m.to for m in messages)))


def test_many_request_threads_publish_at_once_and_one_worker_sends_each_batch_once(
    database_url: str, tmp_path: Path
) -> None:
    mailer = ThreadRecordingMailer()
    threads = 12
    with open_core(database_url, tmp_path, None, mailer=mailer) as core:
        add_readers(core)
        start = threading.Barrier(threads)

        def publish(n: int) -> int:
            start.wait(timeout=WAIT)
            return core.movies.create(MovieCreate(title=f"Film {n}", year=2000), actor=SYSTEM).id

        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="request") as pool:
            ids = list(pool.map(publish, range(threads)))
        assert core.mail_outbox.join(timeout=WAIT)

    assert len(set(ids)) == threads
    assert [name for name, _ in mailer.sent] == [THREAD_NAME] * threads
    assert [sorted(to) for _, to in mailer.sent] == [READERS] * threads


# --- the outbox on its own -------------------------------------------------------------------


class FailingFirstMailer:
    """Fails the first batch, keeps the rest (a mailer that recovers)."""

    def __init__(self) -> None:
        self.calls = 0
        self.kept = MemoryMailer()

    def send(self, messages: Sequence[Message]) -> None:
        self.calls += 1
        if self.calls == 1:
            raise StorageError("cannot send mail through mail.example.org:25: TimeoutError")
        self.kept.send(messages)


def letter(to: str) -> list[Message]:
    return [Message(to=to, subject="Hello", body="Hi.")]


def test_a_failed_batch_is_logged_once_at_error_and_the_worker_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = FailingFirstMailer()
    outbox = MailOutbox(mailer)

    def broken() -> list[Message]:
        raise ValueError("no recipients today")

    with caplog.at_level(logging.INFO, logger="streamcore.outbox"):
        outbox.put(lambda: letter("ann@example.org"))
        outbox.put(broken)
        outbox.put(lambda: letter("bob@example.org"))
        assert outbox.join(timeout=WAIT)

    assert [m.to for m in mailer.kept.outbox] == ["bob@example.org"]
    assert [(r.levelno, r.getMessage(), r.exc_info) for r in caplog.records] == [
        (
            logging.ERROR,
            "mail batch failed: StorageError: cannot send mail through mail.example.org:25: "
            "TimeoutError; the outbox goes on with the next",
            None,
        ),
        (
            logging.ERROR,
            "mail batch failed: ValueError: no recipients today; the outbox goes on with the next",
            None,
        ),
    ]
    assert outbox.close() == 0


def test_at_debug_a_failed_batch_carries_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    outbox = MailOutbox(FailingFirstMailer())
    with caplog.at_level(logging.DEBUG, logger="streamcore.outbox"):
        outbox.put(lambda: letter("ann@example.org"))
        assert outbox.join(timeout=WAIT)
    (record,) = caplog.records
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], StorageError)
    outbox.close()


def test_a_reporter_that_raises_does_not_stop_the_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = FailingFirstMailer()
    outbox = MailOutbox(mailer)

    def bad_reporter(exc: Exception) -> None:
        raise RuntimeError("the reporter broke")

    with caplog.at_level(logging.ERROR, logger="streamcore.outbox"):
        outbox.put(lambda: letter("ann@example.org"), on_failure=bad_reporter)
        outbox.put(lambda: letter("bob@example.org"))
        assert outbox.join(timeout=WAIT)

    assert [m.to for m in mailer.kept.outbox] == ["bob@example.org"]
    assert [r.getMessage() for r in caplog.records] == [
        "reporting a failed mail batch failed: RuntimeError: the reporter broke; going on"
    ]
    outbox.close()


def test_a_closed_outbox_refuses_new_batches_and_closing_twice_is_harmless() -> None:
    mailer = MemoryMailer()
    outbox = MailOutbox(mailer)
    outbox.put(lambda: letter("ann@example.org"))

    assert outbox.close() == 0
    assert [m.to for m in mailer.outbox] == ["ann@example.org"]  # drained, not dropped
    with pytest.raises(OutboxClosedError):
        outbox.put(lambda: letter("bob@example.org"))
    assert outbox.close() == 0
    assert outbox.join(timeout=0) is True


def test_the_worker_ends_when_idle_and_the_next_batch_starts_another() -> None:
    mailer = MemoryMailer()
    outbox = MailOutbox(mailer, idle_seconds=0.05)
    assert outbox.running is False

    outbox.put(lambda: letter("ann@example.org"))
    assert outbox.join(timeout=WAIT)
    deadline = time.monotonic() + WAIT
    while outbox.running and time.monotonic() < deadline:
        time.sleep(0.01)  # polls a condition with a bound, not a blind sleep
    assert outbox.running is False

    outbox.put(lambda: letter("bob@example.org"))
    assert outbox.join(timeout=WAIT)
    assert [m.to for m in mailer.outbox] == ["ann@example.org", "bob@example.org"]
    assert outbox.close() == 0
    assert MailOutbox(mailer).idle_seconds == 30


def test_no_thread_is_started_before_the_first_batch() -> None:
    before = sum(t.name == THREAD_NAME for t in threading.enumerate())
    mailer: Mailer = MemoryMailer()
    outbox = MailOutbox(mailer)

    assert sum(t.name == THREAD_NAME for t in threading.enumerate()) <= before
    assert outbox.join(timeout=0) is True
    assert outbox.close() == 0
    assert repr(outbox) == f"MailOutbox(mailer={mailer!r}, pending=0)"
