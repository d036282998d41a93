"""What every answer to a bad input must be: one line that names the problem, no Python internals."""

from __future__ import annotations

import re

INTERNALS = re.compile(r"Traceback|__init__\(\)|unexpected keyword argument|positional argument|object has no attribute|"
                       r"KeyError|TypeError|IndexError|NoneType|pydantic|sqlalchemy\.|\.py\", line")


def assert_clear(message: str) -> None:
    """``message`` is one non-empty line of reasonable length without tracebacks or Python internals."""
    text = message.rstrip("\n")
    assert text.strip(), "empty message"
    assert "\n" not in text, f"more than one line: {text!r}"
    assert len(text) <= 1000, f"too long ({len(text)} characters): {text[:200]}..."
    assert not INTERNALS.search(text), f"Python internals in the message: {text}"


def assert_cli_error(code: int, out: str, err: str) -> None:
    """A command refused a bad input: exit 2 and one ``hypernas: error:`` line on stderr."""
    assert code == 2, (code, out, err)
    assert err.startswith("hypernas: error: "), err
    assert_clear(err)
