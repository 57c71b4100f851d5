"""``STREAMCORE_MEDIA_OFFLOAD=nginx`` in process: the header the stream route gives nginx.

tests/e2e/test_nginx.py shows nginx acting on it; here, the route's side: which file the
header names and how, that no byte is sent, and that every refusal is what it was.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import pytest

from streamcore.auth.permissions import SYSTEM
from streamcore.config import Settings
from streamcore.errors import InvalidInputError
from streamcore.movies.media import find_media
from tests.api.conftest import Api
from tests.api.test_playback_urls import CONTENT, PROBLEM, Setup
from tests.conftest import FakeClock

ANN = "ann@example.com"


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}",
        media_root=tmp_path / "media",
        media_offload="nginx",
    )


@pytest.fixture
def setup(api: Api, clock: FakeClock) -> Setup:
    return Setup(api, clock, api.core.settings.media_root)


def _stream(api: Api, movie: int, method: str = "GET", **kwargs: object) -> object:
    return api.client.request(method, f"/api/movie/{movie}/stream", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_stream_is_an_empty_answer_naming_the_file_for_nginx(
    api: Api, setup: Setup, method: str
) -> None:
    answer = api.client.request(method, f"/api/movie/{setup.a}/stream", headers=api.headers(ANN))
    assert answer.status_code == 200
    assert answer.headers["x-accel-redirect"] == "/_media/a.mp4"
    assert answer.content == b""
    assert answer.headers["content-length"] == "0"
    assert answer.headers["content-type"] == "video/mp4"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "private, no-cache"
    # nginx describes the file it sends: streamcore's own validators would contradict it.
    assert "etag" not in answer.headers
    assert "accept-ranges" not in answer.headers


def test_ranges_and_conditionals_are_left_to_nginx(api: Api, setup: Setup) -> None:
    headers = {**api.headers(ANN), "Range": "bytes=0-9", "If-None-Match": "*"}
    answer = api.client.get(f"/api/movie/{setup.a}/stream", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["x-accel-redirect"] == "/_media/a.mp4"
    assert "content-range" not in answer.headers


def test_a_signed_playback_url_is_offloaded_too(api: Api, setup: Setup) -> None:
    path, query = setup.issue(setup.b)
    answer = api.client.get(f"{path}?{urlencode(query)}")
    assert answer.status_code == 200
    assert answer.headers["x-accel-redirect"] == "/_media/b.mp4"
    assert answer.content == b""


@pytest.mark.parametrize(
    "name",
    [
        "movies/7/0123456789abcdef.mp4",
        "a film.mp4",
        "100% sure?.mp4",
        "#1; the + sign & more=.webm",
        "été/naïve 映画.mkv",
        "a%2Fb.mp4",
    ],
)
def test_odd_file_names_are_percent_encoded_part_by_part(api: Api, setup: Setup, name: str) -> None:
    path = api.core.settings.media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(CONTENT)
    api.core.movies.update(setup.a, _patch(name), actor=SYSTEM)
    header = _stream(api, setup.a, headers=api.headers(ANN)).headers["x-accel-redirect"]  # type: ignore[attr-defined]
    assert header.startswith("/_media/")
    encoded = header.removeprefix("/_media/")
    # nginx decodes it once: that gives back the file's path, and nothing else is special in it.
    assert [unquote(part) for part in encoded.split("/")] == name.split("/")
    assert set(encoded) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%/"
    )
    assert urlsplit(header).path == header  # no query, no fragment


def _patch(media_path: str) -> object:
    from streamcore.movies.models import MoviePatch

    return MoviePatch(media_path=media_path)


def test_the_header_names_the_resolved_file_never_a_link(api: Api, setup: Setup) -> None:
    root = api.core.settings.media_root
    (root / "shelf").mkdir()
    (root / "shelf" / "real.mp4").write_bytes(CONTENT)
    (root / "alias.mp4").symlink_to(root / "shelf" / "real.mp4")
    api.core.movies.update(setup.a, _patch("alias.mp4"), actor=SYSTEM)
    answer = _stream(api, setup.a, headers=api.headers(ANN))
    assert answer.headers["x-accel-redirect"] == "/_media/shelf/real.mp4"  # type: ignore[attr-defined]
    (root / "out.mp4").symlink_to("/etc/hostname")
    api.core.movies.update(setup.a, _patch("out.mp4"), actor=SYSTEM)
    refused = _stream(api, setup.a, headers=api.headers(ANN))
    assert refused.status_code == 404  # type: ignore[attr-defined]
    assert "x-accel-redirect" not in refused.headers  # type: ignore[attr-defined]


def test_the_prefix_is_a_setting(tmp_path: Path, clock: FakeClock) -> None:
    from tests.api.conftest import make_api

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        media_root=tmp_path / "media",
        media_offload="nginx",
        media_offload_prefix="/internal/films/",
    )
    for api in make_api(settings, clock):
        setup = Setup(api, clock, settings.media_root)
        answer = _stream(api, setup.a, headers=api.headers(ANN))
        assert answer.headers["x-accel-redirect"] == "/internal/films/a.mp4"  # type: ignore[attr-defined]


def test_without_offload_the_bytes_are_sent_and_no_header(tmp_path: Path, clock: FakeClock) -> None:
    from tests.api.conftest import make_api

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", media_root=tmp_path / "m")
    assert settings.media_offload == "none"
    for api in make_api(settings, clock):
        setup = Setup(api, clock, settings.media_root)
        answer = _stream(api, setup.a, headers=api.headers(ANN))
        assert answer.content == CONTENT  # type: ignore[attr-defined]
        assert "x-accel-redirect" not in answer.headers  # type: ignore[attr-defined]


def test_refusals_are_unchanged_and_never_carry_the_header(api: Api, setup: Setup) -> None:
    path, query = setup.issue(setup.a)
    tampered = {**query, "sig": ("A" if query["sig"][0] != "A" else "B") + query["sig"][1:]}
    api.core.movies.delete(setup.b, actor=SYSTEM)
    cases = [
        (401, api.client.get(f"/api/movie/{setup.a}/stream")),
        (
            403,
            api.client.get(f"/api/movie/{setup.a}/stream", headers=api.headers("bob@example.com")),
        ),
        (404, api.client.get(f"/api/movie/{setup.b}/stream", headers=api.headers(ANN))),
        (422, api.client.get(f"{path}?{urlencode(query)}", headers=api.headers(ANN))),
        (401, api.client.get(f"{path}?{urlencode(tampered)}")),
    ]
    for status, answer in cases:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert "x-accel-redirect" not in answer.headers
    assert cases[0][1].headers["www-authenticate"] == "Bearer"


def test_a_missing_file_is_a_404_before_nginx_is_asked(api: Api, setup: Setup) -> None:
    (api.core.settings.media_root / "a.mp4").unlink()
    answer = _stream(api, setup.a, headers=api.headers(ANN))
    assert answer.status_code == 404  # type: ignore[attr-defined]
    assert "x-accel-redirect" not in answer.headers  # type: ignore[attr-defined]


def test_the_media_file_the_header_names_is_the_cores(api: Api, setup: Setup) -> None:
    media = find_media(api.core.settings.media_root, "a.mp4", movie_id=setup.a)
    from streamcore.api.offload import accel_path

    assert accel_path(media, "/x/") == "/x/a.mp4"
    assert accel_path(dataclasses.replace(media, parts=("d", "e f")), "/x/") == "/x/d/e%20f"


@pytest.mark.parametrize("value", ["apache", "NGINX", "on", " nginx"])
def test_a_bad_offload_names_the_setting_and_the_rule(value: str) -> None:
    with pytest.raises(InvalidInputError) as from_env:
        Settings.from_env({"STREAMCORE_MEDIA_OFFLOAD": value})
    assert from_env.value.fields == ("STREAMCORE_MEDIA_OFFLOAD",)
    assert str(from_env.value) == "STREAMCORE_MEDIA_OFFLOAD: must be none or nginx"
    with pytest.raises(InvalidInputError) as in_code:
        Settings(media_offload=value)
    assert str(in_code.value) == "media_offload: must be none or nginx"


@pytest.mark.parametrize(
    "value", ["/", "_media/", "/_media", "/a b/", "/../", "/a/./", "/a//b/", "/a?b/", "/é/"]
)
def test_a_bad_prefix_names_the_setting_and_the_rule(value: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings.from_env({"STREAMCORE_MEDIA_OFFLOAD_PREFIX": value})
    assert error.value.fields == ("STREAMCORE_MEDIA_OFFLOAD_PREFIX",)
    assert str(error.value) == (
        "STREAMCORE_MEDIA_OFFLOAD_PREFIX: must be a path like /_media/: "
        "/, then letters, digits, - _ . and /, then /"
    )  # the rule, never the value


def test_the_offload_settings_default_and_come_from_the_environment() -> None:
    assert (Settings().media_offload, Settings().media_offload_prefix) == ("none", "/_media/")
    env = {"STREAMCORE_MEDIA_OFFLOAD": "nginx", "STREAMCORE_MEDIA_OFFLOAD_PREFIX": "/int/m/"}
    settings = Settings.from_env(env)
    assert (settings.media_offload, settings.media_offload_prefix) == ("nginx", "/int/m/")
    assert Settings.from_env(env, media_offload="none").media_offload == "none"
