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

from adcalc.language.ir import Cmp, Eqn
from adcalc.rules.registry import G, Primitive, np, primal
from adcalc.rules.shapes import lift, mul0, scalar_result
from adcalc.transform.modes import Mode
from adcalc.transform.trace import Trace, TraceRow


class Dual:
    """A value with tangents.  ``tangent`` is a tuple (one entry per seed), or None when the
    value is known not to depend on any input (traced runs only); ``node`` numbers it in a trace."""

    __slots__ = ("primal", "tangent", "node")

    def __init__(self, primal: object, tangent: tuple | None, node: int = 0):
        self.primal = primal
        self.tangent = tangent
        self.node = node

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r})"

    # Generic dispatch from the primitive table (G.sin(dual), nested rules)
    def apply_primitive(self, prim: Primitive, args: Sequence[object]) -> Dual:
        return jvp_rule(prim, args)

    def __add__(self, o: object) -> object:
        return G.add(self, o)

    def __radd__(self, o: object) -> object:
        return G.add(o, self)

    def __sub__(self, o: object) -> object:
        return G.sub(self, o)

    def __rsub__(self, o: object) -> object:
        return G.sub(o, self)

    def __mul__(self, o: object) -> object:
        return G.mul(self, o)

    def __rmul__(self, o: object) -> object:
        return G.mul(o, self)

    def __truediv__(self, o: object) -> object:
        return G.div(self, o)

    def __rtruediv__(self, o: object) -> object:
        return G.div(o, self)

    def __neg__(self) -> object:
        return G.neg(self)


