"""Parsing points, directions and cotangents typed by a user (``--at x1=1,x2=2``).

Contract:
- Values use the language's own number syntax (the grammar's NUMBER terminal) with an optional
  sign, plus ``inf``, ``-inf`` and ``nan`` for IEEE special values.  Not Python's ``float()``:
  ``1_000``, hex, fullwidth digits, ``infinity`` are errors.  A value that overflows a double
  (``1e400``) is an error.
- ``parse_bindings("x=1, y=-2.5")`` → ``{"x": 1.0, "y": -2.5}`` in the order given; a space
  after a comma is fine; an empty item, a missing ``=``, a bad name or a duplicate name is an
  ``AdcalcError('input')`` that names the offending text.
- ``parse_numbers("1,0,-1")`` → ``[1.0, 0.0, -1.0]``.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from .errors import AdcalcError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "nan": math.nan}


@lru_cache(maxsize=1)
def _number_pattern() -> re.Pattern[str]:
    from .parser import get_parser

    regexp = get_parser().get_terminal("NUMBER").pattern.to_regexp()
    return re.compile(rf"[+-]?(?:{regexp})\Z")


def parse_number(text: str, what: str) -> float:
    """One number in the language's syntax; ``what`` names it in error messages."""
    s = text.strip()
    if s in _SPECIAL:
        return _SPECIAL[s]
    if not s:
        raise AdcalcError("input", f"{what}: the value is missing", hint="write a number, e.g. x=1.5")
    if not _number_pattern().match(s):
        shown = s if len(s) <= 30 else s[:27] + "…"
        hint = "use ASCII digits like 1, 2.5, 1e-3 or .5 (or inf, -inf, nan)"
        if not s.isascii():
            hint = "only ASCII digits are numbers; " + hint
        raise AdcalcError("input", f"{what}: '{shown}' is not a number", hint=hint)
    value = float(s)
    if math.isinf(value):
        raise AdcalcError("input", f"{what}: {s[:30]} is too large for a double (the largest is about 1.8e308)")
    return value


def _items(text: str, what: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if items == [""]:
        raise AdcalcError("input", f"{what}: nothing given", hint="e.g. x=1,y=2")
    for i, item in enumerate(items):
        if not item:
            raise AdcalcError("input", f"{what}: item {i + 1} is empty (two commas in a row, or a trailing comma?)")
    return items


def parse_bindings(text: str, what: str = "--at") -> dict[str, float]:
    """``NAME=VALUE[,NAME=VALUE...]`` → an ordered mapping."""
    out: dict[str, float] = {}
    for item in _items(text, what):
        if "=" not in item:
            raise AdcalcError("input", f"{what}: '{item}' is not NAME=VALUE", hint="e.g. x=1.5")
        name, _, value = item.partition("=")
        name = name.strip()
        if not _NAME.match(name):
            raise AdcalcError("input", f"{what}: '{name}' is not a valid name",
                              hint="names are ASCII letters, digits and _, not starting with a digit")
        if name in out:
            raise AdcalcError("input", f"{what}: '{name}' is given twice")
        out[name] = parse_number(value, f"{what} {name}")
    return out


def parse_numbers(text: str, what: str = "--cot") -> list[float]:
    """``W1,W2,...`` → a list of numbers."""
    return [parse_number(item, f"{what} item {i + 1}") for i, item in enumerate(_items(text, what))]
