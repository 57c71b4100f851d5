"""Under CI, every system program a test drives is installed, so none of those tests is skipped."""

from __future__ import annotations

import pytest

from tests.tools import PROGRAMS, missing, needs, under_ci


@pytest.mark.skipif(not under_ci(), reason="only CI (CI=true) must have them all")
def test_ci_has_every_program() -> None:
    assert missing(*PROGRAMS) == [], ".ci/run installs these when missing"


def test_needs_skips_only_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    assert needs("no-such-program-xyz").args == (True,)
    monkeypatch.setenv("CI", "true")
    assert needs("no-such-program-xyz").args == (False,)