class ArrayDual:
    """An input-dependent array: its value and its batched tangent (shape ``(k, *shape)``)."""

    __slots__ = ("primal", "tangent", "node")

    def __init__(self, primal: object, tangent: object, node: int = 0):
        self.primal = primal
        self.tangent = tangent
        self.node = node

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
    """Forward-mode interpreter of primitives on floats with ``k`` tangent directions."""

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

    def input(self, index: int, name: str, value: float) -> Dual:
        if type(value) is not float:
            return ArrayDual(value, self.seeds[index])  # type: ignore[return-value]
        return Dual(value, self.seeds[index])

    def _scale(self, d: float, t: tuple) -> tuple:
        if d == 0.0:
            return self.zero
        return tuple([d * ti if ti != 0.0 else 0.0 for ti in t])

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        if type(x) is not Dual:
            if type(x) is not float:
                return self.elementwise(prim, (x,), site)
            r = prim.value(x)
            if r - r != 0.0:
                self.note_nonfinite(prim, (x,), site, r)
            return r
        p = x.primal
        r = prim.value(p)
        if r - r != 0.0:
            self.note_nonfinite(prim, (p,), site, r)
        if prim.kink is not None and prim.kink(p):
            self.note_kink(prim, (p,), site)
        d = prim.partials[0](p)
        if d - d != 0.0:
            self.note_partial(prim, 0, (p,), site, d)
        return Dual(r, self._scale(d, x.tangent))

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        dx = type(x) is Dual
        dy = type(y) is Dual
        if not ((dx or type(x) is float) and (dy or type(y) is float)):
            return self.elementwise(prim, (x, y), site)
        if not (dx or dy):
            r = prim.value(x, y)
            if r - r != 0.0:
                self.note_nonfinite(prim, (x, y), site, r)
            return r
        px = x.primal if dx else x
        py = y.primal if dy else y
        r = prim.value(px, py)
        if r - r != 0.0:
            self.note_nonfinite(prim, (px, py), site, r)
        if prim.kink is not None and prim.kink(px, py):
            self.note_kink(prim, (px, py), site)
        if dx:
            d = prim.partials[0](px, py)
            if d - d != 0.0:
                self.note_partial(prim, 0, (px, py), site, d)
            t = self._scale(d, x.tangent)
            if dy:
                d = prim.partials[1](px, py)
                if d - d != 0.0:
                    self.note_partial(prim, 1, (px, py), site, d)
                u = self._scale(d, y.tangent)
                t = tuple([a + b for a, b in zip(t, u)])
        else:
            d = prim.partials[1](px, py)
            if d - d != 0.0:
                self.note_partial(prim, 1, (px, py), site, d)
            t = self._scale(d, y.tangent)
        return Dual(r, t)

    # ---- arrays ---------------------------------------------------------------------------------
    def _primal_of(self, v: object) -> object:
        return v.primal if type(v) is Dual or type(v) is ArrayDual else v  # type: ignore[union-attr]

    def _box(self, value: object, tangent: object | None) -> object:
        """A result with its batched tangent: a Dual for a number, an ArrayDual for an array."""
        if tangent is None:
            return value
        if type(value) is float:
            return Dual(value, tuple(np.asarray(tangent, dtype=float).reshape(-1).tolist()))
        return ArrayDual(value, np.broadcast_to(tangent, (self.width,) + value.shape))  # type: ignore[union-attr]

    def elementwise(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        """ẏ = Σᵢ ∂ᵢ·ẋᵢ with the partials broadcast over the result (arrays involved)."""
        primals = [self._primal_of(a) for a in args]
        out = self.array_value(prim, primals, site)
        tangents = [batched_tangent(a) for a in args]
        partials = self.array_partials(prim, primals, [t is not None for t in tangents], site)
        ndim = np.ndim(out)
        total = None
        with np.errstate(all="ignore"):
            for d, t in zip(partials, tangents):
                if t is not None:
                    term = mul0(d, lift(t, ndim))
                    total = term if total is None else total + term
        return self._box(out, total)

    def applyn(self, prim: object, args: Sequence[object], site: Eqn) -> object:
        primals, out, tangents = self.array_call(prim, args, site, batched_tangent)
        if tangents is None:
            return out
        with np.errstate(all="ignore"):
            t = prim.jvp(primals, tangents, site.params, out)  # type: ignore[attr-defined]
        return self._box(scalar_result(out), t)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        active = type(a) is Dual or type(b) is Dual
        pa = a.primal if type(a) is Dual else a
        pb = b.primal if type(b) is Dual else b
        if type(pa) is not float or type(pb) is not float:
            self.scalar_condition(site, a, b)
        taken = fn(pa, pb)
        if active and pa == pb:
            self.note_tie(site, pa, pb, taken)
        return taken

    def primal(self, v: object) -> float:
        return v.primal if type(v) is Dual or type(v) is ArrayDual else v  # type: ignore[union-attr,return-value]


class TracedForwardMode(ForwardMode):
    """Forward mode that also records the trace: every value is a numbered ``Dual``
    (tangent None when it does not depend on an input).  Same numbers as ``ForwardMode``."""

    def __init__(self, seeds: Sequence[Sequence[float]], trace: Trace, strict: bool = False):
        super().__init__(seeds, strict)
        self.trace = trace

    def _new(self, value: object, tangent: object | None, op: str, definition: str, site: object,
             var: str | None, args: Sequence[str] = ()) -> object:
        node = len(self.trace.rows) + 1
        is_array = type(value) is not float
        shown = tangent if tangent is not None else (np.zeros((self.width,) + value.shape) if is_array  # type: ignore
                                                     else self.zero)
        self.trace.rows.append(TraceRow(node, op, definition, value, getattr(site, "span", None), var,  # type: ignore
                                        self.where(site) if site is not None else "",
                                        tuple(shown), None, tangent is not None, tuple(args)))
        if is_array:
            return ArrayDual(value, tangent, node)
        return Dual(value, tangent, node)  # type: ignore[arg-type]

    def input(self, index: int, name: str, value: float) -> Dual:
        return self._new(value, self.seeds[index], "input", name, None, name)  # type: ignore[return-value]

    def _unwrap(self, v: object) -> object:
        return v.primal if (type(v) is Dual or type(v) is ArrayDual) and v.tangent is None else v

    def _record(self, prim: object, args: Sequence[object], result: object, site: Eqn) -> Dual:
        shown = [self.show_arg(site.args[i], self.primal(a),
                               f"v{a.node}" if type(a) is Dual or type(a) is ArrayDual else None)
                 for i, a in enumerate(args)]
        if type(result) is Dual or type(result) is ArrayDual:
            value, tangent = result.primal, result.tangent
        else:
            value, tangent = result, None
        var = site.out if site.user_var else None
        from adcalc.rules.registry import describe

        return self._new(value, tangent, prim.name, describe(prim.name, shown, site.params, pretty=True),  # type: ignore
                         site, var, shown)

    def applyn(self, prim: object, args: Sequence[object], site: Eqn) -> object:
        return self._record(prim, args, super().applyn(prim, [self._unwrap(a) for a in args], site), site)

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self._record(prim, (x,), super().apply1(prim, self._unwrap(x), site), site)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self._record(prim, (x, y), super().apply2(prim, self._unwrap(x), self._unwrap(y), site), site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        return super().compare(fn, self._unwrap(a), self._unwrap(b), site)


__all__ = ["ArrayDual", "batched_tangent", "Dual", "ForwardMode", "TracedForwardMode", "jvp_rule", "primal"]
