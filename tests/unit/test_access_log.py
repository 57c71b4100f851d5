"""The access log keeps the catalogue's query values and hides every other one."""

from __future__ import annotations

import logging

import pytest

from streamcore.api.logs import HideQueryValues, hide_query_values, log_config


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/api/movie", "/api/movie"),
        ("/api/movie?q=alien&genre=horror&limit=5", "/api/movie?q=alien&genre=horror&limit=5"),
        ("/api/movie?access_token=abc&q=x", "/api/movie?access_token=***&q=x"),
        ("/api/movie/1/stream?expires=1&sig=c2VjcmV0", "/api/movie/1/stream?expires=***&sig=***"),
        ("/x?token", "/x?token"),  # a name without a value has nothing to hide
        ("/x?a=1=2&&sort=-year", "/x?a=***&&sort=-year"),
        ("/x?%71=kept&Q=hidden", "/x?%71=kept&Q=***"),  # %71 is q: names are compared decoded
    ],
)
def test_hide_query_values(path: str, logged: str) -> None:
    assert hide_query_values(path) == logged


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    args = ("127.0.0.1:5000", "GET", "/api/movie?token=secret", "1.1", 401)
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, "%s", args, None)
    assert HideQueryValues().filter(record)
    assert record.args == ("127.0.0.1:5000", "GET", "/api/movie?token=***", "1.1", 401)


def test_the_config_puts_the_filter_on_the_access_handler() -> None:
    config = log_config(logging.DEBUG)
    assert config["handlers"]["access"]["filters"] == ["hide_query_values"]
    assert config["loggers"]["streamcore"]["level"] == "DEBUG"
    assert config["loggers"]["uvicorn.access"]["level"] == "DEBUG"
    assert log_config(logging.WARNING)["loggers"]["uvicorn.access"]["level"] == "WARNING"
