"""Forward mode: every value carries tangents (a JVP per seed direction, all in one sweep).

The math: a dual number ``(v, v̇)`` with ``v̇ = (v̇⁽¹⁾, …, v̇⁽ᵏ⁾)`` one tangent per seed direction.
For ``w = f(u₁, …, uₙ)``:  ``w = f(u)``,  ``ẇ = Σᵢ ∂ᵢf(u) · u̇ᵢ`` with ``∂ᵢf`` from the primitive
table.  A product with an exact zero factor contributes nothing (so ``0 · inf`` never turns a
structurally-zero tangent into nan); reverse mode applies the same rule, so both agree.
Seeding input ``j`` with the unit vector ``eⱼ`` gives column ``j`` of the Jacobian.

Arrays: an input-dependent array is an ``ArrayDual`` whose tangent holds all ``k`` directions
as one array of shape ``(k, *shape)``; elementwise primitives use the same partials broadcast
(``ẏ = Σ ∂ᵢ·ẋᵢ``), array primitives their ``jvp`` rule (``adcalc.rules.arrays``).

``Dual`` also implements ``apply_primitive``, so the generic functions of the table
(``G.sin``) and Python arithmetic work on duals: rules can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.language.ir import Eqn
from adcalc.rules.indexing import element_key
from adcalc.rules.registry import G, Primitive, np, primal
from adcalc.rules.shapes import lift, mul0, scalar_result
from adcalc.transform.mode import EvalMode, Mode


class Dual:
    """A value with tangents: ``tangent`` is a tuple, one entry per seed direction."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: object, tangent: tuple | None):
        self.primal = primal
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r})"

    # Generic dispatch from the primitive table (G.sin(dual), nested rules)
    def apply_primitive(self, prim: Primitive, args: Sequence[object]) -> Dual:
        return jvp_rule(prim, args)

    def __neg__(self) -> object:
        return G.neg(self)


def _arithmetic(prim: str, reflected: bool) -> Callable[[Dual, object], object]:
    """Python's arithmetic on duals is the registry's generic function (``a + b`` is ``G.add``)."""
    if reflected:
        return lambda self, other: getattr(G, prim)(other, self)
    return lambda self, other: getattr(G, prim)(self, other)


for _op, _prim in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div")):
    setattr(Dual, f"__{_op}__", _arithmetic(_prim, False))
    setattr(Dual, f"__r{_op}__", _arithmetic(_prim, True))


