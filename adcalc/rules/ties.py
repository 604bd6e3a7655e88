"""max and min of any number of arguments, and their one convention at ties.

Contract (the math): ∂max(x₁…xₙ)/∂xᵢ = [xᵢ is the largest] / (how many are) — a tie among k
arguments splits the derivative evenly, 1/k each, exactly as the array reductions ``max(v)`` /
``min(v)`` do (``rules/arrays.py``).  The Taylor rule takes the series of the extreme argument
(the average of the tied ones at a tie: at order 1 the tie-splitting derivative); the one-sided
rule at a tie is the extreme of the tied arguments' tangents.  Piecewise constant weights are
computed on the numbers underneath any dual, and elementwise on arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from adcalc.rules import series as S
from adcalc.rules.registry import np, primal

NAN = math.nan


class Extreme:
    """The partials of max (or min) of n arguments: ∂/∂xᵢ = [xᵢ is the extreme] / (how many are),
    so a tie among k arguments gives 1/k to each — the convention of the array reductions
    ``max(v)``/``min(v)`` too.  Piecewise constant, so computed on the values underneath any dual
    (its own derivative is 0); nan when an argument is nan; elementwise on arrays."""

    def __init__(self, pick: Callable[..., float], arrays: bool = False):
        self.pick, self.arrays = pick, arrays
        self._rules: dict[int, Callable[..., object]] = {}

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> Callable[..., object]:
        rule = self._rules.get(i)
        if rule is None:
            rule = self._rules[i] = lambda *xs: self.weight(i, xs)
        return rule

    def weight(self, i: int, xs: Sequence[object]) -> object:
        xs = [primal(x) if not hasattr(x, "shape") else x for x in xs]
        if self.arrays or any(hasattr(x, "shape") for x in xs):
            extreme = reduce_array("maximum" if self.pick is max else "minimum")(*xs)
            hits = [np.equal(x, extreme) for x in xs]
            count = sum(h.astype(float) for h in hits)
            with np.errstate(all="ignore"):
                return np.where(np.isnan(extreme), NAN, np.divide(hits[i], count))
        if any(x != x for x in xs):
            return NAN
        extreme = self.pick(xs)
        return (1.0 if xs[i] == extreme else 0.0) / sum(1 for x in xs if x == extreme)


class ExtremeDisplay:
    """How ∂max/∂xᵢ reads: ``[v1 > v2]`` for two arguments, ``[v3 is the largest]`` for more."""

    def __init__(self, op: str):
        self.op = op

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> Callable[[Sequence[str]], str]:
        def show(args: Sequence[str]) -> str:
            if len(args) == 2:
                return f"[{args[i]} {self.op} {args[1 - i]}]"
            return f"[{args[i]} is the {'largest' if self.op == '>' else 'smallest'}]"

        return show


def show_extreme(name: str) -> Callable[[Sequence[str]], str]:
    return lambda args: f"{name}({', '.join(args)})"


def tie(pick: Callable[..., float]) -> Callable[..., object]:
    """Whether two or more arguments share the extreme (elementwise on arrays)."""
    def kink(*xs: object) -> object:
        if any(hasattr(x, "shape") for x in xs):
            extreme = reduce_array("maximum" if pick is max else "minimum")(*xs)
            return sum(np.equal(x, extreme).astype(int) for x in xs) > 1
        if len(xs) == 2:
            return xs[0] == xs[1]
        extreme = pick(xs)
        return sum(1 for x in xs if x == extreme) > 1

    return kink


def extreme_taylor(pick: Callable[..., float]) -> Callable[..., list[float]]:
    """The series of the extreme argument; a tie averages the tied series (at order 1 that is the
    tie-splitting derivative); all nan when an argument is nan (as the value and the partials)."""
    def taylor(*args: object) -> list[float]:
        series = args[:-1]
        if any(s[0] != s[0] for s in series):
            return [NAN] * len(series[0])
        extreme = pick(s[0] for s in series)
        tied = [s for s in series if s[0] == extreme]
        if len(tied) == 1:
            return tied[0]
        total = tied[0]
        for s in tied[1:]:
            total = S.add(total, s)
        return S.scale(total, 1.0 / len(tied))

    return taylor


def extreme_directional(pick: Callable[..., float]) -> Callable[..., float]:
    """At a tie, lim_{h→0+}: the extreme of the tied arguments' tangents (nan when an argument
    is nan)."""
    def directional(*args: object) -> float:
        xs, t = args[:-1], args[-1]
        if any(x != x for x in xs):
            return NAN
        extreme = pick(xs)
        return pick(t[i] for i, x in enumerate(xs) if x == extreme)

    return directional


def reduce_array(ufunc: str) -> Callable[..., object]:
    """NumPy's elementwise maximum/minimum of any number of arrays (nan propagates)."""
    def rule(*xs: object) -> object:
        f = getattr(np, ufunc)
        out = xs[0]
        for x in xs[1:]:
            out = f(out, x)
        return out

    return rule
