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
