"""The default receivers of ``movie_created`` on every backend (SPEC §3.4).

A new movie joins every active plan with ``includes_new_movies`` and is mailed to every active,
not deleted user with ``notify_new_movies``: once per committed batch (a bulk import is one plan
update per plan and one message per user), only after the commit, off the caller's thread
(``core.mail_outbox``; ``mail_sent`` waits for it, never a sleep), and a failing mailer is
logged without undoing anything. Embedding code may disconnect the defaults or put its own
receivers in their place, and two cores in one process never hear each other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from streamcore import (
    ConflictError,
    InvalidInputError,
    MovieCreate,
    Settings,
    StorageError,
    StreamCore,
)
from streamcore.auth.models import UserCreate, UserPatch
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.events import MovieCreated, PlanUpdated, movie_created, plan_updated
from streamcore.mail import Mailer, MemoryMailer, Message, SmtpMailer
from streamcore.paging import PageQuery
from streamcore.subscriptions.models import Plan, PlanCreate
from tests.integration.smtp_server import closed_port, running_smtp_server

PASSWORD = "correct horse battery"
SMTP_SECRET = "Smtp-S3cret-pw"


def open_core(
    database_url: str, clock: Any, tmp_path: Path, *, mailer: Mailer | None = None, **settings: Any
) -> StreamCore:
    return StreamCore.open(
        Settings(database_url=database_url, media_root=tmp_path / "media", **settings),
        clock=clock,
        hasher=Argon2Hasher(CHEAPEST),
        mailer=mailer,
    )


@pytest.fixture
def mailer() -> MemoryMailer:
    return MemoryMailer()


@pytest.fixture
def mailed(
    database_url: str, clock: Any, tmp_path: Path, mailer: MemoryMailer
) -> Iterator[StreamCore]:
    """A core on each backend whose mail lands in ``mailer``."""
    with open_core(database_url, clock, tmp_path, mailer=mailer) as opened:
        yield opened


def mail_sent(core: StreamCore) -> None:
    """Wait until the mail queued so far went out (the outbox sends it on its own thread)."""
    assert core.mail_outbox.join(timeout=10), "the mail outbox did not empty within 10 s"


def add_plan(core: StreamCore, name: str, *, takes_new: bool, active: bool = True) -> Plan:
    return core.plans.create(
        PlanCreate(
            name=name,
            price="9.99",
            currency="EUR",
            period="month",
            includes_new_movies=takes_new,
            is_active=active,
        ),
        actor=SYSTEM,
    )


def add_user(core: StreamCore, email: str, **fields: Any) -> int:
    data = UserCreate(email=email, password=PASSWORD, name=email.split("@")[0], **fields)
    return core.auth.create_user(data, actor=SYSTEM).id


def plan_movies(core: StreamCore, plan: Plan) -> list[int]:
    return [m.id for m in core.plans.movies(plan.id, PageQuery(limit=100), actor=SYSTEM).items]


def audience(core: StreamCore) -> list[str]:
    """Users of every kind; returns the emails that must get news of new movies, sorted."""
    add_user(core, "ann@example.org")
    add_user(core, "eve@example.org", role="editor")
    add_user(core, "root@example.org", role="admin")
    add_user(core, "bob@example.org", notify_new_movies=False)
    add_user(core, "carol@example.org", is_active=False)
    dave = add_user(core, "dave@example.org")
    core.auth.delete_user(dave, actor=SYSTEM)
    frank = add_user(core, "frank@example.org")
    core.auth.update_user(frank, UserPatch(notify_new_movies=False), actor=SYSTEM)
    gina = add_user(core, "gina@example.org")
    core.auth.update_user(gina, UserPatch(is_active=False), actor=SYSTEM)
    return ["ann@example.org", "eve@example.org", "root@example.org"]


def plans_of_every_kind(core: StreamCore) -> tuple[list[Plan], list[Plan]]:
    """(plans that take new movies, plans that do not)."""
    gold = add_plan(core, "Gold", takes_new=True)
    silver = add_plan(core, "Silver", takes_new=True)
    basic = add_plan(core, "Basic", takes_new=False)
    retired = add_plan(core, "Retired", takes_new=True, active=False)
    closed = add_plan(core, "Closed", takes_new=False, active=False)
    return [gold, silver], [basic, retired, closed]


def alien() -> MovieCreate:
    return MovieCreate(title="Alien", year=1979)


# --- plans ----------------------------------------------------------------------------------


def test_a_new_movie_joins_every_active_plan_that_takes_new_movies_and_no_other(
    core: StreamCore,
) -> None:
    taking, others = plans_of_every_kind(core)

    movie = core.movies.create(alien(), actor=SYSTEM)

    assert {p.name: plan_movies(core, p) for p in taking + others} == {
        "Gold": [movie.id],
        "Silver": [movie.id],
        "Basic": [],
        "Retired": [],
        "Closed": [],
    }


def test_a_plan_created_later_does_not_get_older_movies(core: StreamCore) -> None:
    movie = core.movies.create(alien(), actor=SYSTEM)
    late = add_plan(core, "Late", takes_new=True)

    newer = core.movies.create(MovieCreate(title="Aliens", year=1986), actor=SYSTEM)

    assert movie.id not in plan_movies(core, late)
    assert plan_movies(core, late) == [newer.id]


# --- mail -----------------------------------------------------------------------------------


def test_a_new_movie_mails_every_active_opted_in_user_in_one_batch(
    mailed: StreamCore, mailer: MemoryMailer
) -> None:
    recipients = audience(mailed)
    mail_sent(mailed)
    assert (mailer.batches, mailer.outbox) == (0, [])  # new users are not mailed

    mailed.movies.create(alien(), actor=SYSTEM)
    mail_sent(mailed)

    assert mailer.batches == 1
    assert sorted(m.to for m in mailer.outbox) == recipients
    assert all("Alien (1979)" in m.subject for m in mailer.outbox)
    assert all("- Alien (1979)" in m.body.splitlines() for m in mailer.outbox)


def test_nobody_to_mail_means_no_mail(mailed: StreamCore, mailer: MemoryMailer) -> None:
    add_user(mailed, "bob@example.org", notify_new_movies=False)

    mailed.movies.create(alien(), actor=SYSTEM)
    mail_sent(mailed)

    assert mailer.outbox == []


def test_a_bulk_import_is_one_plan_update_per_plan_and_one_message_per_user(
    mailed: StreamCore, mailer: MemoryMailer
) -> None:
    recipients = audience(mailed)
    taking, others = plans_of_every_kind(mailed)
    films = [("Alien", 1979), ("Aliens", 1986), ("Heat", 1995), ("Amélie", 2001), ("Ran", 1985)]
    rows = [(line, {"title": t, "year": y}) for line, (t, y) in enumerate(films, start=2)]
    updates: list[PlanUpdated] = []

    def heard(sender: object, *, event: PlanUpdated) -> None:
        updates.append(event)

    with plan_updated.connected_to(heard, sender=mailed):
        ids = mailed.movies.import_movies(rows, actor=SYSTEM)
    mail_sent(mailed)

    assert {p.name: plan_movies(mailed, p) for p in taking + others} == {
        "Gold": list(ids),
        "Silver": list(ids),
        "Basic": [],
        "Retired": [],
        "Closed": [],
    }
    assert sorted((u.plan_id, u.changed, u.movie_ids_added) for u in updates) == [
        (p.id, ("movies",), tuple(ids)) for p in taking
    ]
    assert mailer.batches == 1
    assert sorted(m.to for m in mailer.outbox) == recipients
    for message in mailer.outbox:
        assert "5 new movies" in message.subject
        assert [f"- {t} ({y})" for t, y in films] == [
            line for line in message.body.splitlines() if line.startswith("- ")
        ]


def test_a_failing_mailer_is_logged_and_undoes_nothing(
    database_url: str, clock: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with closed_port() as port:
        smtp_url = f"smtp://news:{SMTP_SECRET}@127.0.0.1:{port}"
        with open_core(database_url, clock, tmp_path, smtp_url=smtp_url) as core:
            add_user(core, "ann@example.org")
            gold = add_plan(core, "Gold", takes_new=True)

            with caplog.at_level(logging.ERROR, logger="streamcore.listeners"):
                movie = core.movies.create(alien(), actor=SYSTEM)
                mail_sent(core)  # the failure is logged on the outbox's thread

            assert core.movies.get(movie.id, actor=SYSTEM) == movie
            assert plan_movies(core, gold) == [movie.id]

    failures = [r for r in caplog.records if r.name == "streamcore.listeners"]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR
    line = failures[0].getMessage()
    assert line.startswith("EmailNewMovies failed: StorageError: ")
    assert f"127.0.0.1:{port}" in line
    assert "\n" not in line
    assert failures[0].exc_info is None  # at the default level: one line, no traceback
    assert SMTP_SECRET not in caplog.text


def test_at_debug_a_failing_mailer_also_logs_its_traceback(
    database_url: str, clock: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with closed_port() as port:
        smtp_url = f"smtp://news:{SMTP_SECRET}@127.0.0.1:{port}"
        with open_core(database_url, clock, tmp_path, smtp_url=smtp_url) as core:
            add_user(core, "ann@example.org")
            with caplog.at_level(logging.DEBUG, logger="streamcore.listeners"):
                core.movies.create(alien(), actor=SYSTEM)
                mail_sent(core)

    (failure,) = [r for r in caplog.records if r.name == "streamcore.listeners"]
    assert failure.levelno == logging.ERROR
    assert failure.exc_info is not None
    assert isinstance(failure.exc_info[1], StorageError)
    assert "Traceback" in caplog.text
    assert SMTP_SECRET not in caplog.text


class FlakyMailer:
    """Fails its first batch, then sends; remembers the subjects of every batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def send(self, messages: Sequence[Message]) -> None:
        self.batches.append([m.subject for m in messages])
        if len(self.batches) == 1:
            raise StorageError("cannot send mail through mail.example.org:25")


