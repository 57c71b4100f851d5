"""``SmtpMailer`` against a real SMTP server (aiosmtpd on 127.0.0.1), SPEC §1 and §3.4.

The URL of ``STREAMCORE_SMTP_URL`` is parsed into host, port, credentials and TLS mode, and a
bad one names the ``smtp_url`` setting. A batch travels over one connection with the sender of
``STREAMCORE_MAIL_FROM``. Failures (a wrong password, a server that is down, a certificate that
is not trusted) are ``StorageError``s that name the server, never the password.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamcore import InvalidInputError, Settings, StorageError, StreamCore
from streamcore.mail import LogMailer, Message, SmtpMailer, mailer_for
from tests.integration.smtp_server import (
    SmtpServer,
    closed_port,
    running_smtp_server,
    self_signed_certificate,
    server_tls_context,
)

SENDER = "news@example.org"
LOGIN = "news@example.org"
PASSWORD = "p@ss w0rd:/x"  # characters a URL must escape
QUOTED_PASSWORD = "p%40ss%20w0rd%3A%2Fx"
QUOTED_USERINFO = f"news%40example.org:{QUOTED_PASSWORD}"

# The clear-text AUTH server stands for a local relay; aiosmtpd warns about it on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def letter(to: str, title: str) -> Message:
    return Message(to=to, subject=f"New: {title}", body=f"- {title}\n\nEnjoy.")


def delivered(server: SmtpServer) -> list[tuple[int, str, tuple[str, ...], str, str, str, str]]:
    """(connection, envelope sender, envelope recipients, From, To, Subject, body) per message."""
    return [
        (
            r.connection,
            r.mail_from,
            r.rcpt_tos,
            str(r.message["From"]),
            str(r.message["To"]),
            str(r.message["Subject"]),
            r.body,
        )
        for r in server.received
    ]


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with running_smtp_server() as running:
        yield running


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    """A server that requires AUTH (offered without TLS, as a local relay may do)."""
    with running_smtp_server(users={LOGIN: PASSWORD}) as running:
        yield running


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    try:
        return self_signed_certificate(tmp_path_factory.mktemp("tls"))
    except FileNotFoundError:
        pytest.skip("the openssl CLI is needed to make a test certificate")


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test certificate the one CA the default TLS verification trusts."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """Requires STARTTLS, then AUTH."""
    with running_smtp_server(
        users={LOGIN: PASSWORD}, starttls=server_tls_context(*certificate)
    ) as s:
        yield s


@pytest.fixture
def smtps_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """TLS from the first byte, then AUTH."""
    with running_smtp_server(
        users={LOGIN: PASSWORD}, implicit_tls=server_tls_context(*certificate)
    ) as s:
        yield s


# --- the URL -------------------------------------------------------------------------------


def fields_of(mailer: SmtpMailer) -> tuple[object, ...]:
    return (
        mailer.host,
        mailer.port,
        mailer.username,
        mailer.password,
        mailer.ssl,
        mailer.starttls,
        mailer.sender,
    )


def test_from_url_reads_host_port_credentials_and_tls_mode() -> None:
    cases = {
        "smtp://ann:secret@mail.example.org:2525": (
            "mail.example.org",
            2525,
            "ann",
            "secret",
            False,
            False,
            SENDER,
        ),
        "smtp://mail.example.org": ("mail.example.org", 25, None, None, False, False, SENDER),
        "smtps://mail.example.org": ("mail.example.org", 465, None, None, True, False, SENDER),
        "smtps://ann:secret@mail.example.org:2465": (
            "mail.example.org",
            2465,
            "ann",
            "secret",
            True,
            False,
            SENDER,
        ),
        "smtp://mail.example.org:587?starttls=true": (
            "mail.example.org",
            587,
            None,
            None,
            False,
            True,
            SENDER,
        ),
        "smtp://mail.example.org:587?starttls=TRUE": (
            "mail.example.org",
            587,
            None,
            None,
            False,
            True,
            SENDER,
        ),
        "smtp://mail.example.org:587?starttls=1": (
            "mail.example.org",
            587,
            None,
            None,
            False,
            True,
            SENDER,
        ),
        "smtp://mail.example.org:587?starttls=false": (
            "mail.example.org",
            587,
            None,
            None,
            False,
            False,
            SENDER,
        ),
        "smtp://127.0.0.1:1025": ("127.0.0.1", 1025, None, None, False, False, SENDER),
    }
    parsed = {url: fields_of(SmtpMailer.from_url(url, SENDER)) for url in cases}
    assert parsed == cases


def test_from_url_unquotes_the_user_and_the_password() -> None:
    mailer = SmtpMailer.from_url(f"smtp://{QUOTED_USERINFO}@mail.example.org:587", SENDER)

    assert (mailer.username, mailer.password) == (LOGIN, PASSWORD)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "mail.example.org:25",
        "http://mail.example.org",
        "smtp://",
        "smtp:///no-host",
        "smtp://:25",
        "smtp://mail.example.org:port",
        "smtp://mail.example.org:99999",
        "smtp://ann:hunter2-secret@mail.example.org:notaport",
    ],
)
def test_a_bad_url_names_the_smtp_url_setting_and_not_the_password(url: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        SmtpMailer.from_url(url, SENDER)

    assert caught.value.fields == ("smtp_url",)
    assert "hunter2-secret" not in str(caught.value)


def test_opening_a_core_with_a_bad_smtp_url_fails_naming_smtp_url() -> None:
    settings = Settings(database_url="memory://", smtp_url="http://mail.example.org")

    with pytest.raises(InvalidInputError) as caught:
        StreamCore.open(settings)

    assert caught.value.fields == ("smtp_url",)


def test_mailer_for_picks_smtp_with_a_url_and_the_log_without() -> None:
    smtp = mailer_for("smtps://mail.example.org", SENDER)

    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.ssl, smtp.sender) == ("mail.example.org", 465, True, SENDER)
    assert isinstance(mailer_for(None, SENDER), LogMailer)
    assert isinstance(mailer_for("", SENDER), LogMailer)


def test_the_repr_of_a_mailer_never_shows_the_password() -> None:
    mailer = SmtpMailer.from_url(f"smtp://{QUOTED_USERINFO}@mail.example.org:587", SENDER)
    core = StreamCore.open(
        Settings(
            database_url="memory://",
            smtp_url=f"smtps://{QUOTED_USERINFO}@mail.example.org",
        )
    )
    try:
        shown = [
            repr(mailer),
            str(mailer),
            f"{mailer!r}",
            repr([mailer]),
            repr(core.mailer),
            repr(core.mail_outbox),
        ]
    finally:
        core.close()

    assert "mail.example.org" in shown[0]
    leaks = [text for text in shown if PASSWORD in text or QUOTED_PASSWORD in text]
    assert leaks == []


# --- sending ---------------------------------------------------------------------------------


def test_a_batch_goes_over_one_connection_with_sender_recipients_subject_and_body(
    server: SmtpServer,
) -> None:
    mailer = SmtpMailer.from_url(server.url(), SENDER)
    batch = [
        letter("ann@example.org", "Alien (1979)"),
        letter("bob@example.org", "Amélie (2001)"),
        letter("eve@example.org", "Heat (1995)"),
    ]

    mailer.send(batch)

    assert server.handler.connections == 1
    assert delivered(server) == [
        (0, SENDER, (m.to,), SENDER, m.to, m.subject, m.body + "\n") for m in batch
    ]


def test_each_batch_gets_its_own_connection(server: SmtpServer) -> None:
    mailer = SmtpMailer.from_url(server.url(), SENDER)

    mailer.send([letter("ann@example.org", "Alien"), letter("bob@example.org", "Alien")])
    mailer.send([letter("ann@example.org", "Heat"), letter("bob@example.org", "Heat")])

    assert server.handler.connections == 2
    assert [(r.connection, r.rcpt_tos, r.message["Subject"]) for r in server.received] == [
        (0, ("ann@example.org",), "New: Alien"),
        (0, ("bob@example.org",), "New: Alien"),
        (1, ("ann@example.org",), "New: Heat"),
        (1, ("bob@example.org",), "New: Heat"),
    ]


def test_an_empty_batch_opens_no_connection(server: SmtpServer) -> None:
    SmtpMailer.from_url(server.url(), SENDER).send([])

    assert (server.handler.connections, server.received) == (0, [])


def test_a_refused_recipient_does_not_stop_the_rest_of_the_batch() -> None:
    with running_smtp_server(refuse=["gone@example.org"]) as server:
        mailer = SmtpMailer.from_url(server.url(), SENDER)
        batch = [
            letter("ann@example.org", "Alien"),
            letter("gone@example.org", "Alien"),
            letter("eve@example.org", "Alien"),
        ]

        with contextlib.suppress(StorageError):  # reporting the refusal is allowed
            mailer.send(batch)

        assert [r.rcpt_tos for r in server.received] == [
            ("ann@example.org",),
            ("eve@example.org",),
        ]


# --- authentication --------------------------------------------------------------------------


def test_login_with_the_right_password_delivers(auth_server: SmtpServer) -> None:
    mailer = SmtpMailer.from_url(auth_server.url(userinfo=QUOTED_USERINFO), SENDER)

    mailer.send([letter("ann@example.org", "Alien"), letter("bob@example.org", "Alien")])

    assert auth_server.handler.logins == [(LOGIN, True)]
    assert auth_server.handler.connections == 1
    assert [(r.connection, r.login, r.rcpt_tos) for r in auth_server.received] == [
        (0, LOGIN, ("ann@example.org",)),
        (0, LOGIN, ("bob@example.org",)),
    ]


def test_a_wrong_password_is_a_storage_error_naming_the_server_not_the_password(
    auth_server: SmtpServer,
) -> None:
    wrong = "Wr0ng-Pa55word"
    mailer = SmtpMailer.from_url(auth_server.url(userinfo=f"news%40example.org:{wrong}"), SENDER)

    with pytest.raises(StorageError) as caught:
        mailer.send([letter("ann@example.org", "Alien")])

    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert f"{auth_server.host}:{auth_server.port}" in str(caught.value)
    assert wrong not in shown
    assert auth_server.handler.logins  # the server was asked ...
    assert all(not accepted for _, accepted in auth_server.handler.logins)  # ... and said no
    assert auth_server.received == []


def test_no_credentials_against_a_server_that_requires_them_is_a_storage_error(
    auth_server: SmtpServer,
) -> None:
    mailer = SmtpMailer.from_url(auth_server.url(), SENDER)

    with pytest.raises(StorageError, match=f"{auth_server.host}:{auth_server.port}"):
        mailer.send([letter("ann@example.org", "Alien")])

    assert auth_server.received == []


def test_a_server_that_is_down_is_a_quick_storage_error() -> None:
    with closed_port() as port:
        mailer = SmtpMailer.from_url(f"smtp://{QUOTED_USERINFO}@127.0.0.1:{port}", SENDER)
        started = time.monotonic()

        with pytest.raises(StorageError) as caught:
            mailer.send([letter("ann@example.org", "Alien")])

        elapsed = time.monotonic() - started
    assert elapsed < 2
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert QUOTED_PASSWORD not in str(caught.value)


# --- TLS -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("trusted")
def test_starttls_upgrades_before_the_login(starttls_server: SmtpServer) -> None:
    url = starttls_server.url(userinfo=QUOTED_USERINFO, query="starttls=true")

    SmtpMailer.from_url(url, SENDER).send([letter("ann@example.org", "Alien")])

    assert starttls_server.handler.logins == [(LOGIN, True)]
    assert [(r.tls, r.login, r.rcpt_tos) for r in starttls_server.received] == [
        (True, LOGIN, ("ann@example.org",))
    ]


@pytest.mark.usefixtures("trusted")
def test_smtps_speaks_tls_from_the_start(smtps_server: SmtpServer) -> None:
    url = smtps_server.url(scheme="smtps", userinfo=QUOTED_USERINFO)

    SmtpMailer.from_url(url, SENDER).send([letter("ann@example.org", "Alien")])

    assert [(r.tls, r.login, r.rcpt_tos) for r in smtps_server.received] == [
        (True, LOGIN, ("ann@example.org",))
    ]


def test_starttls_refuses_a_certificate_nobody_trusts(starttls_server: SmtpServer) -> None:
    """A server that cannot prove who it is must not get the password (or the mail)."""
    url = starttls_server.url(userinfo=QUOTED_USERINFO, query="starttls=true")

    with pytest.raises(StorageError):
        SmtpMailer.from_url(url, SENDER).send([letter("ann@example.org", "Alien")])

    assert starttls_server.handler.logins == []
    assert starttls_server.received == []


def test_smtps_refuses_a_certificate_nobody_trusts(smtps_server: SmtpServer) -> None:
    url = smtps_server.url(scheme="smtps", userinfo=QUOTED_USERINFO)

    with pytest.raises(StorageError):
        SmtpMailer.from_url(url, SENDER).send([letter("ann@example.org", "Alien")])

    assert smtps_server.handler.logins == []
    assert smtps_server.received == []


def test_the_log_mailer_says_how_many_at_info_and_the_addresses_only_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batch = [letter(f"user{n}@example.org", "Alien (1979)") for n in range(3)]
    batch.append(letter("zoe@example.org", "Brazil (1985)"))

    with caplog.at_level(logging.INFO, logger="streamcore.mail"):
        LogMailer().send(batch)
    info = [r.getMessage() for r in caplog.records]
    assert info == [
        "log mailer (no SMTP URL set): would have mailed 3 users: 'New: Alien (1979)'",
        "log mailer (no SMTP URL set): would have mailed 1 user: 'New: Brazil (1985)'",
    ]
    assert "@example.org" not in caplog.text

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="streamcore.mail"):
        LogMailer().send(batch)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert sorted(debug) == sorted(
        f"log mailer: would have mailed {m.to}: {m.subject!r}" for m in batch
    )


def test_the_log_mailer_logs_nothing_for_an_empty_batch(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="streamcore.mail"):
        LogMailer().send([])
    assert caplog.records == []
