"""Shared helpers for the test suite."""

from __future__ import annotations

import math


def close(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-14) -> bool:
    """Relative closeness that treats equal infinities and two nans as equal."""
    if a == b or (a != a and b != b):
        return True
    if math.isinf(a) or math.isinf(b):
        return False
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


def end_session(child: object) -> None:
    """At the REPL's next prompt, Ctrl-D: the session must end (a pexpect child)."""
    import pexpect

    child.expect("adcalc> ")  # type: ignore[attr-defined]
    child.sendcontrol("d")  # type: ignore[attr-defined]
    child.expect(pexpect.EOF)  # type: ignore[attr-defined]
