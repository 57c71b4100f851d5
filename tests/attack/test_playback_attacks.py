"""A hostile client against signed playback URLs (SPEC §3.5): what is refused, and what is not.

In-process, over the app of a real SQLite core, with the setup of tests/api: movies A and B in
a plan, Ann paid up, Bob not. Each test takes a URL Ann was given and changes one thing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

import pytest

from streamcore import NotAuthenticatedError, StreamCore
from streamcore.auth.models import Credentials, UserCreate, UserPatch
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM, Principal, Role
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate
from streamcore.movies.secrets import PLAYBACK_KEY
from streamcore.movies.signing import sign
from tests.api.conftest import PASSWORD, Api
from tests.api.test_playback_urls import CONTENT, Setup, setup
from tests.conftest import FakeClock

__all__ = ["setup"]  # the fixture, for pytest

ANN = "ann@example.com"


def _url(path: str, query: dict[str, str], **changed: str) -> str:
    # Values are put in as they are (not encoded), so a test says exactly what is sent.
    pairs = {**query, **changed}
    return f"{path}?" + "&".join(f"{name}={value}" for name, value in pairs.items())


@pytest.mark.parametrize("name", ["user", "expires", "sig"])
def test_a_signed_parameter_given_twice_is_refused_even_with_the_same_value(
    api: Api, setup: Setup, name: str
) -> None:
    path, query = setup.issue(setup.a)
    for second in (query[name], str(setup.bob)):
        answer = api.client.get(f"{path}?{urlencode(query)}&{name}={second}")
        assert answer.status_code == 422, (name, second)
        assert answer.json()["errors"] == [{"field": name, "message": "must be given once"}]
        assert query["sig"] not in answer.text


SPELLINGS = (
    "{sig}=",  # padded
    "{sig}==",
    "{upper}",  # another case
    "{standard}",  # the standard base64 alphabet (+ and / for - and _)
    "{sig}A",  # one character more
    "{short}",  # one fewer
    "{sig}%00",  # a NUL after it
    "%20{sig}",  # a space before
    "{sig}" * 200,  # very long
)


def test_another_spelling_of_the_signature_is_refused(api: Api, setup: Setup) -> None:
    path, query = setup.issue(setup.a)
    sig = query["sig"]
    for spelling in SPELLINGS:
        spelled = spelling.format(
            sig=sig,
            upper=sig.swapcase(),
            standard=sig.replace("-", "%2B").replace("_", "%2F"),
            short=sig[:-1],
        )
        if spelled == sig:
            continue  # a signature with no - or _ (1 in 4) is spelled alike in both alphabets
        answer = api.client.get(_url(path, query, sig=spelled))
        assert answer.status_code == 401, (spelling, answer.text)
        assert "signature does not match" in answer.json()["detail"]


def test_out_of_range_numbers_are_a_401_not_an_error(api: Api, setup: Setup) -> None:
    path, query = setup.issue(setup.a)
    for name in ("user", "expires"):
        for value in (str(10**30), str(2**63), str(2**63 - 1), "-1", "0"):
            answer = api.client.get(_url(path, query, **{name: value}))
            assert answer.status_code == 401, (name, value, answer.text)


def test_numbers_that_are_no_whole_numbers_are_a_422_that_echoes_nothing(
    api: Api, setup: Setup
) -> None:
    path, query = setup.issue(setup.a)
    for name, value in (("user", "1e0"), ("expires", "1e30"), ("user", "x"), ("expires", "")):
        answer = api.client.get(_url(path, query, **{name: value}))
        assert answer.status_code == 422, (name, value)
        assert answer.json()["errors"] == [{"field": name, "message": "must be a whole number"}]
        assert query["sig"] not in answer.text


def test_only_the_issued_spelling_of_a_number_plays(api: Api, setup: Setup) -> None:
    path, query = setup.issue(setup.a)
    played = []
    for spelling in ("+{v}", "0{v}", "%20{v}", "{v}%20", "{v}.0"):
        for name in ("user", "expires"):
            answer = api.client.get(_url(path, query, **{name: spelling.format(v=query[name])}))
            if answer.status_code == 200:
                played.append(f"{name}={spelling}")
    for movie in (f"0{setup.a}", f"+{setup.a}"):
        if api.client.get(f"/api/movie/{movie}/stream?{urlencode(query)}").status_code == 200:
            played.append(f"movie={movie}")
    assert played == []


def test_a_bearer_token_as_a_cookie_or_form_field_is_no_credential(api: Api, setup: Setup) -> None:
    path, _query = setup.issue(setup.a)
    token = api.tokens[ANN]
    for cookie in ("access_token", "token", "session", "Authorization"):
        api.client.cookies.set(cookie, token)
        assert api.client.get(path).status_code == 401, cookie
        api.client.cookies.clear()
    assert api.client.get(path, headers={"Authorization": token}).status_code == 401  # no scheme
    assert api.client.get(path, headers={"X-Access-Token": token}).status_code == 401


def test_a_signed_url_with_a_bad_bearer_is_refused_as_the_bad_bearer(
    api: Api, setup: Setup
) -> None:
    path, query = setup.issue(setup.a)
    answer = api.client.get(
        f"{path}?{urlencode(query)}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert answer.status_code == 401
    assert answer.content != CONTENT


def test_a_url_stops_when_its_user_is_deactivated_and_plays_again_when_reactivated(
    api: Api, setup: Setup
) -> None:
    path, query = setup.issue(setup.a)
    url = f"{path}?{urlencode(query)}"
    api.core.auth.update_user(setup.ann, UserPatch(is_active=False), actor=SYSTEM)
    assert api.client.get(url).status_code == 403
    api.core.auth.update_user(setup.ann, UserPatch(is_active=True), actor=SYSTEM)
    assert api.client.get(url).content == CONTENT


def test_an_editors_url_stops_when_the_editor_becomes_a_subscriber(api: Api, setup: Setup) -> None:
    editor = api.user(Role.EDITOR, email="ed@example.com")
    outside = api.core.movies.create(
        MovieCreate(title="Outside", year=2000, media_path="b.mp4"), actor=SYSTEM
    ).id
    path, query = setup.issue(outside, who="ed@example.com")
    url = f"{path}?{urlencode(query)}"
    assert api.client.get(url).status_code == 200  # editors play any live movie
    api.core.auth.update_user(editor, UserPatch(role=Role.SUBSCRIBER), actor=SYSTEM)
    assert api.client.get(url).status_code == 403  # now in no plan of theirs


def test_many_small_ranges_are_bounded(api: Api, setup: Setup) -> None:
    """``bytes=0-0,2-2,...``: at most 100 parts as multipart, more gets the file once (200)."""
    path, query = setup.issue(setup.a)
    url = f"{path}?{urlencode(query)}"
    hundred = "bytes=" + ",".join(f"{at}-{at}" for at in range(0, 200, 2))
    parts = api.client.get(url, headers={"Range": hundred})
    assert parts.status_code == 206
    assert parts.headers["content-type"].startswith("multipart/byteranges")
    assert len(parts.content) < 100 * 150  # a header and a byte per part
    many = "bytes=" + ",".join(f"{at}-{at}" for at in range(0, 2000, 2))
    refused = api.client.get(url, headers={"Range": many})
    assert refused.status_code in {200, 416}
    assert len(refused.content) <= len(CONTENT)
    same = api.client.get(url, headers={"Range": "bytes=" + ",".join(["0-9"] * 100)})
    assert same.status_code == 206
    assert same.content == CONTENT[:10]  # overlapping ranges merged into one


def _stored_key(database: Path) -> bytes | None:
    """The playback key as a copy of the database holds it (read with sqlite3, no streamcore)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT value FROM secrets WHERE name = ?", (PLAYBACK_KEY,)).fetchone()
    return None if row is None else bytes(row[0])


