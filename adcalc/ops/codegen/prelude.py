"""The run-time helpers of generated code: the language's IEEE value rules, as plain Python.

Contract: every function here imports nothing but ``math`` and computes, operation for
operation, what its rule in ``adcalc.rules`` computes on floats (nan outside the domain, ±inf at
poles and on overflow, never an exception), so generated code reproduces the interpreter bit for
bit.  The array helpers (``_elements``, ``_zeros``: array inputs as nested lists of floats) use
NumPy as ``np``, which a module with array inputs imports.  ``tests/test_codegen_rules.py``
checks each helper against its registry rule on special and random points.  The generator
copies the source of the helpers a module uses into that module (``helper_source``): generated
code runs where adcalc is not installed.
"""

from __future__ import annotations

import inspect
import math

from adcalc.rules.registry import np  # NumPy on first use; a module that copies _elements/_zeros imports numpy as np

INF = math.inf
NAN = math.nan


def _div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if math.isnan(x) or x == 0.0:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        if x < 0 and y == int(y) and int(y) % 2 == 1:
            return -math.inf
        return math.inf
    except ValueError:
        if x == 0.0 and y < 0:
            if y == int(y) and int(y) % 2 == 1:
                return math.copysign(math.inf, x)
            return math.inf
        return math.nan


def _guarded(f, x: float, overflow: float | None = math.inf) -> float:
    try:
        return f(x)
    except ValueError:
        return math.nan
    except OverflowError:
        return math.copysign(math.inf, x) if overflow is None else overflow


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else _guarded(math.sqrt, x)


def _exp(x: float) -> float:
    return math.exp(x) if x < 709.0 else _guarded(math.exp, x)


def _expm1(x: float) -> float:
    return math.expm1(x) if x < 709.0 else _guarded(math.expm1, x)


def _sin(x: float) -> float:
    return math.sin(x) if x - x == 0.0 else _guarded(math.sin, x)


def _cos(x: float) -> float:
    return math.cos(x) if x - x == 0.0 else _guarded(math.cos, x)


def _tan(x: float) -> float:
    return math.tan(x) if x - x == 0.0 else _guarded(math.tan, x)


def _asin(x: float) -> float:
    return _guarded(math.asin, x)


def _acos(x: float) -> float:
    return _guarded(math.acos, x)


def _sinh(x: float) -> float:
    return _guarded(math.sinh, x, None)


def _cosh(x: float) -> float:
    return _guarded(math.cosh, x)


def _acosh(x: float) -> float:
    return _guarded(math.acosh, x)


def _log_of(f, x: float) -> float:
    if x > 0.0:
        return f(x)
    if x == 0.0:
        return -math.inf
    return math.nan


def _log(x: float) -> float:
    return math.log(x) if x > 0.0 else _log_of(math.log, x)


def _log2(x: float) -> float:
    return _log_of(math.log2, x)


def _log10(x: float) -> float:
    return _log_of(math.log10, x)


def _log1p(x: float) -> float:
    if x > -1.0:
        return math.log1p(x)
    return -math.inf if x == -1.0 else math.nan


def _atanh(x: float) -> float:
    if -1.0 < x < 1.0:
        return math.atanh(x)
    if x == 1.0 or x == -1.0:
        return math.copysign(math.inf, x)
    return math.nan


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if math.isnan(x):
        return math.nan
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    if math.isnan(x):
        return math.nan
    if x == math.inf:
        return math.inf
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _max(*xs: float) -> float:
    m = xs[0]
    for z in xs:
        if math.isnan(z):
            return math.nan
        m = max(m, z)  # m unless z > m: as m if m >= z else z
    return m


def _min(*xs: float) -> float:
    m = xs[0]
    for z in xs:
        if math.isnan(z):
            return math.nan
        m = min(m, z)  # m unless z < m: as m if m <= z else z
    return m


def _extreme_weight(i: int, largest: bool, *xs: float) -> float:
    """∂max/∂xᵢ (∂min/∂xᵢ): 1/k when xᵢ is one of k tied extremes, else 0; nan with a nan."""
    if any(math.isnan(x) for x in xs):
        return math.nan
    extreme = max(xs) if largest else min(xs)
    return (1.0 if xs[i] == extreme else 0.0) / sum(1 for x in xs if x == extreme)


