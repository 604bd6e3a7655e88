"""Batch runs: evaluate program files at their declared points and check their expectations.

A file declares points and expectations in directive comments, so it stays a valid program::

    # @at x1=1, x2=2                      a point (repeat for more points)
    # @expect value = exp(2) + 4 + cos(2)   the value at the latest point
    # @expect d/dx1 = 2*e^2 + 4             a gradient entry (a list for vector outputs:
    # @expect d/dx2 = 4 - sin(2)            one entry per output, a Jacobian column)
    # @tol 1e-12                            relative tolerance (default 1e-9), relative to max(1, |expected|)

Expectations are adcalc *expressions* evaluated at the point (they may use the inputs, and ``f``
for the computed value, e.g. an implicit-function formula 1/(1 - e*cos(f))), so a file states
its hand-derived formula or closed form, never a number copied from adcalc's output.

Contract: ``run_file(path, ...)`` returns one ``Outcome`` per point and never raises for a bad
file: a file that cannot be read or parsed gives one outcome with status ``error`` and the
error's line:column.  Status: ``pass`` (every expectation held), ``ok`` (ran; nothing to
check), ``fail`` (an expectation did not hold), ``error``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import api
from .arrays import entries
from .bindings import parse_bindings, parse_number, with_arrays
from .errors import AdcalcError, Span
from .sources import read_file

DEFAULT_TOLERANCE = 1e-9
_DIRECTIVE = re.compile(r"^(\s*#\s*)@(\w+)\b(.*)$")
_DERIV = re.compile(r"^d\s*/\s*d\s*([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass
class Expectation:
    what: str  # "value" or "d/dNAME"
    text: str  # the expression as written
    span: Span


@dataclass
class Point:
    values: dict[str, float]
    expectations: list[Expectation] = field(default_factory=list)
    tolerance: float = DEFAULT_TOLERANCE
    span: Span | None = None


@dataclass
class Check:
    what: str
    expected: float | list[float]
    got: float | list[float]
    ok: bool


@dataclass
class Outcome:
    file: str
    point: dict[str, float] | None
    status: str  # pass | ok | fail | error
    result: api.Result | None = None
    checks: list[Check] = field(default_factory=list)
    error: AdcalcError | None = None
    seconds: float = 0.0
    source: str = ""


def find_files(paths: Sequence[str]) -> list[str]:
    """Files named directly, and every ``*.ad`` below a named directory (sorted)."""
    found: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found.extend(str(f) for f in sorted(path.rglob("*.ad")) if f.is_file())
        else:
            found.append(p)
    return found


def parse_directives(text: str) -> list[Point]:
    """The ``# @at`` points of a file, each with its ``# @expect`` lines and ``# @tol``."""
    points: list[Point] = []
    tolerance = DEFAULT_TOLERANCE
    for number, line in enumerate(text.splitlines(), 1):
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        prefix, word, rest = m.groups()
        col = len(prefix) + 1
        span = Span(number, col, number, len(line) + 1)
        rest = rest.strip()
        if word == "at":
            points.append(Point(with_arrays(_located(parse_bindings, rest, "@at", span)), tolerance=tolerance,
                                span=span))
        elif word == "tol":
            tolerance = _located(parse_number, rest, "@tol", span)
            if points:
                points[-1].tolerance = tolerance
        elif word == "expect":
            if not points:
                raise AdcalcError("syntax", "@expect comes before any @at point", span, hint="put # @at … first")
            lhs, eq, rhs = rest.partition("=")
            lhs = lhs.strip()
            if not eq or not rhs.strip():
                raise AdcalcError("syntax", "write @expect value = EXPR or @expect d/dNAME = EXPR", span)
            if lhs != "value" and not _DERIV.match(lhs):
                raise AdcalcError("syntax", f"@expect: '{lhs}' is neither 'value' nor 'd/dNAME'", span)
            what = lhs if lhs == "value" else "d/d" + _DERIV.match(lhs).group(1)  # type: ignore[union-attr]
            points[-1].expectations.append(Expectation(what, rhs.strip(), span))
        else:
            raise AdcalcError("syntax", f"unknown directive @{word}", span, hint="directives are @at, @expect, @tol")
    return points


