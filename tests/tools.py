"""The system programs some tests drive for real, and how those tests say they need one.

On a machine with only Python and pip (the README's quick start) a test that needs nginx,
chromium, ffmpeg or curl is skipped, with the reason. Under CI (``CI=true``: ``.ci/run``
installs them all) nothing is skipped for a missing program: the test runs and fails, and
``test_ci_has_every_program`` names what is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

PROGRAMS = {
    "curl": "curl",
    "nginx": "nginx",
    "chromium": "chromium",
    "ffprobe": "ffmpeg",
    "ffmpeg": "ffmpeg",
}
"""Each program, and the Debian package ``.ci/run`` installs it from."""
SBIN = ("/usr/sbin", "/usr/local/sbin")
"""Where nginx lives when ``PATH`` (a user's, not root's) leaves sbin out."""


def under_ci() -> bool:
    """Whether this is a CI run, where every program must be there."""
    return os.environ.get("CI") == "true"


def find(program: str) -> str | None:
    """The program's path, or ``None``."""
    found = shutil.which(program)
    if found is None:
        found = next((str(p) for d in SBIN if (p := Path(d) / program).exists()), None)
    return found


def missing(*programs: str) -> list[str]:
    """The programs among ``programs`` that this machine lacks."""
    return [program for program in programs if find(program) is None]


def needs(*programs: str) -> pytest.MarkDecorator:
    """Skip, outside CI, when one of ``programs`` is missing; under CI, never skip."""
    lacking = missing(*programs)
    packages = sorted({PROGRAMS.get(program, program) for program in lacking})
    return pytest.mark.skipif(
        bool(lacking) and not under_ci(),
        reason=f"needs {', '.join(lacking)} (apt-get install {' '.join(packages)}; .ci/run does)",
    )
