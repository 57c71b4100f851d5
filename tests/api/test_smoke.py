"""The adapter's fixtures work: a role logs in and reaches a route its role may use."""

from __future__ import annotations

from tests.api.conftest import Api


def test_an_editor_adds_a_movie_and_a_subscriber_reads_it(api: Api) -> None:
    created = api.request("POST", "/api/movie", "editor", json={"title": "Alien", "year": 1979})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/api/movie/{created.json()['id']}"
    read = api.request("GET", created.headers["location"], "subscriber")
    assert read.status_code == 200
    assert read.json()["title"] == "Alien"
