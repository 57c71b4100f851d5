"""Runs a doc's Python examples as one script and reads what the doc says they print.

The convention of docs/guide.md and docs/playback.md: a comment line right under a line of code
(or under another such comment) is output, ``# `` and all removed; a comment after a blank line
is prose. So the page shows what a reader sees, and the test holds the page to it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PYTHON = re.compile(r"```python\n(.*?)```", re.S)


def shown(block: str) -> list[str]:
    """The lines ``block`` says it prints."""
    lines: list[str] = []
    under_code = False
    for line in block.splitlines():
        text = line.strip()
        if text.startswith("#") and under_code:
            lines.append(text[2:] if text.startswith("# ") else text[1:])
            continue
        under_code = bool(text) and not text.startswith("#")
    return lines


def run_examples(doc: Path, cwd: Path) -> tuple[list[str], list[str]]:
    """``(shown, printed)``: what the doc's Python blocks say they print, and what they did."""
    blocks = PYTHON.findall(doc.read_text(encoding="utf-8"))
    assert blocks, f"{doc.name} has no Python example"
    ran = subprocess.run(
        [sys.executable, "-c", "\n".join(blocks)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    return [line for block in blocks for line in shown(block)], ran.stdout.splitlines()
