"""``POST /api/movie/{id}/playback`` and the stream route's signed query (SPEC §3.5)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from streamcore.api.logs import SHOWN_PARAMETERS, hide_query_values
from streamcore.api.routes.stream import SIGNED
from streamcore.auth.permissions import SYSTEM
from tests.api.conftest import Api
from tests.conftest import FakeClock
from tests.contract.test_plans import in_state, make_movie, make_plan

CONTENT = bytes(range(256)) * 40
PROBLEM = "application/problem+json"


class Setup:
    """Two movies in a plan; Ann subscribed to it, Bob not."""

    def __init__(self, api: Api, clock: FakeClock, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "a.mp4").write_bytes(CONTENT)
        (root / "b.mp4").write_bytes(CONTENT[:1000])
        self.a = make_movie(api.core, "A", media_path="a.mp4").id
        self.b = make_movie(api.core, "B", media_path="b.mp4").id
        self.plan = make_plan(api.core)
        for movie in (self.a, self.b):
            api.core.plans.add_movie(self.plan.id, movie, actor=SYSTEM)
        self.ann = api.user(email="ann@example.com")
        user = api.core.auth.get_user(self.ann, actor=SYSTEM)
        self.subscription = in_state(api.core, self.plan, user, "active", clock.now)
        self.bob = api.user(email="bob@example.com")
        self.api = api

    def issue(self, movie: int, who: str = "ann@example.com") -> tuple[str, dict[str, str]]:
        answer = self.api.client.post(f"/api/movie/{movie}/playback", headers=self.api.headers(who))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"url", "expires_at"}
        parts = urlsplit(body["url"])
        assert (parts.scheme, parts.netloc) == ("http", "testserver")  # absolute
        query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
        assert set(query) == set(SIGNED)
        return parts.path, query


@pytest.fixture
def setup(api: Api, clock: FakeClock) -> Setup:
    return Setup(api, clock, api.core.settings.media_root)


def _get(api: Api, path: str, query: dict[str, str], **kwargs: object) -> object:
    return api.client.get(f"{path}?{urlencode(query)}", **kwargs)  # type: ignore[arg-type]


def test_a_playback_url_plays_with_no_header_ranges_and_head(
    api: Api, setup: Setup, clock: FakeClock
) -> None:
    path, query = setup.issue(setup.a)
    assert path == f"/api/movie/{setup.a}/stream"
    whole = api.client.get(f"{path}?{urlencode(query)}")
    assert whole.status_code == 200
    assert whole.content == CONTENT
    ranged = api.client.get(f"{path}?{urlencode(query)}", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged.content == CONTENT[10:20]
    head = api.client.head(f"{path}?{urlencode(query)}")
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(CONTENT))
    answer = api.client.post(
        f"/api/movie/{setup.a}/playback", headers=api.headers("ann@example.com")
    )
    expires_at = datetime.fromisoformat(answer.json()["expires_at"])
    assert expires_at == (clock.now + timedelta(seconds=14400)).replace(microsecond=0)


@pytest.mark.parametrize("field", ["movie", "user", "expires", "sig"])
def test_a_tampered_url_is_a_401(api: Api, setup: Setup, field: str) -> None:
    path, query = setup.issue(setup.a)
    if field == "movie":
        path = f"/api/movie/{setup.b}/stream"
    elif field == "user":
        query["user"] = str(setup.bob)
    elif field == "expires":
        query["expires"] = str(int(query["expires"]) + 3600)
    else:
        query["sig"] = ("A" if query["sig"][0] != "A" else "B") + query["sig"][1:]
    answer = api.client.get(f"{path}?{urlencode(query)}")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "signature does not match" in answer.json()["detail"]
    assert query["sig"] not in answer.text


def test_an_expired_url_is_a_401(api: Api, setup: Setup, clock: FakeClock) -> None:
    path, query = setup.issue(setup.a)
    clock.advance(seconds=14399)
    assert api.client.head(f"{path}?{urlencode(query)}").status_code == 200
    clock.advance(seconds=1)
    answer = api.client.get(f"{path}?{urlencode(query)}")
    assert answer.status_code == 401
    assert "has expired" in answer.json()["detail"]


def test_entitlement_is_checked_on_every_request(api: Api, setup: Setup, clock: FakeClock) -> None:
    path, query = setup.issue(setup.a)
    url = f"{path}?{urlencode(query)}"
    assert api.client.get(url).status_code == 200
    api.core.plans.remove_movie(setup.plan.id, setup.a, actor=SYSTEM)
    assert api.client.get(url).status_code == 403
    api.core.plans.add_movie(setup.plan.id, setup.a, actor=SYSTEM)
    assert api.client.get(url).status_code == 200
    api.core.movies.delete(setup.a, actor=SYSTEM)
    assert api.client.get(url).status_code == 404
    path, query = setup.issue(setup.b)
    url = f"{path}?{urlencode(query)}"
    api.core.auth.delete_user(setup.ann, actor=SYSTEM)
    assert api.client.get(url).status_code == 403


def test_one_credential_only_and_never_a_token_in_the_query(api: Api, setup: Setup) -> None:
    path, query = setup.issue(setup.a)
    both = api.client.get(f"{path}?{urlencode(query)}", headers=api.headers("ann@example.com"))
    assert both.status_code == 422
    assert both.json()["errors"] == [
        {
            "field": "sig",
            "message": "send either a bearer header or a signed playback URL, not both",
        }
    ]
    partial = api.client.get(f"{path}?{urlencode({'sig': query['sig']})}")
    assert partial.status_code == 401
    assert "not complete" in partial.json()["detail"]
    token = api.tokens["ann@example.com"]
    for name in ("access_token", "token", "sig", "authorization"):
        answer = api.client.get(f"{path}?{urlencode({name: token})}")
        assert answer.status_code == 401, name
    assert api.client.get(path).status_code == 401


def test_only_a_caller_who_may_watch_gets_a_url(api: Api, setup: Setup) -> None:
    bob = api.client.post(f"/api/movie/{setup.a}/playback", headers=api.headers("bob@example.com"))
    assert bob.status_code == 403
    assert api.client.post(f"/api/movie/{setup.a}/playback").status_code == 401
    missing = api.client.post("/api/movie/999/playback", headers=api.headers("ann@example.com"))
    assert missing.status_code == 404


def test_the_access_log_hides_the_signature(setup: Setup) -> None:
    path, query = setup.issue(setup.a)
    logged = hide_query_values(f"{path}?{urlencode(query)}")
    assert query["sig"] not in logged
    assert "sig=***" in logged
    assert "sig" not in SHOWN_PARAMETERS
