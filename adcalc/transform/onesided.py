"""One-sided directional derivatives at kinks, computed (not guessed).

The math: along a direction d, ``D_d f(x) = lim_{h→0+} (f(x + h·d) − f(x)) / h``.  A forward
sweep computes it exactly when every primitive applies its *directional* rule at a kink
(``|a|`` → ``|ȧ|``, ``max(a, b)`` → ``max(ȧ, ḃ)`` at a tie, ``√a`` → ``+inf`` for ȧ > 0, …) and every
tied comparison is decided by the tangents (the branch that x + h·d takes for small h > 0:
(a, ȧ) and (b, ḃ) compare lexicographically).  A primitive whose value jumps at a kink (``floor``,
``%``, a comparison used as a value) takes its value on that side (its ``side`` rule), so the
derivative reported is that of the piece the direction enters.  Then along input xᵢ:
right derivative = D_{+eᵢ} f, left derivative = −D_{−eᵢ} f.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from adcalc.language.ir import Cmp, Eqn
from adcalc.rules.registry import Primitive
from adcalc.transform.forward import Dual, ForwardMode
from adcalc.transform.mode import Mode


class OneSidedMode(ForwardMode):
    """Forward mode with one tangent (a direction) that resolves kinks from the side h → 0+."""

    def __init__(self, seeds: Sequence[Sequence[float]]):
        super().__init__(seeds)
        self.hit: set[int] = set()  # kink sites whose arguments move along the direction

    def _kinked(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object | None:
        if prim.kink is None or not prim.elementwise or not any(type(a) is Dual for a in args):
            return None
        primals = [a.primal if type(a) is Dual else a for a in args]
        if not all(type(p) is float for p in primals) or not prim.kink(*primals):
            return None
        tangents = [a.tangent[0] if type(a) is Dual else 0.0 for a in args]
        if any(t != 0.0 for t in tangents):
            self.hit.add(id(site))
        # A jump's value is the one on the side the direction goes (``side``): the piece differentiated
        value = prim.side(*primals, tangents) if prim.side is not None else prim.value(*primals)
        return Dual(value, (prim.directional(*primals, tangents),))  # type: ignore[misc]

    def apply(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        if not prim.elementwise or any(a is not None and type(a) is not float and type(a) is not Dual for a in args):
            raise self.unsupported(site)  # one-sided sweeps are for scalar programs (None: unbound, said below)
        out = self._kinked(prim, args, site)
        return out if out is not None else super().apply(prim, args, site)

    element = Mode.element  # no scalar path for x[i]: arrays are unsupported here (apply says so)

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        out = self._kinked(prim, (x,), site)
        return out if out is not None else super().apply1(prim, x, site)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        out = self._kinked(prim, (x, y), site)
        return out if out is not None else super().apply2(prim, x, y, site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        pa, ta = (a.primal, a.tangent[0]) if type(a) is Dual else (a, 0.0)  # type: ignore[union-attr]
        pb, tb = (b.primal, b.tangent[0]) if type(b) is Dual else (b, 0.0)  # type: ignore[union-attr]
        if pa == pb and ta != tb:
            self.hit.add(id(site))
        return fn((pa, ta), (pb, tb))  # type: ignore[arg-type]


def one_sided(run_direction: Callable[[OneSidedMode], list[Any]], names: Sequence[str],
              ) -> tuple[dict[str, tuple[list[float], list[float]]], dict[int, set[str]]]:
    """For each input name (the program's inputs, in order): (left, right) derivatives of every
    output; and for each kink site the inputs that move it.  ``run_direction(mode)`` runs the
    program under ``mode``."""
    result: dict[str, tuple[list[float], list[float]]] = {}
    affected: dict[int, set[str]] = {}
    for name in names:
        sides = []
        for sign in (1.0, -1.0):
            mode = OneSidedMode([(sign if n == name else 0.0,) for n in names])
            outs = run_direction(mode)
            sides.append([o.tangent[0] if type(o) is Dual else 0.0 for o in outs])
            for site in mode.hit:
                affected.setdefault(site, set()).add(name)
        right, minus = sides
        result[name] = ([0.0 - d for d in minus], right)
    return result, affected
