"""The default receivers of ``movie_created`` (SPEC §3.4), wired by ``StreamCore.open``.

1. ``AddNewMoviesToPlans``: every active plan that takes new movies gets the new movie.
2. ``EmailNewMovies``: every active user who opted in gets an e-mail, the whole batch over one
   connection, sent off the publishing thread by the core's ``MailOutbox``: the call that
   created the movies returns without waiting for the recipients' query or for SMTP.

Both collect what they need of the movies of one commit (the ids; a count and the first titles
to list) and do their work once, after the commit's events went out
(``EventPublisher.after_batch``): a bulk import of 10,000 movies is one plan update and one
e-mail per user, not 10,000 of each, and its events are not kept meanwhile. Each runs after
the commit that created the movies; a failure is logged (one line at ERROR,
the traceback only at DEBUG) and never undoes the movies. The mail's failure is logged from
the outbox's thread, in the same words, after the call returned.
Embedding code may disconnect them (``core.listeners.disconnect()``) or connect its own
receivers beside or instead of them.
"""

from __future__ import annotations

import logging
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from streamcore.events import EventPublisher, MovieCreated, log_failure, movie_created
from streamcore.mail import Message
from streamcore.outbox import MailOutbox

logger = logging.getLogger(__name__)

MAX_TITLES_IN_MAIL = 50


class AddNewMoviesToPlans:
    """Puts new movies into every active plan with ``includes_new_movies``."""

    def __init__(self, add_new_movies: Callable[[Sequence[int]], list[int]]) -> None:
        self._add = add_new_movies
        self._local = threading.local()  # per publishing thread: the commit it publishes

    def __call__(self, sender: object, *, event: MovieCreated, **_: object) -> None:
        """Remember one new movie's id until the end of the batch."""
        self._ids().append(event.movie_id)

    def flush(self) -> None:
        """Add the batch's movies to the plans, in one unit of work."""
        ids, self._local.ids = self._ids(), array("q")
        if ids:
            self._add(ids.tolist())

    def _ids(self) -> array[int]:
        # Ids only, compactly: an import publishes one event a row (decision 54).
        if not hasattr(self._local, "ids"):
            self._local.ids = array("q")
        ids: array[int] = self._local.ids
        return ids


class EmailNewMovies:
    """E-mails the batch's new movies to every active user who opted in, through the outbox."""

    def __init__(
        self,
        recipients: Callable[[], list[str]],
        outbox: MailOutbox,
        *,
        site: str = "streamcore",
    ) -> None:
        self._recipients = recipients
        self._outbox = outbox
        self._site = site
        self._local = threading.local()  # per publishing thread: the commit it publishes

    def __call__(self, sender: object, *, event: MovieCreated, **_: object) -> None:
        """Count one new movie; keep it only if the mail will list it."""
        pending = self._pending()
        pending.count += 1
        if len(pending.listed) < MAX_TITLES_IN_MAIL:
            pending.listed.append(event)

    def flush(self) -> None:
        """Write the batch's letter and queue it; the outbox mails it to the recipients."""
        pending, self._local.pending = self._pending(), _Pending()
        if not pending.count:
            return
        subject, body = self._letter(pending)
        self._outbox.put(partial(self._messages, subject, body), on_failure=self._failed)

    def _messages(self, subject: str, body: str) -> list[Message]:
        # On the outbox's thread: the recipients are read when the mail goes, so a request
        # never waits for that query (decision 131).
        return [Message(to=email, subject=subject, body=body) for email in self._recipients()]

    def _failed(self, exc: Exception) -> None:
        log_failure(logger, type(self).__name__, exc, "the new movies stay created")

    def _pending(self) -> _Pending:
        if not hasattr(self._local, "pending"):
            self._local.pending = _Pending()
        pending: _Pending = self._local.pending
        return pending

    def _letter(self, pending: _Pending) -> tuple[str, str]:
        first = pending.listed[0]
        if pending.count == 1:
            subject = f"New on {self._site}: {first.title} ({first.year})"
        else:
            subject = f"{pending.count} new movies on {self._site}"
        lines = [f"- {e.title} ({e.year})" for e in pending.listed]
        if pending.count > len(pending.listed):
            lines.append(f"... and {pending.count - len(pending.listed)} more")
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
class _Pending:
    """What the mail of one commit needs: how many movies, and the first ones to list."""

    count: int = 0
    listed: list[MovieCreated] = field(default_factory=list)


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
