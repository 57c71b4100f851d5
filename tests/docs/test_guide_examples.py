"""docs/guide.md's Python examples run against the code, in order, as one script, and print
what the guide shows under them (tests/docs/python_examples.py)."""

from __future__ import annotations

from pathlib import Path

from tests.docs.python_examples import run_examples, shown

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"


def test_output_is_the_comment_right_under_code() -> None:
    block = "x = 1\nprint(x)\n# 1\n#\ny = 2  # not output\n\n# prose\n    print('a')\n    # a\n"
    assert shown(block) == ["1", "", "a"]


def test_the_guide_examples_print_what_it_shows(tmp_path: Path) -> None:
    expected, printed = run_examples(GUIDE, tmp_path)
    assert len(expected) >= 40
    assert printed == expected