def _hypot(x: float, y: float) -> float:
    try:
        return math.hypot(x, y)
    except OverflowError:
        return math.inf


def _sign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x


def _step(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return 0.0
    return 0.5 if x == 0.0 else math.nan


def _floor(x: float) -> float:
    return x if x - x != 0.0 else float(math.floor(x))


def _ceil(x: float) -> float:
    return x if x - x != 0.0 else float(math.ceil(x))


def _rounded(f, x: float) -> float:
    return x if x - x != 0.0 else float(f(x))


def _whole(v: float, what: str) -> int:
    """A range() bound: a whole number, as the interpreter requires."""
    if not math.isfinite(v) or v != int(v):
        raise ValueError(f"range() needs whole numbers, but its {what} is {v!r}")
    return int(v)


def _ix(v: float) -> int:
    """An index read from a variable: a whole number, as the interpreter requires."""
    if not math.isfinite(v) or v != int(v):
        raise ValueError(f"an index must be a whole number, but it is {v!r}")
    return int(v)


def _elements(x, axes: int, name: str, like: list | None = None) -> list:
    """An array input as nested lists of floats, checked to have the axes its reads subscript
    (``axes`` 0: only len reads it, any array); a tangent must have its input's shape (``like``)."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if (a.ndim != axes) if axes else a.ndim == 0:
        raise ValueError(f"{name} must be an array with {axes or 'one or more'} ax{'is' if axes == 1 else 'es'} "
                         f"(the program reads it so), but its shape is {a.shape}")
    if like is not None and a.shape != np.shape(like):
        raise ValueError(f"{name} must have its input's shape {np.shape(like)}, but its shape is {a.shape}")
    return a.tolist()


def _zeros(x: list) -> list:
    """A nested list of zeros shaped like ``x`` (nested lists of floats, as ``_elements`` makes
    them): an array input's adjoint, without a round trip through NumPy."""
    out = []
    for row in x:
        try:
            len(row)
        except TypeError:  # a number: x is a row of numbers
            return [0.0] * len(x)
        out.append(_zeros(row))
    return out


def _resume(it, seed: tuple, start: tuple) -> tuple:
    """Run the backward sweep of a generated ``_name_rev`` generator: the inputs' adjoints."""
    try:
        it.send((seed, start))
    except StopIteration as done:
        return done.value
    raise RuntimeError("the backward sweep did not finish")


# Which helpers each helper calls (copied along with it)
NUMPY_HELPERS = frozenset({"_elements", "_zeros"})
_NEEDS = {"_sqrt": ("_guarded",), "_exp": ("_guarded",), "_expm1": ("_guarded",), "_sin": ("_guarded",),
          "_cos": ("_guarded",), "_tan": ("_guarded",), "_asin": ("_guarded",), "_acos": ("_guarded",),
          "_sinh": ("_guarded",), "_cosh": ("_guarded",), "_acosh": ("_guarded",), "_log": ("_log_of",),
          "_log2": ("_log_of",), "_log10": ("_log_of",)}


def helper_source(names: set[str]) -> str:
    """The source of the named helpers (and those they call), in this module's order."""
    wanted = set(names)
    for n in list(wanted):
        wanted.update(_NEEDS.get(n, ()))
    return "\n\n\n".join(text for name, text in _sources().items() if name in wanted)


_SOURCES: list[dict[str, str]] = []  # read once per process, kept in memory only (never stored)


def _sources() -> dict[str, str]:
    """Every helper's source, in this module's order (read once: ``inspect`` tokenizes the file;
    threads that race here each build the same whole dict, and the first one appended is used)."""
    if not _SOURCES:
        _SOURCES.append({name: inspect.getsource(fn).rstrip() for name, fn in list(globals().items())
                         if name.startswith("_") and name != "_sources" and inspect.isfunction(fn)})
    return _SOURCES[0]
