"""The in-process REST fixtures of tests/api, for the attack tests."""

from tests.api.conftest import api, api_settings

__all__ = ["api", "api_settings"]
