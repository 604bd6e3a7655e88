"""``adcalc plot``: the command's record, its options and its runner (issue #18).

Contract:
- ``PLOT`` is the ``Command``: ``adcalc plot SOURCE --x NAME=LO:HI [--y NAME2=LO:HI] [--at
  OTHER=V,...] [--order K] [--points N] [--tangent X0] [--output i] [-o FILE.svg|.png|.pdf]
  [--json]``; in the REPL ``plot f x=-2:2 order 2 tangent 0.5`` (the ranges follow the target).
- ``parse_range("x=-2:2", "--x")`` → ``("x", -2.0, 2.0)``: NAME, ``=``, two numbers in the
  language's syntax (or ``pi``, ``-pi``, ``N*pi``) split by ``:``; anything else is an
  ``AdcalcError('input')`` naming the text.  Empty and reversed intervals are the operation's
  errors (``adcalc.ops.plotting``).
- ``split_ranges(text)``: the REPL's target ``f x=-2:2 y=0:1`` → (``f``, ["x=-2:2", "y=0:1"]).
- The runner computes the plot (``adcalc.ops.plotting.plot``) and, with ``-o``, writes the file
  (``adcalc.present.plotfile``); the view and the JSON shape are ``adcalc.present.plotview``'s.
"""

from __future__ import annotations

import math
import re

from adcalc.errors import AdcalcError, shown
from adcalc.front.commands import AT, SOURCE, Call, Command, Option, ReplHelp
from adcalc.front.optiontypes import positive_int

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_RANGE = re.compile(rf"\s*({_NAME})\s*=\s*(.+?)\s*:\s*(.+?)\s*\Z", re.ASCII | re.DOTALL)
_PI = re.compile(r"([+-]?)(?:(.+?)\s*\*\s*)?pi\Z", re.ASCII)


def _end(text: str, what: str) -> float:
    """One end of a range: a number, or a multiple of pi (``-pi``, ``2*pi``, ``0.5*pi``)."""
    from adcalc.language.bindings import parse_number

    m = _PI.match(text)
    if m:
        factor = parse_number(m.group(2), what) if m.group(2) else 1.0
        return (-1.0 if m.group(1) == "-" else 1.0) * factor * math.pi
    return parse_number(text, what)


def parse_range(text: str, what: str) -> tuple[str, float, float]:
    """``NAME=LO:HI`` → (NAME, LO, HI) (see the module docstring)."""
    m = _RANGE.match(text)
    if not m:
        raise AdcalcError("input", f"{what}: '{shown(text[:40])}' is not NAME=LO:HI", hint="e.g. x=-2:2")
    name, lo, hi = m.group(1), _end(m.group(2), f"{what} {m.group(1)}"), _end(m.group(3), f"{what} {m.group(1)}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise AdcalcError("input", f"{what}: the ends of {name}'s interval must be finite numbers", hint="e.g. x=-2:2")
    return name, lo, hi


_ITEM = re.compile(rf"\s+({_NAME}\s*=\s*[^\s=]+?\s*:\s*[^\s=]+)\s*\Z", re.ASCII)


def split_ranges(text: str) -> tuple[str, list[str]]:
    """The REPL's ``f x=-2:2 y=0:1`` → (``f``, ["x=-2:2", "y=0:1"]) (ranges in the order given)."""
    found: list[str] = []
    while True:
        m = _ITEM.search(text)
        if not m:
            return text, found[::-1]
        found.append(m.group(1))
        text = text[:m.start()]


def _plot(c: Call) -> object:
    from adcalc.ops.plotting import plot

    tangent = None
    if c.tangent is not None:
        if len(c.tangent) != 1:
            raise AdcalcError("input", "--tangent takes one number, X0", hint="e.g. --tangent 0.5")
        tangent = c.tangent[0]
    if c.x_range is None:
        raise AdcalcError("usage", "plot needs the interval: --x NAME=LO:HI", hint="e.g. plot f x=-2:2")
    if c.output is not None:
        from adcalc.present.plotfile import check_target

        check_target(c.output, c.path)
    r = plot(c.source, c.x_range, c.y_range, c.point, order=c.order or 1, points=c.points,  # type: ignore[arg-type]
             tangent=tangent, output=c.component, **c.limits)  # type: ignore[arg-type]
    if c.path is not None and c.path != "-":
        r.source = c.path  # type: ignore[attr-defined]  # the title names the program file
    if c.output is not None:
        from adcalc.present.plotfile import save

        save(r, c.output)
        r.file = c.output  # type: ignore[attr-defined]
    return r


RANGE_HELP = "NAME=LO:HI"
PLOT = Command(
    "plot", "f and its derivatives over an interval (or f over a rectangle), with critical points and kinks",
    (SOURCE,
     Option("--x", "range", {"required": True, "metavar": RANGE_HELP, "dest": "x_range",
                             "help": "the interval along the input NAME (LO and HI numbers, or multiples of pi)"},
            field="x_range"),
     Option("--y", "range", {"metavar": RANGE_HELP, "dest": "y_range",
                             "help": "a second input's interval: contours (file) or a heat map (terminal) of f"},
            field="y_range"),
     AT._replace(argparse={**AT.argparse, "help": "the values of the other inputs"}),
     Option("--order", "count", {"type": positive_int, "metavar": "K",
                                 "help": "draw f′ … f⁽ᴷ⁾ too (default 1, at most 4)"},
            field="order", clause="order", repl_default=1, example="order 2"),
     Option("--points", "count", {"type": positive_int, "metavar": "N",
                                  "help": "grid points (default 1001; 101 per axis with --y)"}, field="points"),
     Option("--tangent", "numbers", {"metavar": "X0", "help": "draw the tangent line at X0 and give its equation"},
            field="tangent", clause="tangent", example="tangent 0.5"),
     Option("--output", "count", {"type": positive_int, "metavar": "i", "dest": "which",
                                  "help": "which output of a vector-valued source to plot (1, 2, …)"},
            field="component"),
     Option("-o", "name", {"metavar": "FILE", "dest": "output",
                           "help": "write the plot to FILE (.svg, .png or .pdf; needs pip install \"adcalc[plot]\")"},
            field="output")),
    ('adcalc plot "x^3 - 3*x" --x x=-3:3 --order 2',
     'adcalc plot "sin(x^2 + 1)" --x x=-2:2 --tangent 1.5 -o sin.svg',
     'adcalc plot "abs(x - 1)" --x x=-3:3 --json',
     'adcalc plot "x^2 - y^2" --x x=-2:2 --y y=-2:2',
     'adcalc plot "x*y + sin(a*x)" --x x=0:2*pi --at y=1,a=2'),
    _plot, featured=(0,), repl=ReplHelp("plot f x=-2:2 order 2", "plot f, f′ …", 11))


def repl_ranges(entry: str, start: int, end: int) -> tuple[int, dict[str, tuple[str, float, float]]]:
    """The REPL's ``plot f x=-2:2 y=0:1``: where the target ends, and the ranges as ``Call`` fields."""
    target, items = split_ranges(entry[start:end])
    if not items:
        raise AdcalcError("usage", "plot needs the interval after the function: NAME=LO:HI", hint="e.g. plot f x=-2:2")
    if len(items) > 2:
        raise AdcalcError("usage", "plot takes one range (a curve) or two (a surface)", hint="e.g. plot f x=-2:2")
    slots = (("x_range", "x"), ("y_range", "y"))
    fields = {field: parse_range(item, flag) for (field, flag), item in zip(slots, items)}
    return start + len(target), fields