def test_a_copy_of_the_database_mints_urls_for_anyone_unless_the_key_is_configured(
    api: Api, setup: Setup, clock: FakeClock, tmp_path: Path
) -> None:
    """What docs/security.md warns of: the generated key is in every backup of the database."""
    admin = api.user(Role.ADMIN, email="root@example.com")
    outside = api.core.movies.create(
        MovieCreate(title="In no plan", year=2000, media_path="b.mp4"), actor=SYSTEM
    ).id
    setup.issue(setup.a)  # the first URL made the key
    key = _stored_key(tmp_path / "api.db")
    assert key is not None
    expires = int(clock.now.timestamp()) + 10**8  # any expiry the thief likes
    forged = urlencode(
        {"user": admin, "expires": expires, "sig": sign(key, outside, admin, expires)}
    )
    assert api.client.get(f"/api/movie/{outside}/stream?{forged}").status_code == 200

    configured = tmp_path / "configured.db"
    settings = Settings(
        database_url=f"sqlite:///{configured}",
        media_root=api.core.settings.media_root,
        secret_key="k" * 40,
    )
    with StreamCore.open(settings, hasher=Argon2Hasher(CHEAPEST)) as core:
        film = core.movies.create(
            MovieCreate(title="F", year=2000, media_path="a.mp4"), actor=SYSTEM
        )
        core.auth.create_user(
            UserCreate(
                email="ed@example.com", password="correct horse", name="Ed", role=Role.EDITOR
            ),
            actor=SYSTEM,
        )
        login = core.auth.login(Credentials(email="ed@example.com", password="correct horse"))
        core.playback.issue(film.id, actor=core.auth.authenticate(login.access_token).principal)
    assert _stored_key(configured) is None  # a backup of this one holds no key


