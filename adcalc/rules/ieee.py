"""IEEE-safe value rules: each returns the double result and never raises.

Outside a function's domain the result is nan (never a complex number), at a pole ±inf (by the
sign the limit takes), on overflow ±inf.  These are the ``value`` rules of the elementwise
primitives (``rules/elementwise.py``); ``pow_`` is ``series.ipow``, shared with Taylor mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from adcalc.rules import series as S

INF = math.inf
NAN = math.nan


div = S.q  # x / y with IEEE results at y = ±0 (one definition, shared with the series recurrences)


pow_ = S.ipow  # the IEEE value rule of x^y lives with the series arithmetic (one source)


def guard(f: Callable[[float], float], overflow: float | None = INF) -> Callable[[float], float]:
    """Wrap a math function: domain errors give nan, overflow gives ±inf."""

    def g(x: float) -> float:
        try:
            return f(x)
        except ValueError:
            return NAN
        except OverflowError:
            return math.copysign(INF, x) if overflow is None else overflow

    g.__name__ = f.__name__
    return g


def log_base(f: Callable[[float], float]) -> Callable[[float], float]:
    def g(x: float) -> float:
        if x > 0.0:
            return f(x)
        if x == 0.0:
            return -INF
        return NAN  # negative or nan

    g.__name__ = f.__name__
    return g


def log1p(x: float) -> float:
    if x > -1.0:
        return math.log1p(x)
    return -INF if x == -1.0 else NAN


def atanh(x: float) -> float:
    if -1.0 < x < 1.0:
        return math.atanh(x)
    if x == 1.0 or x == -1.0:
        return math.copysign(INF, x)
    return NAN


def sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    z = math.exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    if x != x:
        return NAN
    if x == INF:
        return INF
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def max_(x: float, y: float, *more: float) -> float:
    """The largest argument; nan if any is nan."""
    if x != x or y != y:
        return NAN
    m = x if x >= y else y
    for z in more:
        if z != z:
            return NAN
        m = m if m >= z else z
    return m


def min_(x: float, y: float, *more: float) -> float:
    """The smallest argument; nan if any is nan."""
    if x != x or y != y:
        return NAN
    m = x if x <= y else y
    for z in more:
        if z != z:
            return NAN
        m = m if m <= z else z
    return m


def sign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x  # ±0 and nan


def step(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return 0.0
    return 0.5 if x == 0.0 else NAN


def rounding(f: Callable[[float], int]) -> Callable[[float], float]:
    def g(x: float) -> float:
        if x - x != 0.0:  # inf or nan
            return x
        return float(f(x))

    g.__name__ = f.__name__
    return g


def hypot(x: float, y: float) -> float:
    try:
        return math.hypot(x, y)
    except OverflowError:
        return INF


def beside(f: Callable[[float], float]) -> Callable[[float, Sequence[float]], float]:
    """The ``side`` rule of a piecewise-constant function whose jumps sit at doubles (floor, int,
    round, sign): its value one ulp away along the direction, which is the limit from that side."""

    def side(x: float, t: Sequence[float]) -> float:
        if t[0] == 0.0 or x - x != 0.0:
            return f(x)
        return f(math.nextafter(x, math.copysign(INF, t[0])))

    return side
