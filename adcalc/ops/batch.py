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

Contract:
- ``find_targets(paths)`` lists what a run covers, in order: a named file as given (a FIFO named
  explicitly is read like ``cat`` would), every ``*.ad`` below a named directory (sorted).  A
  directory scan never opens anything but regular files (and symbolic links to them): a special
  file it meets, a broken or looping symbolic link (found by the scan or named), an unreadable
  directory and a directory without ``.ad`` files each become a ``Target`` carrying its
  ``AdcalcError('file')``, reported as one error row; nothing is skipped silently.
- ``run_file(path, ...)`` returns one ``Outcome`` per point and never raises for a bad file: a
  file that cannot be read or parsed, a bad directive (``@tol`` must be finite and ≥ 0; ``d/dNAME``
  must name an input), a resource limit, or a run longer than ``timeout`` seconds gives an
  outcome with status ``error`` (and the directive's line:column when it is one); the points
  finished before a timeout keep their outcomes.  ``limits`` (the API's keyword arguments:
  ``strict``, ``max_steps``, ``max_depth``, …) apply to every API call, the expectations' too.
  Status: ``pass`` (every expectation held), ``ok`` (ran; nothing to check), ``fail`` (an
  expectation did not hold), ``error``.
- ``run_target(target, options)`` is the unit of work of ``adcalc.ops.batchpool``.
"""

from __future__ import annotations

import math
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from adcalc.errors import AdcalcError, Span, closest
from adcalc.language.bindings import parse_bindings, parse_number, with_arrays
from adcalc.language.sources import read_file
from adcalc.ops import derivatives as api
from adcalc.ops.targets import Target, find_targets, scan_problem  # noqa: F401 - run's files
from adcalc.rules.shapes import entries

DEFAULT_TOLERANCE = 1e-9
DEFAULT_TIMEOUT = 60.0
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


@dataclass
class Options:
    """How every file of a run is run: ``mode`` (None: reverse for gradients, the cheaper one for
    Jacobians), ``at`` (a point replacing each file's ``@at`` points), ``trace``, ``limits`` (API
    keyword arguments, forwarded whole) and ``timeout`` (seconds per file; None: no limit)."""

    mode: str | None = None
    at: dict[str, Any] | None = None
    trace: bool = False
    limits: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None


# ---- finding the files ------------------------------------------------------------------------

# ---- directives -------------------------------------------------------------------------------

def parse_directives(text: str) -> list[Point]:
    """The ``# @at`` points of a file, each with its ``# @expect`` lines and ``# @tol``."""
    points: list[Point] = []
    tolerance = DEFAULT_TOLERANCE
    for number, line in enumerate(text.split("\n"), 1):  # lines as the grammar counts them
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
            tolerance = _tolerance(rest, span)
            if points:
                points[-1].tolerance = tolerance
        elif word == "expect":
            if not points:
                raise AdcalcError("syntax", "@expect comes before any @at point", span, hint="put # @at … first")
            points[-1].expectations.append(_expectation(rest, span))
        else:
            raise AdcalcError("syntax", f"unknown directive @{_clip(word)}", span,
                              hint="directives are @at, @expect, @tol")
    return points


def _expectation(rest: str, span: Span) -> Expectation:
    """``value = EXPR`` or ``d/dNAME = EXPR``."""
    lhs, eq, rhs = rest.partition("=")
    lhs = lhs.strip()
    if not eq or not rhs.strip():
        raise AdcalcError("syntax", "write @expect value = EXPR or @expect d/dNAME = EXPR", span)
    m = _DERIV.match(lhs)
    if lhs != "value" and not m:
        raise AdcalcError("syntax", f"@expect: '{_clip(lhs)}' is neither 'value' nor 'd/dNAME'", span)
    return Expectation("value" if m is None else "d/d" + m.group(1), rhs.strip(), span)


def _tolerance(text: str, span: Span) -> float:
    """A relative tolerance: a finite number ≥ 0 (0 asks for exact equality)."""
    value = _located(parse_number, text, "@tol", span)
    if not (math.isfinite(value) and value >= 0):
        raise AdcalcError("input", f"@tol: {_clip(text)} is not a tolerance", span,
                          hint="write a finite number ≥ 0, e.g. @tol 1e-12 (0 asks for exact equality)")
    return value


def _clip(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _located(fn, text: str, what: str, span: Span):  # type: ignore[no-untyped-def]
    """``fn(text, what)`` with its error placed at the directive's line."""
    try:
        return fn(text, what)
    except AdcalcError as e:
        raise AdcalcError(e.kind, e.message, span, e.hint) from None


# ---- checking ---------------------------------------------------------------------------------

def _expected(text: str, point: dict[str, float], value: float | list[float], span: Span,
              limits: dict[str, Any]) -> float | list[float]:
    """Evaluate an expectation: an expression over the point's inputs (and f, the value)."""
    env = dict(point)
    if not isinstance(value, list):
        env["f"] = value
    try:
        loaded = api.load(text)
        unknown = [n for n in loaded.inputs if n not in env]
        if unknown:
            near = closest(unknown[0], list(env))
            known = ", ".join(env) if env else "none"
            raise AdcalcError("name", f"unknown name '{unknown[0]}' (this @expect may use {known})", span,
                              hint=(f"did you mean '{near}'? " if near else "")
                              + "an @expect reads the names its @at point binds, and f for the computed value")
        used = {n: env[n] for n in loaded.inputs if n in env}
        return api.evaluate(loaded, used, **limits).value
    except AdcalcError as e:
        raise AdcalcError(e.kind, f"in @expect: {e.message}", span, e.hint) from None


def _close(got: float, want: float, tol: float) -> bool:
    if got == want or (math.isnan(got) and math.isnan(want)):
        return True
    return math.isfinite(got) and math.isfinite(want) and abs(got - want) <= tol * max(1.0, abs(want))


def _matches(got: object, want: object, tol: float) -> bool:
    g, w = entries(got), entries(want)
    return len(g) == len(w) and all(_close(a, b, tol) for a, b in zip(g, w))


def evaluate_point(loaded: api.Loaded, point: dict[str, float], mode: str | None, trace: bool,
                   **limits: Any) -> api.Result:
    """Value and gradient (scalar sources) or Jacobian (vector sources), under ``limits``."""
    if loaded.program.vector_output:
        return api.jacobian(loaded, point, mode=mode, **limits)
    return api.grad(loaded, point, mode=mode or "reverse", trace=trace, **limits)


def _derivative(result: api.Result, name: str, span: Span) -> object:
    """∂f/∂name read off a gradient, or the Jacobian's column(s) for ``name`` (one entry per
    output; an array input's columns as a list per output)."""
    if name not in result.inputs:
        known = ", ".join(result.inputs) if result.inputs else "none"
        raise AdcalcError("input", f"@expect d/d{name}: '{name}' is not an input at this point (inputs: {known})",
                          span, hint="d/dNAME needs NAME bound by the @at point")
    if isinstance(result, api.GradResult):
        return result.gradient[name]
    assert isinstance(result, api.JacobianResult)
    cols = [j for j, c in enumerate(result.columns) if c == name or c.startswith(name + "[")]
    if len(cols) == 1 and result.columns[cols[0]] == name:  # a scalar input: one entry per output
        return [row[cols[0]] for row in result.jacobian]
    return [[row[j] for j in cols] for row in result.jacobian]


def _check(result: api.Result, ex: Expectation, p: Point, limits: dict[str, Any]) -> Check:
    got = result.value if ex.what == "value" else _derivative(result, ex.what[3:], ex.span)
    want = _expected(ex.text, p.values, result.value, ex.span, limits)
    return Check(ex.what, want, got, _matches(got, want, p.tolerance))  # type: ignore[arg-type]


# ---- running ----------------------------------------------------------------------------------

class _FileTimeout(BaseException):
    """The file's time is up (raised by SIGALRM; a BaseException so nothing on the way catches it)."""


class _Deadline:
    """Within ``with _Deadline(seconds)``, SIGALRM after ``seconds`` raises ``_FileTimeout`` in the
    main thread — the interpreter is pure Python, so this stops it anywhere.  A no-op without
    seconds, or off the main thread (where signal handlers cannot be set)."""

    def __init__(self, seconds: float | None):
        self.seconds, self.armed, self.active, self.previous = seconds, False, False, None

    def _expired(self, signum: int, frame: object) -> None:
        if self.armed:
            self.armed = False
            raise _FileTimeout

    def __enter__(self) -> _Deadline:
        if self.seconds is None:
            return self
        try:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
        except ValueError:  # not the main thread
            return self
        self.active = self.armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.active:
            return
        try:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, self.previous if self.previous is not None else signal.SIG_DFL)


@dataclass
class _Progress:
    """What a file's run has done so far: kept when the run is cut short."""

    started: float
    text: str = ""
    point: dict[str, Any] | None = None
    outcomes: list[Outcome] = field(default_factory=list)


def run_target(target: Target, options: Options) -> list[Outcome]:
    """The outcomes of one target: its problem as an error row, or its file's run.  A scanned
    file is checked again just before it is read (it may have been replaced since the scan)."""
    problem = target.error
    if problem is None and target.scanned:
        problem = scan_problem(target.path)
    if problem is not None:
        return [Outcome(target.path, None, "error", error=problem)]
    return run_file(target.path, options.mode, options.at, options.trace, options.limits, options.timeout)


def run_file(path: str, mode: str | None = None, at: dict[str, float] | None = None, trace: bool = False,
             limits: dict[str, Any] | None = None, timeout: float | None = None) -> list[Outcome]:
    """One outcome per point of the file (see the module contract); never raises for a bad file."""
    progress = _Progress(time.perf_counter())
    try:
        with _Deadline(timeout):
            _run_points(path, mode, at, trace, limits or {}, progress)
    except _FileTimeout:
        e = AdcalcError("limit", f"it took longer than {timeout:g} s, the time allowed per file",
                        hint="raise --timeout SECONDS to give it longer")
        progress.outcomes.append(Outcome(path, progress.point, "error", error=e,
                                         seconds=time.perf_counter() - progress.started, source=progress.text))
    return progress.outcomes


def _run_points(path: str, mode: str | None, at: dict[str, float] | None, trace: bool, limits: dict[str, Any],
                progress: _Progress) -> None:
    """Read, parse and run the file, appending each point's outcome to ``progress``."""
    try:
        progress.text = read_file(path)
        directives = parse_directives(progress.text)
        loaded = _load(progress.text)
        points = _points_to_run(directives, at, loaded)
    except AdcalcError as e:
        progress.outcomes.append(Outcome(path, None, "error", error=e, seconds=time.perf_counter() - progress.started,
                                         source=progress.text))
        return
    for p in points:
        progress.point = p.values
        progress.outcomes.append(_run_point(path, loaded, p, mode, trace, limits, progress.text))
    progress.point = None


def _load(text: str) -> api.Loaded:
    try:
        return api.load(text)
    except (MemoryError, RecursionError) as e:
        raise _resource_error(e) from None


def _resource_error(e: BaseException) -> AdcalcError:
    if isinstance(e, MemoryError):
        return AdcalcError("limit", "the run needs more memory than this machine gave it",
                           hint="simplify the file, or run it where more memory is available")
    return AdcalcError("limit", "the input is nested too deeply to process")


def _points_to_run(points: list[Point], at: dict[str, float] | None, loaded: api.Loaded) -> list[Point]:
    """``--at`` replaces the file's points; a file without inputs runs once; else it needs a point."""
    if at is not None:
        return [Point(at)]
    if points:
        return points
    if loaded.inputs:
        raise AdcalcError("input", f"no @at point for the inputs {', '.join(loaded.inputs)}",
                          hint="add a line `# @at " + ", ".join(f"{n}=…" for n in loaded.inputs) + "` or pass --at")
    return [Point({})]


def _run_point(path: str, loaded: api.Loaded, p: Point, mode: str | None, trace: bool, limits: dict[str, Any],
               text: str) -> Outcome:
    """The outcome at one point: the result and its checks, or the error (the result is kept when
    only an expectation could not be evaluated)."""
    t0 = time.perf_counter()
    result = None
    try:
        result = evaluate_point(loaded, p.values, mode, trace, **limits)
        checks = [_check(result, ex, p, limits) for ex in p.expectations]
        status = ("pass" if all(c.ok for c in checks) else "fail") if checks else "ok"
        return Outcome(path, p.values, status, result, checks, None, time.perf_counter() - t0, text)
    except (AdcalcError, MemoryError, RecursionError) as exc:
        e = exc if isinstance(exc, AdcalcError) else _resource_error(exc)
        if e.span is None and p.span is not None and e.kind == "input":
            e = AdcalcError(e.kind, e.message, p.span, e.hint)
        return Outcome(path, p.values, "error", result, [], e, time.perf_counter() - t0, text)