def test_a_failed_batch_is_not_sent_again_with_the_next_movie(
    database_url: str, clock: Any, tmp_path: Path
) -> None:
    flaky = FlakyMailer()
    with open_core(database_url, clock, tmp_path, mailer=flaky) as core:
        add_user(core, "ann@example.org")

        first = core.movies.create(alien(), actor=SYSTEM)
        second = core.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
        mail_sent(core)

        assert [m.id for m in core.movies.list(actor=SYSTEM).items] == [first.id, second.id]
    assert flaky.batches == [
        ["New on streamcore: Alien (1979)"],
        ["New on streamcore: Heat (1995)"],
    ]


class BatchMailer:
    """Keeps each batch apart (thread-safe), to see which movies went out together."""

    def __init__(self) -> None:
        self.batches: list[tuple[Message, ...]] = []
        self._lock = threading.Lock()

    def send(self, messages: Sequence[Message]) -> None:
        with self._lock:
            self.batches.append(tuple(messages))


def test_commits_in_parallel_threads_are_mailed_as_separate_batches(
    database_url: str, clock: Any, tmp_path: Path
) -> None:
    batcher = BatchMailer()
    groups = [[(f"Film {t}-{n}", 2000 + n) for n in range(3)] for t in range(4)]
    with open_core(database_url, clock, tmp_path, mailer=batcher) as core:
        add_user(core, "ann@example.org")
        gold = add_plan(core, "Gold", takes_new=True)
        start = threading.Barrier(len(groups))

        def import_group(films: list[tuple[str, int]]) -> tuple[int, ...]:
            start.wait(timeout=10)
            return core.movies.import_movies(
                [(line, {"title": t, "year": y}) for line, (t, y) in enumerate(films, start=2)],
                actor=SYSTEM,
            )

        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            ids = [i for result in pool.map(import_group, groups) for i in result]
        in_gold = plan_movies(core, gold)
        mail_sent(core)

    assert sorted(in_gold) == sorted(ids)
    listed = sorted(
        [line[2:] for line in batch[0].body.splitlines() if line.startswith("- ")]
        for batch in batcher.batches
    )
    assert listed == sorted([f"{t} ({y})" for t, y in films] for films in groups)
    assert [[m.to for m in batch] for batch in batcher.batches] == [["ann@example.org"]] * 4


