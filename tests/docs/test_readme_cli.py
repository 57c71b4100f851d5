"""The README's CLI block works as a new user would run it: line by line, on a fresh database.

Each line runs in a POSIX shell with the installed ``streamcore`` console script first on PATH,
in an empty directory and without any ``STREAMCORE_*`` variable, so the block uses the default
database (``streamcore.db`` there) exactly as the README says. Every line must exit with 0.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.auth.permissions import SYSTEM

README = Path(__file__).resolve().parents[2] / "README.md"
SCRIPT = Path(sys.executable).parent / "streamcore"
TIMEOUT = 60


def cli_block() -> list[str]:
    """The lines of the first ``sh`` block of the README's "## CLI" section."""
    section = README.read_text(encoding="utf-8").split("\n## CLI\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's CLI section has no sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_block_has_the_commands_the_issue_named() -> None:
    """Guards the parser: an empty block would pass the test below."""
    text = "\n".join(cli_block())
    for command in ("movie import", "user add", "subscription add --user", "--json"):
        assert command in text


@pytest.mark.slow
@pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")
def test_every_line_of_the_readme_cli_block_exits_0(tmp_path: Path) -> None:
    env = {
        "PATH": f"{SCRIPT.parent}{os.pathsep}{os.defpath}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "COLUMNS": "80",
    }
    for line in cli_block():
        done = subprocess.run(
            ["/bin/sh", "-c", line],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"{line!r} exited {done.returncode}:\n{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr, line

    with StreamCore.open(f"sqlite:///{tmp_path / 'streamcore.db'}") as core:
        ann = core.auth.find_user("ann@example.org", actor=SYSTEM)
        watchable = core.entitlements.watchable(ann.id, actor=SYSTEM)
        assert [m.title for m in watchable.items] == ["Nosferatu"]
        assert core.movies.list(actor=SYSTEM).total == 4
