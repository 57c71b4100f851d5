"""The ``Mailer`` interface and its three implementations: SMTP, log (default), in memory.

``STREAMCORE_SMTP_URL`` picks SMTP: ``smtp://user:pass@host:port`` (``?starttls=true`` to
upgrade), or ``smtps://...`` for TLS from the start. A batch is sent over one connection.
Nothing here logs a password: SMTP failures name the host and port only.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from streamcore.errors import InvalidInputError, StorageError

logger = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Message:
    """One e-mail: plain text."""

    to: str
    subject: str
    body: str


class Mailer(Protocol):
    """Sends a batch of messages."""

    def send(self, messages: Sequence[Message]) -> None:
        """Send every message; raise on failure (the caller decides what a failure means)."""
        ...


class LogMailer:
    """Writes what it would have sent to the log instead of sending it (the default).

    At INFO, one line per subject of a batch: how many users it would have mailed. The
    addresses are personal data: one DEBUG line each, never at INFO.
    """

    def send(self, messages: Sequence[Message]) -> None:
        """Log the batch: a count per subject at INFO, each address at DEBUG."""
        recipients: dict[str, int] = {}
        for message in messages:
            recipients[message.subject] = recipients.get(message.subject, 0) + 1
        for subject, count in recipients.items():
            users = "user" if count == 1 else "users"
            logger.info(
                "log mailer (no SMTP URL set): would have mailed %d %s: %r", count, users, subject
            )
        for message in messages:
            logger.debug("log mailer: would have mailed %s: %r", message.to, message.subject)


class MemoryMailer:
    """Keeps messages in ``outbox`` (tests and embedding code)."""

    def __init__(self) -> None:
        self.outbox: list[Message] = []
        self.batches = 0

    def send(self, messages: Sequence[Message]) -> None:
        """Append the messages to the outbox."""
        self.batches += 1
        self.outbox.extend(messages)


@dataclass(frozen=True)
class SmtpMailer:
    """Sends over SMTP with the standard library, one connection per batch."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    starttls: bool = False

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpMailer:
        """Parse an ``smtp://`` or ``smtps://`` URL; a bad one names the ``smtp_url`` setting."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            port, parts = None, None
        if parts is None or parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise InvalidInputError.single(
                "smtp_url", "must look like smtp://user:pass@host:port or smtps://host"
            )
        ssl = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=port or (465 if ssl else 25),
            sender=sender,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ssl=ssl,
            starttls=query.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"},
        )

    def send(self, messages: Sequence[Message]) -> None:
        """Send every message over one connection; raises ``StorageError`` on SMTP failure."""
        if not messages:
            return
        refused = 0
        try:
            with self._connect() as smtp:
                for message in messages:
                    try:
                        smtp.send_message(self._email(message))
                    except smtplib.SMTPRecipientsRefused:
                        refused += 1  # one bad address must not cost the others their mail
        except (OSError, smtplib.SMTPException) as exc:
            # The message names the server, never the credentials.
            raise StorageError(
                f"cannot send mail through {self.host}:{self.port}: {type(exc).__name__}"
            ) from None
        if refused:
            raise StorageError(
                f"{self.host}:{self.port} refused {refused} of {len(messages)} recipients"
            )

    def _connect(self) -> smtplib.SMTP:
        # A verified TLS context: without one, smtplib accepts any certificate and a man in
        # the middle would get the password.
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.ssl:
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if self.starttls and not self.ssl:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = " ".join(message.subject.split())  # one line, whatever a title holds
        email.set_content(message.body)
        return email

    def __repr__(self) -> str:
        return f"SmtpMailer(host={self.host!r}, port={self.port}, ssl={self.ssl})"


def mailer_for(smtp_url: str | None, sender: str) -> Mailer:
    """SMTP when a URL is set, else the log."""
    return SmtpMailer.from_url(smtp_url, sender) if smtp_url else LogMailer()
