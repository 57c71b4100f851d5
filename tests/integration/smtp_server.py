"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a port the OS picks, recording mail.

Not a test module. ``running_smtp_server()`` starts an ``aiosmtpd`` controller in a thread and
stops it when the ``with`` block ends (use it inside a fixture so that a failing test stops it
too). The handler records every accepted message with the TCP connection it came over, every
AUTH attempt, and whether the connection was encrypted; given a ``hold`` event, it answers no
message's DATA until the event is set (a stuck server), and sets ``arrived`` meanwhile.
``closed_port()`` gives a local port that refuses connections, and
``self_signed_certificate()`` a certificate for 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    connection: int
    """Which TCP connection brought it: 0 for the first one the server saw, 1 for the next..."""
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None
    """The user that authenticated on that connection, if any."""
    tls: bool
    """Whether the connection was encrypted (STARTTLS or implicit TLS)."""

    @property
    def body(self) -> str:
        """The decoded text, with ``\n`` line ends (SMTP carries ``\r\n``)."""
        return cast(str, self.message.get_content()).replace("\r\n", "\n")


class RecordingHandler:
    """An aiosmtpd handler that keeps what it receives; ``refuse`` names refused recipients."""

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        refuse: Iterable[str] = (),
        hold: threading.Event | None = None,
    ) -> None:
        self.received: list[Received] = []
        self.arrived = threading.Event()
        """Set when a message's DATA has come in (also while ``hold`` keeps it unanswered)."""
        self._hold = hold
        self.logins: list[tuple[str, bool]] = []
        """Every AUTH attempt: (login, accepted)."""
        self._users = dict(users or {})
        self._refuse = {address.lower() for address in refuse}
        # One SMTP protocol object per TCP connection; a STARTTLS makes a new Session but
        # keeps the protocol object, so connections are counted by it.
        self._connections: list[SMTP] = []
        self._lock = threading.Lock()

    @property
    def connections(self) -> int:
        """How many client connections said EHLO (the controller's start-up probe does not)."""
        return len(self._connections)

    def _connection(self, server: SMTP) -> int:
        with self._lock:
            for index, known in enumerate(self._connections):
                if known is server:
                    return index
            self._connections.append(server)
            return len(self._connections) - 1

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self._connection(server)
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self._refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.arrived.set()
        while self._hold is not None and not self._hold.is_set():
            await asyncio.sleep(0.01)  # cancellable, so stopping the server never hangs on it
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        auth = session.auth_data
        self.received.append(
            Received(
                connection=self._connection(server),
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=message,
                login=auth.login.decode() if session.authenticated and auth else None,
                tls=_encrypted(server),
            )
        )
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """The aiosmtpd ``authenticator``: a login and password out of ``users``."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        accepted = login in self._users and self._users[login] == auth_data.password.decode()
        self.logins.append((login, accepted))
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)


def _encrypted(server: SMTP) -> bool:
    """Whether the connection speaks TLS now (after STARTTLS, or from the start: ``smtps``)."""
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


class _FreePortController(Controller):
    """Binds port 0, so the OS picks a free port, and learns it before the start-up probe."""

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class SmtpServer:
    """A running server: where it listens and what it received."""

    host: str
    port: int
    handler: RecordingHandler

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def url(self, *, scheme: str = "smtp", userinfo: str = "", query: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"{scheme}://{at}{self.host}:{self.port}" + (f"?{query}" if query else "")


@contextmanager
def running_smtp_server(
    *,
    users: Mapping[str, str] | None = None,
    refuse: Iterable[str] = (),
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    hold: threading.Event | None = None,
    port: int = 0,
) -> Iterator[SmtpServer]:
    """Run an SMTP server on 127.0.0.1 until the block ends.

    ``users`` (login -> password) makes AUTH required before MAIL; without TLS, AUTH is
    offered in clear text. ``starttls`` offers STARTTLS and requires it (AUTH then only after
    it); ``implicit_tls`` speaks TLS from the first byte (``smtps``). ``hold`` keeps every
    DATA unanswered until it is set. ``port`` 0 lets the OS pick one.
    """
    handler = RecordingHandler(users=users, refuse=refuse, hold=hold)
    options: dict[str, Any] = {}
    if users is not None:
        options |= {
            "authenticator": handler.authenticate,
            "auth_required": True,
            "auth_require_tls": starttls is not None,
        }
    if starttls is not None:
        options |= {"tls_context": starttls, "require_starttls": True}
    controller = _FreePortController(
        handler, hostname=HOST, port=port, ssl_context=implicit_tls, ready_timeout=5, **options
    )
    controller.start()
    try:
        yield SmtpServer(HOST, controller.port, handler)
    finally:
        controller.stop()


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound by this process, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and localhost) and its key, made by the openssl CLI.

    Returns ``(certificate, key)``. Raises ``FileNotFoundError`` when openssl is missing.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            *("req", "-x509", "-nodes", "-days", "2"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}"),
            *("-addext", f"subjectAltName=IP:{HOST},DNS:localhost"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The server side of TLS with ``cert``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