# --- only after the commit -------------------------------------------------------------------


def test_a_refused_write_sends_nothing(mailed: StreamCore, mailer: MemoryMailer) -> None:
    add_user(mailed, "ann@example.org")
    gold = add_plan(mailed, "Gold", takes_new=True)
    first = mailed.movies.create(alien(), actor=SYSTEM)
    mail_sent(mailed)
    mailed_before = list(mailer.outbox)

    with pytest.raises(ConflictError):
        mailed.movies.create(MovieCreate(title="ALIEN", year=1979), actor=SYSTEM)
    with pytest.raises(ConflictError):
        mailed.movies.import_movies(
            [(2, {"title": "Heat", "year": 1995}), (3, {"title": "alien", "year": 1979})],
            actor=SYSTEM,
        )
    mail_sent(mailed)

    assert (mailer.batches, mailer.outbox) == (1, mailed_before)
    assert plan_movies(mailed, gold) == [first.id]
    assert [m.title for m in mailed.movies.list(actor=SYSTEM).items] == ["Alien"]


# --- disconnecting and replacing the defaults ------------------------------------------------


def test_disconnect_stops_both_default_listeners(mailed: StreamCore, mailer: MemoryMailer) -> None:
    add_user(mailed, "ann@example.org")
    gold = add_plan(mailed, "Gold", takes_new=True)

    mailed.listeners.disconnect()
    movie = mailed.movies.create(alien(), actor=SYSTEM)
    mail_sent(mailed)

    assert mailed.movies.get(movie.id, actor=SYSTEM) == movie
    assert plan_movies(mailed, gold) == []
    assert (mailer.batches, mailer.outbox) == (0, [])


def test_connect_after_disconnect_brings_them_back_once(
    mailed: StreamCore, mailer: MemoryMailer
) -> None:
    add_user(mailed, "ann@example.org")
    gold = add_plan(mailed, "Gold", takes_new=True)

    mailed.listeners.disconnect()
    mailed.listeners.connect()
    movie = mailed.movies.create(alien(), actor=SYSTEM)
    mail_sent(mailed)

    assert plan_movies(mailed, gold) == [movie.id]
    assert mailer.batches == 1
    assert [m.to for m in mailer.outbox] == ["ann@example.org"]


