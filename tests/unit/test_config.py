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