class ArrayDual:
    """An input-dependent array: its value and its batched tangent (shape ``(k, *shape)``)."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: object, tangent: object):
        self.primal = primal
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"ArrayDual({self.primal!r}, {self.tangent!r})"


def batched_tangent(v: object) -> object | None:
    """The tangent of a mode value as an array (k, *shape), or None for a constant."""
    if type(v) is ArrayDual:
        return v.tangent
    if type(v) is Dual and v.tangent is not None:
        return np.array(v.tangent, dtype=float)
    return None


def _axpy(d: object, t: tuple, acc: tuple | None) -> tuple | None:
    """acc + d·t, componentwise, where a zero factor contributes nothing."""
    if type(d) is float and d == 0.0:
        return acc
    scaled = tuple([d * ti if (type(ti) is not float or ti != 0.0) else 0.0 for ti in t])
    if acc is None:
        return scaled
    return tuple([a + s for a, s in zip(acc, scaled)])


def jvp_rule(prim: Primitive, args: Sequence[object]) -> Dual:
    """The forward rule for any nesting of boxes: primal through the generic function,
    tangent = Σ ∂ᵢ · u̇ᵢ with ∂ᵢ evaluated (generically) at the primals."""
    primals = [a.primal if type(a) is Dual else a for a in args]
    out = getattr(G, prim.name)(*primals)
    tangent: tuple | None = None
    width = 0
    for i, a in enumerate(args):
        if type(a) is Dual and a.tangent is not None:
            width = len(a.tangent)
            tangent = _axpy(prim.partials[i](*primals), a.tangent, tangent)
    if tangent is None and width:
        tangent = (0.0,) * width
    return Dual(out, tangent)


class ForwardMode(Mode):
    """Forward-mode interpreter of primitives with ``k`` tangent directions.  ``apply1``/``apply2``
    are the step of ``Mode.apply`` specialised for numbers (checked against it by
    tests/test_modes.py); arrays, array primitives and more arguments take ``apply``."""

    name = "forward"

    def __init__(self, seeds: Sequence[object], strict: bool = False):
        """``seeds[i]`` is input ``i``'s tangent vector (one entry per direction); for an array
        input, an array of shape ``(k, *shape)``."""
        super().__init__(strict)
        self.seeds = [seed if hasattr(seed, "shape") else tuple(float(s) for s in seed)  # type: ignore[union-attr]
                      for seed in seeds]
        self.width = len(self.seeds[0]) if self.seeds else 0
        self.zero = (0.0,) * self.width

    @property
    def tangent_width(self) -> int:  # type: ignore[override]
        return self.width

    def input(self, index: int, name: str, value: object) -> object:
        if type(value) is not float:
            return ArrayDual(value, self.seeds[index])
        return Dual(value, self.seeds[index])

    def primal(self, v: object) -> object:
        return v.primal if type(v) is Dual or type(v) is ArrayDual else v  # type: ignore[union-attr]

    def active(self, v: object) -> bool:
        return type(v) is Dual or type(v) is ArrayDual

    def _scale(self, d: float, t: tuple) -> tuple:
        if d == 0.0:
            return self.zero
        return tuple([d * ti if ti != 0.0 else 0.0 for ti in t])

    # ---- the step, specialised for numbers ----------------------------------------------------
    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        if type(x) is not Dual:
            return EvalMode.apply1(self, prim, x, site)  # no tangent: a plain value (or the general step)
        p = x.primal
        r = prim.value(p)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (p,), site.span, r)
        if prim.kink is not None and prim.kink(p):
            self.note_kink(prim, (p,), site)
        d = prim.partials[0](p)
        if d - d != 0.0:
            self.notes.partial(prim, 0, (p,), site.span, d)
        return Dual(r, self._scale(d, x.tangent))

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        dx = type(x) is Dual
        dy = type(y) is Dual
        if not (dx or dy):
            return EvalMode.apply2(self, prim, x, y, site)  # no tangent: a plain value (or the general step)
        if not ((dx or type(x) is float) and (dy or type(y) is float)):
            return self.apply(prim, (x, y), site)
        px = x.primal if dx else x
        py = y.primal if dy else y
        r = prim.value(px, py)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (px, py), site.span, r)
        if prim.kink is not None and prim.kink(px, py):
            self.note_kink(prim, (px, py), site)
        if dx:
            d = prim.partials[0](px, py)
            if d - d != 0.0:
                self.notes.partial(prim, 0, (px, py), site.span, d)
            t = self._scale(d, x.tangent)
            if dy:
                d = prim.partials[1](px, py)
                if d - d != 0.0:
                    self.notes.partial(prim, 1, (px, py), site.span, d)
                u = self._scale(d, y.tangent)
                t = tuple([a + b for a, b in zip(t, u)])
        else:
            d = prim.partials[1](px, py)
            if d - d != 0.0:
                self.notes.partial(prim, 1, (px, py), site.span, d)
            t = self._scale(d, y.tangent)
        return Dual(r, t)

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        """``x[i]`` of an input-dependent array on the scalar path: a ``Dual`` of the element and
        its tangents (ẏ = ẋ[i], the rule's jvp); anything else the general step."""
        if type(x) is not ArrayDual:
            return EvalMode.element(self, prim, x, subscripts, site)
        key = element_key(x.primal, subscripts)
        if key is not None:
            r = x.primal.item(key)  # type: ignore[attr-defined]
            if r - r == 0.0:
                return Dual(r, tuple(x.tangent[(slice(None), *key)].tolist()))  # type: ignore[index]
        return self.applyn(prim, [x, *subscripts], site)

    # ---- the mode's part of the general step --------------------------------------------------
    def combine(self, prim: Primitive, args: Sequence[object], primals: Sequence[object], active: Sequence[bool],
                out: object, partials: Sequence[object] | None, site: Eqn) -> object:
        """ẏ = Σᵢ ∂ᵢ·ẋᵢ: tuples for numbers, batched arrays ``(k, *shape)`` when arrays are involved
        (the partials broadcast over the result); an array primitive's ``jvp`` rule."""
        if partials is None:  # an array primitive
            tangents = [batched_tangent(a) if i in prim.differentiable else None for i, a in enumerate(args)]
            with np.errstate(all="ignore"):
                t = prim.jvp(primals, tangents, site.params, out)
            return self._box(scalar_result(out), t)
        if type(out) is float and all(type(a) is not ArrayDual for a in args):
            tangent: tuple | None = None
            for d, a in zip(partials, args):
                if d is not None:
                    scaled = self._scale(d, a.tangent)  # type: ignore[union-attr]
                    tangent = scaled if tangent is None else tuple([u + v for u, v in zip(tangent, scaled)])
            return Dual(out, tangent)
        ndim = np.ndim(out)
        total = None
        with np.errstate(all="ignore"):
            for d, a in zip(partials, args):
                if d is not None:
                    term = mul0(d, lift(batched_tangent(a), ndim))
                    total = term if total is None else total + term
        return self._box(out, total)

    def _box(self, value: object, tangent: object | None) -> object:
        """A result with its batched tangent: a Dual for a number, an ArrayDual for an array."""
        if tangent is None:
            return value
        if type(value) is float:
            return Dual(value, tuple(np.asarray(tangent, dtype=float).reshape(-1).tolist()))
        return ArrayDual(value, np.broadcast_to(tangent, (self.width,) + value.shape))  # type: ignore[union-attr]


__all__ = ["ArrayDual", "batched_tangent", "Dual", "ForwardMode", "jvp_rule", "primal"]
