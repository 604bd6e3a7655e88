"""A float with its tangents, for the steps on numbers of ``transform.floatsecond``.

Contract: ``FloatDual(primal, tangent)`` — the tangent one float (k = 1) or an array of shape
(k,), None for zeros.  The registry's generic functions (``G.cos(d)``) and Python's arithmetic run
the forward rule on it — primal by the value rule, tangent Σᵢ ∂ᵢ·u̇ᵢ with the zero rule, the
operations ``transform.secondorder.Box`` makes on its (k,) arrays — so a partial rule evaluated
on ``FloatDual`` arguments gives the partial and its derivative along the arguments' tangents
(``tangent1``/``tangents`` read it).  ``times0`` and ``scale`` are the zero-rule products
(``rules.shapes.mul0``) for floats and for a float times an array.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.rules.registry import G, Primitive
from adcalc.rules.shapes import mul0


def times0(p: float, t: float) -> float:
    """p·t for floats where an exact zero factor contributes 0 (0·inf = 0): ``mul0`` on numbers."""
    r = p * t
    if r - r == 0.0:
        return r
    return 0.0 if p == 0.0 or t == 0.0 else r


def scale(d: float, t: object) -> object:
    """d·t for a float ``d`` and a tangent array, with the zero rule (None when d is 0)."""
    if d == 0.0:
        return None
    return d * t if d - d == 0.0 else mul0(d, t)  # type: ignore[operator]


def plus(a: object, b: object) -> object:
    """The sum of two tangent arrays, either of which may be None (zero)."""
    if a is None:
        return b
    return a if b is None else a + b  # type: ignore[operator]


class FloatDual:
    """A float with its tangents — one float (k = 1) or an array (k,), None for zeros: the
    registry's generic functions (``G.cos(d)``) and Python's arithmetic run the forward rule on it
    (the operations ``transform.secondorder.Box`` makes), so a partial rule evaluated on
    ``FloatDual`` arguments gives the partial and its derivative along the arguments' tangents."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: float, tangent: object):
        self.primal = primal
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"FloatDual({self.primal!r}, {self.tangent!r})"

    def apply_primitive(self, prim: Primitive, args: Sequence[object]) -> object:
        primals = [a.primal if type(a) is FloatDual else a for a in args]  # type: ignore[union-attr]
        total = None
        partials = prim.partials
        for i, a in enumerate(args):
            if type(a) is FloatDual:
                t = a.tangent  # type: ignore[union-attr]
                if type(t) is float:
                    term = times0(partials[i](*primals), t)
                elif t is None or (term := scale(partials[i](*primals), t)) is None:
                    continue
                total = term if total is None else total + term
        return FloatDual(prim.value(*primals), total)  # numbers: the value rule G.<name> would call

    def __neg__(self) -> object:
        return G.neg(self)


def _arithmetic(prim: str, reflected: bool) -> Callable[[FloatDual, object], object]:
    if reflected:
        return lambda self, other: getattr(G, prim)(other, self)
    return lambda self, other: getattr(G, prim)(self, other)


for _op, _prim in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"), ("pow", "pow")):
    setattr(FloatDual, f"__{_op}__", _arithmetic(_prim, False))
    setattr(FloatDual, f"__r{_op}__", _arithmetic(_prim, True))


def tangent1(d: object) -> float:
    """The tangent of a partial evaluated on ``FloatDual`` boxes, k = 1 (a constant's: 0)."""
    return d.tangent if type(d) is FloatDual else 0.0  # type: ignore[union-attr, return-value]


def tangents(d: object) -> object:
    """The tangents of a partial evaluated on ``FloatDual`` boxes, k > 1 (a constant's: None)."""
    return d.tangent if type(d) is FloatDual else None  # type: ignore[union-attr]


__all__ = ["FloatDual", "plus", "scale", "tangent1", "tangents", "times0"]
