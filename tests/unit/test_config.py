"""Settings: defaults < environment < explicit options; bad values name the variable."""

from pathlib import Path

import pytest

from streamcore.config import Settings
from streamcore.errors import InvalidInputError


def test_defaults_match_the_spec() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///streamcore.db"
    assert settings.media_root == Path("media")
    assert settings.smtp_url is None
    assert settings.mail_from == "streamcore@localhost"
    assert settings.token_ttl == 86400
    assert settings.grace_days == 3


def test_environment_overrides_defaults_and_options_override_environment() -> None:
    env = {
        "STREAMCORE_DATABASE_URL": "sqlite:///env.db",
        "STREAMCORE_MEDIA_ROOT": "/srv/media",
        "STREAMCORE_TOKEN_TTL": "60",
        "STREAMCORE_GRACE_DAYS": "0",
    }
    from_env = Settings.from_env(env)
    assert from_env.database_url == "sqlite:///env.db"
    assert from_env.media_root == Path("/srv/media")
    assert (from_env.token_ttl, from_env.grace_days) == (60, 0)
    assert Settings.from_env(env, database_url="memory://").database_url == "memory://"
    assert Settings.from_env(env, database_url=None).database_url == "sqlite:///env.db"


@pytest.mark.parametrize("value", ["soon", "-1", "1.5"])
def test_a_bad_number_in_the_environment_names_the_variable(value: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings.from_env({"STREAMCORE_TOKEN_TTL": value})
    assert error.value.fields == ("STREAMCORE_TOKEN_TTL",)


@pytest.mark.parametrize(("field", "value"), [("token_ttl", 0), ("grace_days", -1)])
def test_settings_built_in_code_are_checked_too(field: str, value: int) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings(**{field: value})  # type: ignore[arg-type]
    assert error.value.fields == (field,)


@pytest.mark.parametrize(
    ("field", "largest"),
    [("token_ttl", 366 * 86400), ("grace_days", 366), ("playback_ttl", 366 * 86400)],
)
def test_lifetimes_have_a_largest_value(field: str, largest: int) -> None:
    # Past it, an expiry would overflow a datetime (a 500 at login or playback), or merely
    # make a credential that never ends.
    assert getattr(Settings(**{field: largest}), field) == largest  # type: ignore[arg-type]
    for value in (largest + 1, 10**15):
        with pytest.raises(InvalidInputError) as error:
            Settings(**{field: value})  # type: ignore[arg-type]
        assert error.value.errors[0].message == f"must be <= {largest}"
    with pytest.raises(InvalidInputError) as error:
        Settings.from_env({f"STREAMCORE_{field.upper()}": str(largest + 1)})
    assert error.value.fields == (f"STREAMCORE_{field.upper()}",)


def test_database_limits_default_to_a_pool_that_serves_a_threadpool_server() -> None:
    settings = Settings.from_env({})
    assert settings.db_pool_size + settings.db_max_overflow >= 40  # Starlette's 40 threads
    assert (settings.db_pool_size, settings.db_max_overflow) == (20, 30)
    assert (settings.db_pool_timeout, settings.db_connect_timeout) == (10.0, 10)
    assert settings.db_busy_timeout == 10.0


def test_database_limits_come_from_the_environment() -> None:
    env = {
        "STREAMCORE_DB_POOL_SIZE": "5",
        "STREAMCORE_DB_MAX_OVERFLOW": "0",
        "STREAMCORE_DB_POOL_TIMEOUT": "2.5",
        "STREAMCORE_DB_CONNECT_TIMEOUT": "3",
        "STREAMCORE_DB_BUSY_TIMEOUT": "0.25",
    }
    settings = Settings.from_env(env)
    assert (settings.db_pool_size, settings.db_max_overflow) == (5, 0)
    assert (settings.db_pool_timeout, settings.db_connect_timeout) == (2.5, 3)
    assert settings.db_busy_timeout == 0.25
    assert Settings.from_env(env, db_pool_size=9).db_pool_size == 9


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("STREAMCORE_DB_POOL_SIZE", "0", "must be >= 1"),
        ("STREAMCORE_DB_POOL_SIZE", "many", "must be a whole number"),
        ("STREAMCORE_DB_MAX_OVERFLOW", "-1", "must be >= 0"),
        ("STREAMCORE_DB_CONNECT_TIMEOUT", "1.5", "must be a whole number"),
        ("STREAMCORE_DB_POOL_TIMEOUT", "0", "must be > 0"),
        ("STREAMCORE_DB_POOL_TIMEOUT", "soon", "must be a number of seconds"),
        ("STREAMCORE_DB_BUSY_TIMEOUT", "nan", "must be a number of seconds"),
        ("STREAMCORE_DB_BUSY_TIMEOUT", "inf", "must be a number of seconds"),
        ("STREAMCORE_DB_BUSY_TIMEOUT", "1e9", "must be <= 86400"),
        ("STREAMCORE_DB_BUSY_TIMEOUT", "-2", "must be > 0"),
    ],
)
def test_a_bad_database_limit_in_the_environment_names_the_variable_and_the_rule(
    variable: str, value: str, rule: str
) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings.from_env({variable: value})
    assert error.value.fields == (variable,)
    assert str(error.value) == f"{variable}: {rule}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("db_pool_size", 0),
        ("db_pool_size", True),
        ("db_pool_size", 2.0),
        ("db_max_overflow", -1),
        ("db_connect_timeout", 0),
        ("db_pool_timeout", 0),
        ("db_pool_timeout", False),
        ("db_busy_timeout", float("nan")),
        ("db_busy_timeout", "10"),
    ],
)
def test_database_limits_built_in_code_are_checked_too(field: str, value: object) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings(**{field: value})  # type: ignore[arg-type]
    assert error.value.fields == (field,)


def test_the_secret_key_never_shows_in_a_repr() -> None:
    key = "k" * 40
    settings = Settings.from_env({"STREAMCORE_SECRET_KEY": key, "STREAMCORE_PLAYBACK_TTL": "60"})
    assert settings.secret_key == key
    assert settings.playback_ttl == 60
    assert key not in repr(settings)
    assert Settings().secret_key is None
    assert Settings().playback_ttl == 14400


def test_a_short_secret_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Settings.from_env({"STREAMCORE_SECRET_KEY": "tooshort-value"})
    assert "STREAMCORE_SECRET_KEY: must be at least 32 characters" in str(caught.value)
    assert "tooshort-value" not in str(caught.value)
    with pytest.raises(InvalidInputError, match="secret_key: must be at least 32"):
        Settings(secret_key="tooshort-value")
    with pytest.raises(InvalidInputError, match="STREAMCORE_PLAYBACK_TTL: must be >= 1"):
        Settings.from_env({"STREAMCORE_PLAYBACK_TTL": "0"})