def test_a_generated_key_is_held_by_each_process_until_it_restarts(
    api: Api, setup: Setup, clock: FakeClock, tmp_path: Path
) -> None:
    """Deleting the key's row (to rotate it) splits running workers from new ones.

    A worker keeps the key it read; a worker started after the row went makes a new one. So
    a generated key is rotated only by stopping every process, then starting them (security.md).
    """
    path, query = setup.issue(setup.a)  # the running "worker" read the key
    url = f"{path}?{urlencode(query)}"
    with closing(sqlite3.connect(tmp_path / "api.db")) as db, db:
        db.execute("DELETE FROM secrets WHERE name = ?", (PLAYBACK_KEY,))
    assert api.client.get(url).status_code == 200  # still the key it holds
    settings = api.core.settings
    cheap = Argon2Hasher(CHEAPEST)
    with StreamCore.open(
        settings, clock=clock, hasher=cheap
    ) as restarted:  # a worker started after
        grant = restarted.playback.issue(setup.a, actor=_principal(restarted, ANN))
        with pytest.raises(NotAuthenticatedError):
            restarted.playback.open_signed(
                setup.a, int(query["user"]), int(query["expires"]), query["sig"]
            )
    fresh = urlencode({"user": grant.user_id, "expires": grant.expires, "sig": grant.signature})
    assert api.client.get(f"{path}?{fresh}").status_code == 401  # the old worker refuses it


def _principal(core: StreamCore, email: str) -> Principal:
    login = core.auth.login(Credentials(email=email, password=PASSWORD))
    return core.auth.authenticate(login.access_token).principal


def test_answers_that_carry_a_credential_are_never_stored(api: Api, setup: Setup) -> None:
    issued = api.client.post(f"/api/movie/{setup.a}/playback", headers=api.headers(ANN))
    login = api.client.post("/api/auth/login", json={"email": ANN, "password": PASSWORD})
    assert issued.status_code == login.status_code == 200
    assert issued.headers.get("cache-control") == "no-store"
    assert login.headers.get("cache-control") == "no-store"