def _located(fn, text: str, what: str, span: Span):  # type: ignore[no-untyped-def]
    """``fn(text, what)`` with its error placed at the directive's line."""
    try:
        return fn(text, what)
    except AdcalcError as e:
        raise AdcalcError(e.kind, e.message, span, e.hint) from None


def _expected(text: str, point: dict[str, float], value: float | list[float], span: Span) -> float | list[float]:
    """Evaluate an expectation: an expression over the point's inputs (and f, the value)."""
    env = dict(point)
    if not isinstance(value, list):
        env["f"] = value
    try:
        loaded = api.load(text)
        used = {n: env[n] for n in loaded.inputs if n in env}
        return api.evaluate(loaded, used).value
    except AdcalcError as e:
        raise AdcalcError(e.kind, f"in @expect: {e.message}", span, e.hint) from None


def _close(got: float, want: float, tol: float) -> bool:
    if got == want or (math.isnan(got) and math.isnan(want)):
        return True
    return math.isfinite(got) and math.isfinite(want) and abs(got - want) <= tol * max(1.0, abs(want))


def _matches(got: object, want: object, tol: float) -> bool:
    g, w = entries(got), entries(want)
    return len(g) == len(w) and all(_close(a, b, tol) for a, b in zip(g, w))


def evaluate_point(loaded: api.Loaded, point: dict[str, float], mode: str | None, trace: bool) -> api.Result:
    """Value and gradient (scalar sources) or Jacobian (vector sources)."""
    if loaded.program.vector_output:
        return api.jacobian(loaded, point, mode=mode)
    return api.grad(loaded, point, mode=mode or "reverse", trace=trace)


def _derivative(result: api.Result, name: str) -> float | list[float]:
    if isinstance(result, api.GradResult):
        return result.gradient[name]
    assert isinstance(result, api.JacobianResult)
    j = result.inputs.index(name)
    return [row[j] for row in result.jacobian]


def run_file(path: str, mode: str | None = None, at: dict[str, float] | None = None,
             trace: bool = False) -> list[Outcome]:
    start = time.perf_counter()
    text = ""
    try:
        text = read_file(path)
        points = parse_directives(text)
        loaded = api.load(text)
    except AdcalcError as e:
        return [Outcome(path, None, "error", error=e, seconds=time.perf_counter() - start, source=text)]
    if at is not None:
        points = [Point(at)]
    elif not points:
        if loaded.inputs:
            e = AdcalcError("input", f"no @at point for the inputs {', '.join(loaded.inputs)}",
                            hint="add a line `# @at " + ", ".join(f"{n}=…" for n in loaded.inputs)
                            + "` or pass --at")
            return [Outcome(path, None, "error", error=e, seconds=time.perf_counter() - start, source=text)]
        points = [Point({})]
    outcomes = []
    for p in points:
        t0 = time.perf_counter()
        try:
            result = evaluate_point(loaded, p.values, mode, trace)
            checks = []
            for ex in p.expectations:
                got = result.value if ex.what == "value" else _derivative(result, ex.what[3:])
                want = _expected(ex.text, p.values, result.value, ex.span)
                checks.append(Check(ex.what, want, got, _matches(got, want, p.tolerance)))
            status = ("pass" if all(c.ok for c in checks) else "fail") if checks else "ok"
            outcomes.append(Outcome(path, p.values, status, result, checks, None, time.perf_counter() - t0, text))
        except AdcalcError as e:
            if e.span is None and p.span is not None and e.kind == "input":
                e = AdcalcError(e.kind, e.message, p.span, e.hint)
            outcomes.append(Outcome(path, p.values, "error", None, [], e, time.perf_counter() - t0, text))
    return outcomes
