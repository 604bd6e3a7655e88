"""Taylor mode: every value carries its truncated Taylor series along one direction.

The math: seed input xᵢ with xᵢ(t) = xᵢ + vᵢ·t; every primitive maps the series of its
arguments to the series of its result by its ``taylor`` rule in the registry (the recurrences of
``adcalc.rules.series`` — their own math, checked against the derivative rules by
tests/test_rules.py).  After one forward sweep the output's coefficients cₖ give the directional
derivatives  dᵏ/dtᵏ f(x + t·v) at t = 0  =  k!·cₖ,  for k = 1 … K.  Conditions read the
coefficient 0, so the series is that of the path that executes.  The value of each step, its
kink and non-finite notes are the shared parts of ``Mode``; where a coefficient of a finite
value is not finite, a ``nonfinite_derivative`` warning names the first such order.
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.language.ir import Eqn
from adcalc.rules.registry import Primitive
from adcalc.transform.mode import Mode


class Jet:
    """A truncated Taylor series ``c₀ + c₁t + … + c_K t^K``."""

    __slots__ = ("coeffs",)

    def __init__(self, coeffs: list[float]):
        self.coeffs = coeffs


class TaylorMode(Mode):
    name = "taylor"
    purpose = "deriv (Taylor mode)"

    def __init__(self, directions: Sequence[float], order: int, strict: bool = False):
        """``directions[i]`` is input i's component of the direction v; ``order`` is K."""
        super().__init__(strict)
        self.directions = [float(d) for d in directions]
        self.n = order + 1

    def input(self, index: int, name: str, value: object) -> Jet:
        return Jet([value, self.directions[index]] + [0.0] * (self.n - 2))  # type: ignore[list-item]

    def primal(self, v: object) -> object:
        return v.coeffs[0] if type(v) is Jet else v  # type: ignore[union-attr]

    def active(self, v: object) -> bool:
        return type(v) is Jet

    def coefficients(self, v: object) -> list[float]:
        return list(v.coeffs) if type(v) is Jet else [v] + [0.0] * (self.n - 1)  # type: ignore[union-attr,list-item]

    def apply(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        """The step: the shared value and notes, then the series by the primitive's Taylor rule."""
        if not prim.elementwise:
            raise self.unsupported(site)
        primals = [self.primal(a) for a in args]
        for p in primals:
            if p is None:  # a variable read before it was set: the interpreter names it
                raise TypeError("an unbound register")
            if type(p) is not float:
                raise self.unsupported(site)
        r = self.value(prim, primals, site)
        if not any(type(a) is Jet for a in args):
            return r
        if prim.kink is not None and prim.kink(*primals):
            self.note_kink(prim, primals, site)
        series = [self.coefficients(a) for a in args]
        out = list(prim.taylor(*series, r))
        out[0] = r
        if not self.notes.bad_partial_seen and r - r == 0.0:
            self._note_series(prim, series, out, site)
        return Jet(out)

    apply1 = Mode.apply1
    apply2 = Mode.apply2
    applyn = Mode.applyn

    def _note_series(self, prim: Primitive, series: list[list[float]], out: list[float], site: Eqn) -> None:
        """The first order at which a finite value gets a non-finite coefficient from finite
        arguments (√ at 0, x^2.5 at 0 at order 3): a ``nonfinite_derivative`` warning, as forward
        and reverse mode give for a non-finite local derivative."""
        for k in range(1, len(out)):
            c = out[k]
            if c - c != 0.0:
                if all(s[j] - s[j] == 0.0 for s in series for j in range(k + 1)):
                    self.notes.series(prim, [s[0] for s in series], site.span, k, c)
                return
