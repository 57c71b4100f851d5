"""The default receivers of ``movie_created`` (SPEC §3.4), wired by ``StreamCore.open``.

1. ``AddNewMoviesToPlans``: every active plan that takes new movies gets the new movie.
2. ``EmailNewMovies``: every active user who opted in gets an e-mail, the whole batch over one
   connection.

Both collect the movies of one commit and do their work once, after the commit's events went
out (``EventPublisher.after_batch``): a bulk import of 10,000 movies is one plan update and
one e-mail per user, not 10,000 of each. Each runs after the commit that created the movies;
a failure is logged (one line at ERROR, the traceback only at DEBUG) and never undoes the
movies. Embedding code may disconnect them
(``core.listeners.disconnect()``) or connect its own receivers beside or instead of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from streamcore.events import EventPublisher, MovieCreated, log_failure, movie_created
from streamcore.mail import Mailer, Message

logger = logging.getLogger(__name__)

MAX_TITLES_IN_MAIL = 50


class _Collector:
    """Receives ``movie_created`` and keeps the events of the commit being published."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, sender: object, *, event: MovieCreated, **_: object) -> None:
        """Remember one new movie until the end of the batch."""
        self._pending().append(event)

    def take(self) -> list[MovieCreated]:
        """The events collected since the last call."""
        pending, self._local.events = self._pending(), []
        return pending

    def _pending(self) -> list[MovieCreated]:
        if not hasattr(self._local, "events"):
            self._local.events = []
        events: list[MovieCreated] = self._local.events
        return events


class AddNewMoviesToPlans(_Collector):
    """Puts new movies into every active plan with ``includes_new_movies``."""

    def __init__(self, add_new_movies: Callable[[Sequence[int]], list[int]]) -> None:
        super().__init__()
        self._add = add_new_movies

    def flush(self) -> None:
        """Add the batch's movies to the plans, in one unit of work."""
        events = self.take()
        if events:
            self._add([e.movie_id for e in events])


class EmailNewMovies(_Collector):
    """E-mails the batch's new movies to every active user who opted in."""

    def __init__(
        self, recipients: Callable[[], list[str]], mailer: Mailer, *, site: str = "streamcore"
    ) -> None:
        super().__init__()
        self._recipients = recipients
        self._mailer = mailer
        self._site = site

    def flush(self) -> None:
        """One message per recipient, all sent over one connection."""
        events = self.take()
        if not events:
            return
        subject, body = self._letter(events)
        messages = [Message(to=email, subject=subject, body=body) for email in self._recipients()]
        self._mailer.send(messages)

    def _letter(self, events: list[MovieCreated]) -> tuple[str, str]:
        if len(events) == 1:
            subject = f"New on {self._site}: {events[0].title} ({events[0].year})"
        else:
            subject = f"{len(events)} new movies on {self._site}"
        lines = [f"- {e.title} ({e.year})" for e in events[:MAX_TITLES_IN_MAIL]]
        if len(events) > MAX_TITLES_IN_MAIL:
            lines.append(f"... and {len(events) - MAX_TITLES_IN_MAIL} more")
        body = "\n".join(
            [
                "New movies are in the catalogue:",
                "",
                *lines,
                "",
                "You get this because you asked to hear of new movies; "
                "change it in your profile (notify_new_movies).",
            ]
        )
        return subject, body


@dataclass
class DefaultListeners:
    """The default receivers of one core, connected to its ``movie_created`` signal."""

    add_to_plans: AddNewMoviesToPlans
    email_users: EmailNewMovies
    _sender: object
    _publisher: EventPublisher

    def connect(self) -> None:
        """Listen to the core's ``movie_created`` and flush after each committed batch."""
        for receiver in (self.add_to_plans, self.email_users):
            movie_created.connect(receiver, sender=self._sender, weak=False)
            self._publisher.after_batch.append(self._guarded(receiver))

    def disconnect(self) -> None:
        """Stop both (embedding code may connect its own instead)."""
        for receiver in (self.add_to_plans, self.email_users):
            movie_created.disconnect(receiver, sender=self._sender)

    @staticmethod
    def _guarded(receiver: AddNewMoviesToPlans | EmailNewMovies) -> Callable[[], None]:
        def flush() -> None:
            try:
                receiver.flush()
            except Exception as exc:  # one line at ERROR; the traceback only at DEBUG
                log_failure(logger, type(receiver).__name__, exc, "the new movies stay created")

        return flush
