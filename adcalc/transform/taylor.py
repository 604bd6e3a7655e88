"""Taylor mode: every value carries its truncated Taylor series along one direction.

The math: seed input xᵢ with xᵢ(t) = xᵢ + vᵢ·t; every primitive maps the series of its
arguments to the series of its result by the recurrences in ``adcalc.rules.series`` (one ``taylor``
rule per primitive, in the table).  After one forward sweep the output's coefficients cₖ give
the directional derivatives  dᵏ/dtᵏ f(x + t·v) at t = 0  =  k!·cₖ,  for k = 1 … K.
Conditions read the coefficient 0, so the series is that of the path that executes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.language.ir import Cmp, Eqn
from adcalc.rules.registry import Primitive
from adcalc.transform.modes import Mode, fmt_number
from adcalc.transform.trace import Trace, TraceRow, Warning


class Jet:
    """A truncated Taylor series ``c₀ + c₁t + … + c_K t^K`` (``node`` numbers it in a trace)."""

    __slots__ = ("coeffs", "node", "active")

    def __init__(self, coeffs: list[float], node: int = 0, active: bool = True):
        self.coeffs = coeffs
        self.node = node
        self.active = active


class TaylorMode(Mode):
    name = "taylor"
    purpose = "deriv (Taylor mode)"

    def __init__(self, directions: Sequence[float], order: int, strict: bool = False):
        """``directions[i]`` is input i's component of the direction v; ``order`` is K."""
        super().__init__(strict)
        self.directions = [float(d) for d in directions]
        self.n = order + 1

    def input(self, index: int, name: str, value: float) -> Jet:
        return Jet([value, self.directions[index]] + [0.0] * (self.n - 2))

    def _series(self, v: object) -> list[float]:
        return v.coeffs if type(v) is Jet else [v] + [0.0] * (self.n - 1)  # type: ignore[union-attr,list-item]

    def _apply(self, prim: Primitive, args: tuple, site: Eqn) -> object:
        if not any(type(a) is Jet for a in args):
            r = prim.value(*args)
            if r - r != 0.0:
                self.note_nonfinite(prim, args, site, r)
            return r
        series = [self._series(a) for a in args]
        primals = [s[0] for s in series]
        r = prim.value(*primals)
        if r - r != 0.0:
            self.note_nonfinite(prim, primals, site, r)
        if prim.kink is not None and prim.kink(*primals):
            self.note_kink(prim, primals, site)
        out = list(prim.taylor(*series, r))  # type: ignore[misc]
        out[0] = r
        if not self._bad_partial_seen and r - r == 0.0:
            self._note_series(prim, series, out, site)
        return Jet(out)

    def _note_series(self, prim: Primitive, series: list[list[float]], out: list[float], site: Eqn) -> None:
        """The first derivative order at which a finite value gets a non-finite coefficient
        (√ at 0, x^2.5 at 0 at order 3) from finite arguments: a ``nonfinite_derivative``
        warning, as forward and reverse mode give for a non-finite local derivative."""
        for k in range(1, len(out)):
            c = out[k]
            if c - c != 0.0:
                if all(s[j] - s[j] == 0.0 for s in series for j in range(k + 1)):
                    self._bad_partial_seen = True
                    shown = prim.show([fmt_number(s[0]) for s in series])
                    nth = {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")
                    self.warnings.append(Warning(
                        "nonfinite_derivative",
                        f"the {nth} derivative of {shown} along the direction is {fmt_number(c)}; "
                        "derivatives of this order and higher may be inf or nan (the function may not be "
                        f"{k} times differentiable here)",
                        site.span, operation=prim.name, details={"order": k}))
                return

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self._apply(prim, (x,), site)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self._apply(prim, (x, y), site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        pa, pb = self.primal(a), self.primal(b)
        taken = fn(pa, pb)
        if (type(a) is Jet or type(b) is Jet) and pa == pb:
            self.note_tie(site, pa, pb, taken)
        return taken

    def primal(self, v: object) -> float:
        return v.coeffs[0] if type(v) is Jet else v  # type: ignore[union-attr,return-value]

    def coefficients(self, v: object) -> list[float]:
        return list(self._series(v))


class TracedTaylorMode(TaylorMode):
    """Taylor mode that records each node's coefficients (a table nobody else prints)."""

    def __init__(self, directions: Sequence[float], order: int, trace: Trace, strict: bool = False):
        super().__init__(directions, order, strict)
        self.trace = trace

    def _row(self, jet: Jet, op: str, definition: str, site: object, var: str | None,
             args: Sequence[str] = ()) -> Jet:
        jet.node = len(self.trace.rows) + 1
        self.trace.rows.append(TraceRow(jet.node, op, definition, jet.coeffs[0], getattr(site, "span", None), var,
                                        self.where(site) if site is not None else "", None, None, jet.active,
                                        tuple(args), tuple(jet.coeffs)))
        return jet

    def input(self, index: int, name: str, value: float) -> Jet:
        return self._row(super().input(index, name, value), "input", name, None, name)

    def _unwrap(self, v: object) -> object:
        return v.coeffs[0] if type(v) is Jet and not v.active else v  # type: ignore[union-attr]

    def _traced(self, prim: Primitive, args: tuple, site: Eqn) -> Jet:
        result = super()._apply(prim, tuple(self._unwrap(a) for a in args), site)
        jet = result if type(result) is Jet else Jet([result] + [0.0] * (self.n - 1), active=False)  # type: ignore
        shown = [self.show_arg(site.args[i], self.primal(a), f"v{a.node}" if type(a) is Jet else None)
                 for i, a in enumerate(args)]
        return self._row(jet, prim.name, prim.show(shown), site, site.out if site.user_var else None, shown)

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self._traced(prim, (x,), site)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self._traced(prim, (x, y), site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        return super().compare(fn, self._unwrap(a), self._unwrap(b), site)
