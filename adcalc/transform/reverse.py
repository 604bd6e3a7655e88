"""Reverse mode: record the executed primitives on a tape, then sweep adjoints backwards.

The math: the tape is the Wengert list ``v₁ … v_N`` (inputs first).  Recording ``vₖ = f(vₐ, v_b)``
stores the value and, for each input-dependent argument, its node and the local partial
``∂vₖ/∂vₐ`` (from the registry).  The backward sweep seeds ``v̄_out = ȳ`` and walks the nodes in
reverse order doing ``v̄ₐ += v̄ₖ · ∂vₖ/∂vₐ`` for each argument — a value used twice gets both
contributions.  A product with an exact zero factor contributes nothing (as in forward mode).
Each sweep starts from fresh adjoints, so sweeping twice never doubles anything.

The tape and the sweep are ``adcalc.transform.tape``: 40 bytes per recorded scalar operation;
rule nodes for arrays, array primitives and more than two arguments; element nodes for reads of
one element of an array (``x[i]``: a scalar node, its cotangent added into the array's adjoint
without an array per read).  Mode values are tape indices (``int``) for input-dependent numbers,
``ANode``s for input-dependent arrays, and plain floats and arrays for everything else (never
taped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.language.ir import Eqn
from adcalc.rules.indexing import element_key, flat_position
from adcalc.rules.registry import G, Primitive, np, primal
from adcalc.rules.shapes import mul0, scalar_result, unbroadcast
from adcalc.transform.forward import Dual
from adcalc.transform.mode import EvalMode, Mode
from adcalc.transform.tape import ELEM, RULE, ANode, Tape, Update, sweep


class ReverseMode(Mode):
    """Records the executed program on a ``Tape``.  ``apply1``/``apply2`` are the step of
    ``Mode.apply`` specialised for numbers (checked against it by tests/test_modes.py)."""

    name = "reverse"

    def __init__(self, strict: bool = False, boxed: bool = False):
        super().__init__(strict)
        self.tape = tape = Tape(boxed)
        self._values = tape.values
        self._push = (tape.values.append, tape.arg0.append, tape.arg1.append, tape.partial0.append,
                      tape.partial1.append)

    def kept(self) -> tuple[int, int]:
        return 40 * len(self._values), 0  # the scalar tape: 40 bytes per recorded operation

    def input(self, index: int, name: str, value: object) -> object:
        if type(value) is not float and hasattr(value, "shape"):
            self.budget.hold_arrays((value,), None, f"the array input {name}")
            return self._rule_node(value, (), None)
        return self._leaf(value)

    def _leaf(self, value: object) -> int:
        push_value, push_a0, push_a1, push_p0, push_p1 = self._push
        push_value(value)
        push_a0(-1)
        push_a1(-1)
        push_p0(0.0)
        push_p1(0.0)
        return len(self._values) - 1

    def primal(self, v: object) -> object:
        if type(v) is int:
            return self._values[v]
        return v.value if type(v) is ANode else v  # type: ignore[union-attr]

    def active(self, v: object) -> bool:
        return type(v) is int or type(v) is ANode

    @staticmethod
    def node(v: object) -> int | None:
        """The tape index of an input-dependent value (None for a constant)."""
        if type(v) is int:
            return v
        return v.index if type(v) is ANode else None  # type: ignore[union-attr]

    # ---- the step, specialised for numbers ----------------------------------------------------
    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        if type(x) is not int:
            return EvalMode.apply1(self, prim, x, site)  # not on the tape: a plain value (or the general step)
        vals = self._values
        p = vals[x]
        r = prim.value(p)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (p,), site.span, r)
        if prim.kink is not None and prim.kink(p):
            self.note_kink(prim, (p,), site)
        d = prim.partials[0](p)
        if d - d != 0.0:
            self.notes.partial(prim, 0, (p,), site.span, d)
        k = len(vals)
        push_value, push_a0, push_a1, push_p0, push_p1 = self._push
        push_value(r)
        push_a0(x)
        push_a1(-1)
        push_p0(d)
        push_p1(0.0)
        return k

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        ax = type(x) is int
        ay = type(y) is int
        if not (ax or ay):
            return EvalMode.apply2(self, prim, x, y, site)  # not on the tape: a plain value (or the general step)
        if not ((ax or type(x) is float) and (ay or type(y) is float)):
            return self.apply(prim, (x, y), site)
        vals = self._values
        px = vals[x] if ax else x
        py = vals[y] if ay else y
        r = prim.value(px, py)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (px, py), site.span, r)
        if prim.kink is not None and prim.kink(px, py):
            self.note_kink(prim, (px, py), site)
        if ax:
            dx = prim.partials[0](px, py)
            if dx - dx != 0.0:
                self.notes.partial(prim, 0, (px, py), site.span, dx)
        else:
            x, dx = -1, 0.0
        if ay:
            dy = prim.partials[1](px, py)
            if dy - dy != 0.0:
                self.notes.partial(prim, 1, (px, py), site.span, dy)
        else:
            y, dy = -1, 0.0
        k = len(vals)
        push_value, push_a0, push_a1, push_p0, push_p1 = self._push
        push_value(r)
        push_a0(x)
        push_a1(y)
        push_p0(dx)
        push_p1(dy)
        return k

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        """``x[i]`` of an input-dependent array on the scalar path: an element node (the element's
        value; the sweep adds its adjoint into the array's); anything else the general step."""
        if type(x) is not ANode:
            return EvalMode.element(self, prim, x, subscripts, site)
        value = x.value
        key = element_key(value, subscripts)
        if key is not None:
            r = value.item(key)  # type: ignore[attr-defined]
            if r - r == 0.0:
                parent = x.index
                shape = value.shape  # type: ignore[attr-defined]
                shapes = self.tape.shapes
                if parent not in shapes:
                    shapes[parent] = shape
                push_value, push_a0, push_a1, push_p0, push_p1 = self._push
                k = len(self._values)
                push_value(r)
                push_a0(ELEM - parent)
                push_a1(key[0] if len(key) == 1 else flat_position(shape, key))
                push_p0(0.0)
                push_p1(0.0)
                return k
        return self.applyn(prim, [x, *subscripts], site)

    # ---- the mode's part of the general step --------------------------------------------------
    def combine(self, prim: Primitive, args: Sequence[object], primals: Sequence[object], active: Sequence[bool],
                out: object, partials: Sequence[object] | None, site: Eqn) -> object:
        """A tape node: two numeric slots for a number from at most two numbers; otherwise a rule
        node whose pull is x̄ᵢ += unbroadcast(ȳ·∂ᵢ) (elementwise) or the primitive's ``vjp``."""
        parents = tuple((n, type(a) is ANode) if (n := self.node(a)) is not None else (-1, False) for a in args)
        if partials is None:  # an array primitive: its vjp reads the primals
            self.budget.hold_arrays((out,), site.span, f"the tape, keeping {prim.name} of shape {np.shape(out)}")
            vjp, params = prim.vjp, site.params
            allowed = prim.differentiable
            parents = tuple(p if i in allowed else (-1, False) for i, p in enumerate(parents))
            return self._rule_node(scalar_result(out), parents, lambda g: vjp(primals, params, out, g))
        scalars = all(not hasattr(p, "shape") for p in primals)  # numbers, or duals over numbers (boxed)
        if scalars and len(args) <= 2:
            d0, d1 = partials[0], partials[1] if len(partials) > 1 else None
            push_value, push_a0, push_a1, push_p0, push_p1 = self._push
            k = len(self._values)
            push_value(out)
            push_a0(args[0] if d0 is not None else -1)  # type: ignore[arg-type]
            push_a1(args[1] if d1 is not None else -1)  # type: ignore[arg-type]
            push_p0(d0 if d0 is not None else 0.0)
            push_p1(d1 if d1 is not None else 0.0)
            return k
        if scalars:  # more than two numbers (max(a, b, c)): x̄ᵢ += ȳ·∂ᵢ, without NumPy

            def scalar_pull(g: object) -> list[object]:
                return [None if d is None else (0.0 if type(d) is float and d == 0.0 else g * d) for d in partials]

            return self._rule_node(out, parents, scalar_pull)
        self.budget.hold_arrays((out, *partials), site.span,
                                f"the tape, keeping {prim.name} of shape {np.shape(out)} and its partials")
        shapes = [np.shape(x) for x in primals]

        def pull(g: object) -> list[object]:
            return [None if d is None else unbroadcast(mul0(g, d), s) for d, s in zip(partials, shapes)]

        return self._rule_node(out, parents, pull)

    def _rule_node(self, value: object, parents: tuple, pull: object) -> object:
        """Append a rule node; returns its mode value (an ``ANode``, or the index for a number)."""
        push_value, push_a0, push_a1, push_p0, push_p1 = self._push
        k = len(self._values)
        is_array = type(value) is not float and hasattr(value, "shape")
        push_value(float("nan") if is_array else value)
        push_a0(RULE)
        push_a1(-1)
        push_p0(0.0)
        push_p1(0.0)
        self.tape.rules[k] = (parents, pull, is_array)
        return ANode(k, value) if is_array else k

    def gradient(self, outputs: Sequence[object], cotangent: Sequence[object],
                 on_update: Update | None = None) -> list[object]:
        """Adjoints of all nodes for the covector ``cotangent`` on the outputs (one sweep); an
        array output's weight is an array of its shape."""
        seeds: dict[int, object] = {}
        for out, w in zip(outputs, cotangent):
            if type(out) is ANode:
                seeds[out.index] = seeds[out.index] + w if out.index in seeds else w
            elif type(out) is int and not (type(w) is float and w == 0.0):
                seeds[out] = seeds[out] + w if out in seeds else w  # type: ignore[operator]
        return sweep(self.tape, seeds, on_update)


def _times0(a: float, b: float) -> float:
    return 0.0 if a == 0.0 or b == 0.0 else a * b


class DualPartial(Dual):
    """A local partial in forward-over-reverse.  The backward sweep multiplies it by a cotangent
    with the sweep's rule — an exact zero factor contributes nothing (0·inf = 0) — applied to the
    value and to each tangent term of the product rule ((ḡ·p)' = ḡ'·p + ḡ·p'), so the gradient
    of a Hessian run equals reverse mode's; and it equals 0.0 only when it is exactly zero (value
    and every tangent), which is when the sweep may skip it."""

    __slots__ = ()

    def __ne__(self, other: object) -> bool:
        if type(other) is not float:
            return NotImplemented
        return self.primal != other or any(t != 0.0 for t in self.tangent or ())  # type: ignore[union-attr]

    def __eq__(self, other: object) -> bool:
        if type(other) is not float:
            return NotImplemented
        return not self.__ne__(other)

    __hash__ = None  # type: ignore[assignment]

    def __rmul__(self, g: object) -> Dual:  # ḡ · p in the sweep
        gp, gt = (g.primal, g.tangent) if type(g) is Dual else (g, None)  # type: ignore[union-attr]
        p, pt = self.primal, self.tangent or ()
        tangent = tuple(_times0(gp, d) + (0.0 if gt is None else _times0(gt[i], p))  # type: ignore[arg-type]
                        for i, d in enumerate(pt))
        return Dual(_times0(gp, p), tangent)  # type: ignore[arg-type]

    __mul__ = __rmul__


class BoxedReverseMode(ReverseMode):
    """Reverse mode over boxed inputs (duals): values run through the registry's generic functions
    and the partial rules run on duals, so the backward sweep differentiates the derivative —
    forward-over-reverse, for Hessians and Hessian-vector products.  The general step of
    ``Mode.apply`` with two changes: values and partials are computed on the boxes, notes on the
    floats underneath."""

    name = "forward-over-reverse"
    purpose = "hessian and hvp (forward-over-reverse)"

    def __init__(self, strict: bool = False):
        super().__init__(strict, boxed=True)

    def input(self, index: int, name: str, value: object) -> object:
        return self._leaf(value)

    apply1 = Mode.apply1
    apply2 = Mode.apply2
    element = Mode.element  # arrays are not supported over duals: the general step says so

    def value(self, prim: Primitive, primals: Sequence[object], site: Eqn) -> object:
        r = getattr(G, prim.name)(*primals)
        pr = primal(r)
        if pr - pr != 0.0:
            self.notes.nonfinite(prim, [primal(x) for x in primals], site.span, pr)
        return r

    def partials(self, prim: Primitive, primals: Sequence[object], active: Sequence[bool],
                 site: Eqn) -> list[object]:
        """The partials as duals (their tangents are the second derivatives), kink and
        non-finite-partial notes read from the floats underneath."""
        floats = [primal(x) for x in primals]
        if prim.kink is not None and prim.kink(*floats):
            self.note_kink(prim, floats, site)
        out: list[object] = []
        for i, act in enumerate(active):
            d = prim.partials[i](*primals) if act else None
            if d is not None:
                under = primal(d)
                if under - under != 0.0:
                    self.notes.partial(prim, i, floats, site.span, under)
                if type(d) is Dual:
                    d = DualPartial(d.primal, d.tangent)  # type: ignore[union-attr]
            out.append(d)
        return out

    def concrete(self, v: object) -> object:
        return primal(self.primal(v))

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: object) -> bool:
        pa, pb = self.concrete(a), self.concrete(b)
        taken = fn(pa, pb)
        if pa == pb and (self.active(a) or self.active(b)):
            self.notes.tie(site, pa, pb, taken)
        return taken

    def applyn(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        if not prim.elementwise:
            raise self.unsupported(site)
        return self.apply(prim, args, site)


__all__ = ["ANode", "BoxedReverseMode", "DualPartial", "ELEM", "RULE", "ReverseMode", "Tape", "Update", "sweep"]