def test_embedding_code_can_put_its_own_receiver_in_their_place(
    mailed: StreamCore, mailer: MemoryMailer, clock: Any
) -> None:
    add_user(mailed, "ann@example.org")
    gold = add_plan(mailed, "Gold", takes_new=True)
    heard: list[tuple[object, MovieCreated]] = []

    def mine(sender: object, *, event: MovieCreated) -> None:
        heard.append((sender, event))

    mailed.listeners.disconnect()
    movie_created.connect(mine, sender=mailed, weak=False)
    try:
        movie = mailed.movies.create(alien(), actor=SYSTEM)
    finally:
        movie_created.disconnect(mine, sender=mailed)
    mail_sent(mailed)

    assert heard == [
        (
            mailed,
            MovieCreated(occurred_at=clock.now, movie_id=movie.id, title="Alien", year=1979),
        )
    ]
    assert plan_movies(mailed, gold) == []
    assert mailer.outbox == []


def test_two_cores_in_one_process_do_not_cross_fire(
    mailed: StreamCore, mailer: MemoryMailer, clock: Any, tmp_path: Path
) -> None:
    add_user(mailed, "ann@example.org")
    gold_a = add_plan(mailed, "Gold", takes_new=True)
    other_mailer = MemoryMailer()
    with open_core("memory://", clock, tmp_path, mailer=other_mailer) as other:
        add_user(other, "bob@example.org")
        gold_b = add_plan(other, "Gold", takes_new=True)

        in_a = mailed.movies.create(alien(), actor=SYSTEM)
        mail_sent(mailed)
        mail_sent(other)
        after_a = (
            [m.to for m in mailer.outbox],
            [m.to for m in other_mailer.outbox],
            plan_movies(mailed, gold_a),
            plan_movies(other, gold_b),
        )
        in_b = other.movies.create(MovieCreate(title="Heat", year=1995), actor=SYSTEM)
        mail_sent(mailed)
        mail_sent(other)
        after_b = (
            [m.subject for m in mailer.outbox],
            [m.subject for m in other_mailer.outbox],
            plan_movies(other, gold_b),
        )

    assert after_a == (["ann@example.org"], [], [in_a.id], [])
    assert after_b == (
        ["New on streamcore: Alien (1979)"],
        ["New on streamcore: Heat (1995)"],
        [in_b.id],
    )


# --- end to end, over a real SMTP server -----------------------------------------------------


def test_settings_with_an_smtp_url_mail_each_opted_in_user_over_one_connection(
    database_url: str, clock: Any, tmp_path: Path
) -> None:
    with running_smtp_server() as server:
        settings: dict[str, Any] = {
            "smtp_url": f"smtp://127.0.0.1:{server.port}",
            "mail_from": "news@example.org",
        }
        with open_core(database_url, clock, tmp_path, **settings) as core:
            assert isinstance(core.mailer, SmtpMailer)
            recipients = audience(core)
            assert server.received == []

            core.movies.create(alien(), actor=SYSTEM)

        assert server.handler.connections == 1
        assert sorted(r.rcpt_tos for r in server.received) == [(to,) for to in recipients]
        assert sorted(str(r.message["To"]) for r in server.received) == recipients
        assert {
            (r.connection, r.mail_from, str(r.message["From"]), str(r.message["Subject"]))
            for r in server.received
        } == {(0, "news@example.org", "news@example.org", "New on streamcore: Alien (1979)")}
        assert all("- Alien (1979)" in r.body.splitlines() for r in server.received)


def test_a_title_with_a_line_break_is_refused_or_mailed_without_a_forged_header(
    database_url: str, clock: Any, tmp_path: Path
) -> None:
    """Titles reach a mail header: a line break in one must not lose the mail, or forge a Bcc."""
    title = "Alien\r\nBcc: mallory@example.org"
    with running_smtp_server() as server:
        settings: dict[str, Any] = {
            "smtp_url": f"smtp://127.0.0.1:{server.port}",
            "mail_from": "news@example.org",
        }
        with open_core(database_url, clock, tmp_path, **settings) as core:
            add_user(core, "ann@example.org")
            refused: InvalidInputError | None = None
            try:
                core.movies.create(MovieCreate(title=title, year=1979), actor=SYSTEM)
            except InvalidInputError as exc:
                refused = exc

        assert refused is None or refused.fields == ("title",)
        expected = [] if refused else [("ann@example.org",)]
        assert [r.rcpt_tos for r in server.received] == expected
        assert [r.message["Bcc"] for r in server.received] == [None] * len(expected)
        assert all("Alien" in str(r.message["Subject"]) for r in server.received)
