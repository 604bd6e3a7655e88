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
- Arrays: a value may be a bracketed list, nested for a matrix (``x=[1,2,3],A=[[1,2],[3,4]]``):
  items are split on the commas outside brackets, and an array must be rectangular.  Arrays
  are returned as nested Python lists (the API turns them into NumPy arrays).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from adcalc.errors import AdcalcError
from adcalc.language.keywords import PYTHON_KEYWORDS

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "nan": math.nan}


@lru_cache(maxsize=1)
def _number_pattern() -> re.Pattern[str]:
    """The grammar's NUMBER terminal, read from the shipped grammar file itself (building the
    Lark parser just for one regular expression would cost the start-up its import)."""
    import os

    from adcalc import grammar

    path = os.path.join(os.path.dirname(grammar.__file__), "adcalc.lark")
    with open(path, encoding="utf-8") as f:
        line = next(ln for ln in f if ln.startswith("NUMBER:"))
    regexp = line[line.index("/") + 1:line.rindex("/")]
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


def _split_top(text: str, what: str) -> list[str]:
    """Split on commas outside brackets."""
    items, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth < 0:
                raise AdcalcError("input", f"{what}: a ']' without its '['", hint="e.g. x=[1,2,3]")
        elif c == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if depth:
        raise AdcalcError("input", f"{what}: a '[' is not closed", hint="e.g. x=[1,2,3] or A=[[1,2],[3,4]]")
    items.append(text[start:])
    return items


MAX_ARRAY_DEPTH = 32


def parse_value(text: str, what: str) -> float | list:
    """A number, or a bracketed (nested) list of numbers that is rectangular."""
    s = text.strip()
    if not s.startswith("["):
        return parse_number(s, what)
    value = _parse_list(s, what, 0)
    _shape(value, what)
    return value


def _parse_list(s: str, what: str, depth: int) -> list:
    if depth > MAX_ARRAY_DEPTH:
        raise AdcalcError("input", f"{what}: arrays nested more than {MAX_ARRAY_DEPTH} deep")
    if not (s.startswith("[") and s.endswith("]")):
        raise AdcalcError("input", f"{what}: '{s[:30]}' is not a bracketed list", hint="e.g. [1,2,3]")
    inner = s[1:-1].strip()
    if not inner:
        raise AdcalcError("input", f"{what}: an empty array []", hint="give at least one number")
    parts = [p.strip() for p in _split_top(inner, what)]
    out: list = []
    for i, part in enumerate(parts):
        if not part:
            raise AdcalcError("input", f"{what}: item {i + 1} of an array is empty")
        out.append(_parse_list(part, what, depth + 1) if part.startswith("[") else parse_number(part, what))
    return out


def _shape(value: float | list, what: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    shapes = {_shape(v, what) for v in value}
    if len(shapes) != 1:
        raise AdcalcError("input", f"{what}: the array is not rectangular (its rows differ in length or depth)",
                          hint="a matrix needs rows of equal length: [[1,2],[3,4]]")
    return (len(value),) + shapes.pop()


def _items(text: str, what: str) -> list[str]:
    items = [item.strip() for item in _split_top(text, what)]
    if items == [""]:
        raise AdcalcError("input", f"{what}: nothing given", hint="e.g. x=1,y=2")
    for i, item in enumerate(items):
        if not item:
            raise AdcalcError("input", f"{what}: item {i + 1} is empty (two commas in a row, or a trailing comma?)")
    return items


def parse_bindings(text: str, what: str = "--at") -> dict[str, float | list]:
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
        if name in PYTHON_KEYWORDS and name not in ("True", "False"):  # True, False: constants, said later
            raise AdcalcError("input", f"{what}: '{name}' is a keyword, never a name",
                              hint="a source cannot use it as a variable; bind the names the source uses")
        if name in out:
            raise AdcalcError("input", f"{what}: '{name}' is given twice")
        out[name] = parse_value(value, f"{what} {name}")
    return out


def with_arrays(point: dict[str, float | list]) -> dict[str, object]:
    """Bracketed values as NumPy arrays (NumPy is imported only when there is one)."""
    if not any(isinstance(v, list) for v in point.values()):
        return point  # type: ignore[return-value]
    import numpy as np

    return {n: np.array(v, dtype=float) if isinstance(v, list) else v for n, v in point.items()}


def parse_numbers(text: str, what: str = "--cot") -> list[float]:
    """``W1,W2,...`` → a list of numbers; brackets are allowed and flattened (``[1,0],[0,1]``)."""
    flat: list[float] = []

    def walk(v: float | list) -> None:
        if isinstance(v, list):
            for x in v:
                walk(x)
        else:
            flat.append(v)

    for i, item in enumerate(_items(text, what)):
        walk(parse_value(item, f"{what} item {i + 1}"))
    return flat
