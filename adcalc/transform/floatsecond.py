"""Forward-over-reverse over arrays whose steps on numbers carry floats: fast H·v and Hessians
of programs that read ``x[i]`` of an array in a loop.

The math is ``transform.secondorder``'s: every input-dependent value carries its tangents along
the k directions, and the backward sweep runs on pairs (x̄, x̄̇) — an input's pair is (∂f/∂x,
H·ẋ⁽ʲ⁾ for every j).  What differs is how a step on numbers is made and swept.  A number
y = p(u, w) from at most two numbers:

- its value and local partials ∂ᵢ are computed on floats, with the notes (non-finite value, kink,
  non-finite partial), exactly as reverse mode's float path (``tests/test_floatsecond.py``
  checks them against the general step);
- its tangent ẏ = Σᵢ ∂ᵢ·u̇ᵢ is a float when k = 1 (``hvp``), an array of shape (k,) otherwise;
- the partials' own tangents ∂̇ᵢ = Σⱼ ∂ⱼ∂ᵢp·u̇ⱼ come from the registry's partial rule evaluated
  once more, on ``FloatDual`` boxes (a float and its tangents; the rule is not copied) — the
  operations ``transform.secondorder.Box`` makes on its (k,) arrays, on floats when k = 1.
  Arguments whose tangents are exactly zero skip it (the zero rule makes it 0);
- its tape entry is six slots (a₀, a₁, ∂₀, ∂₁, ∂̇₀, ∂̇₁), no closure, which the sweep reads as
  ūᵢ += ȳ·∂ᵢ and ūᵢ̇ += ȳ̇·∂ᵢ + ȳ·∂̇ᵢ, a product with an exact zero factor contributing nothing.

A read ``x[i]`` of an input-dependent array is a scalar node (its tangent the element's, read
from the array's tangents, flattened once per array) whose cotangent pair is added into one dense
list per array (k = 1: two lists of floats, O(1) a read), settled into the array's adjoint when
the sweep reaches the array or a whole-array cotangent of it arrives — the additions
``SecondOrderMode`` makes, in its order.  Every other step (arrays, array primitives, more than
two arguments) is ``SecondOrderMode``'s rule node, numbers among its arguments seen with (k,)
tangents; a number it makes gets a float tangent again (k = 1).
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.language.ir import Eqn
from adcalc.rules.indexing import element_key, flat_position
from adcalc.rules.registry import Primitive, np
from adcalc.transform.floatdual import FloatDual, plus, scale, tangent1, tangents, times0
from adcalc.transform.mode import EvalMode
from adcalc.transform.secondorder import HNode, Pair, SecondOrderMode

NODE_BYTES = 200  # a node on numbers: its tape entry and floats (~150 bytes measured by tracemalloc, k = 1)


class FloatSecondOrderMode(SecondOrderMode):
    """Forward-over-reverse with float steps on numbers (module docstring)."""

    def __init__(self, seeds: Sequence[object], strict: bool = False):
        super().__init__(seeds, strict)
        self.one = self.width == 1
        self.flat: dict[int, object] = {}  # array node → its tangents per element (k = 1: a list)
        self.arrays: set[int] = set()  # nodes whose value is an array
        self.inputs: list[int] = []
        self.wide_bytes = 3 * (112 + 8 * self.width)  # k > 1: a step's tangent and partials' tangents

    def kept(self) -> tuple[int, int]:
        return NODE_BYTES * len(self.tape), 0

    def _hold(self, prim: Primitive, site: Eqn) -> None:
        """k > 1: a step on numbers keeps (k,) arrays for the sweep, held against the budget."""
        self.budget.hold(self.wide_bytes, site.span, f"{prim.name} with {self.width:,} tangent directions "
                         "(one per input entry)")

    def input(self, index: int, name: str, value: object) -> object:
        node = super().input(index, name, value)
        self.inputs.append(node.index)  # type: ignore[union-attr]
        if type(value) is float:
            if self.one:
                node.tangent = float(node.tangent[0])  # type: ignore[union-attr, index]
        else:
            self.arrays.add(node.index)  # type: ignore[union-attr]
        return node

    # ---- the step on numbers ------------------------------------------------------------------
    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        if type(x) is not HNode:
            return EvalMode.apply1(self, prim, x, site)  # a constant: a plain value (or the general step)
        p = x.value  # type: ignore[union-attr]
        if type(p) is not float:
            return self.apply(prim, (x,), site)
        r = prim.value(p)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (p,), site.span, r)
        if prim.kink is not None and prim.kink(p):
            self.note_kink(prim, (p,), site)
        rule = prim.partials[0]
        d = rule(p)
        if d - d != 0.0:
            self.notes.partial(prim, 0, (p,), site.span, d)
        t = x.tangent  # type: ignore[union-attr]
        if self.one:
            if t == 0.0:
                rt = q = 0.0
            else:
                rt = times0(d, t)
                q = tangent1(rule(FloatDual(p, t)))
        else:
            self._hold(prim, site)
            with np.errstate(all="ignore"):  # inf·t, overflow: the notes say so, never NumPy
                rt = scale(d, t)
                q = tangents(rule(FloatDual(p, t)))
            if rt is None:
                rt = np.zeros(self.width)
        tape = self.tape
        tape.append((x.index, -1, d, 0.0, q, None))  # type: ignore[union-attr]
        return HNode(len(tape) - 1, r, rt)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        ax = type(x) is HNode
        ay = type(y) is HNode
        if not (ax or ay):
            return EvalMode.apply2(self, prim, x, y, site)
        px = x.value if ax else x  # type: ignore[union-attr]
        py = y.value if ay else y  # type: ignore[union-attr]
        if type(px) is not float or type(py) is not float:
            return self.apply(prim, (x, y), site)
        r = prim.value(px, py)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (px, py), site.span, r)
        if prim.kink is not None and prim.kink(px, py):
            self.note_kink(prim, (px, py), site)
        partials = prim.partials
        rule0 = partials[0] if ax else None
        rule1 = partials[1] if ay else None
        dx = dy = 0.0
        if ax:
            dx = rule0(px, py)
            if dx - dx != 0.0:
                self.notes.partial(prim, 0, (px, py), site.span, dx)
        if ay:
            dy = rule1(px, py)
            if dy - dy != 0.0:
                self.notes.partial(prim, 1, (px, py), site.span, dy)
        tape = self.tape
        if self.one:
            tx = x.tangent if ax else 0.0  # type: ignore[union-attr]
            ty = y.tangent if ay else 0.0  # type: ignore[union-attr]
            if tx == 0.0 and ty == 0.0:
                rt = q0 = q1 = 0.0
            else:
                bx = FloatDual(px, tx) if ax else px
                by = FloatDual(py, ty) if ay else py
                if ax:
                    rt = times0(dx, tx)
                    if ay:
                        rt = rt + times0(dy, ty)
                    q0 = tangent1(rule0(bx, by))
                else:
                    rt = times0(dy, ty)
                    q0 = 0.0
                q1 = tangent1(rule1(bx, by)) if ay else 0.0
            tape.append((x.index if ax else -1, y.index if ay else -1, dx, dy, q0, q1))  # type: ignore[union-attr]
            return HNode(len(tape) - 1, r, rt)
        self._hold(prim, site)
        with np.errstate(all="ignore"):  # inf·t, overflow: the notes say so, never NumPy
            return self._wide2(prim, x, y, px, py, ax, ay, dx, dy, r)

    def _wide2(self, prim: Primitive, x: object, y: object, px: float, py: float, ax: bool, ay: bool,
               dx: float, dy: float, r: float) -> object:
        """The k > 1 step of two numbers: the same operations on (k,) tangent arrays."""
        tx = x.tangent if ax else None  # type: ignore[union-attr]
        ty = y.tangent if ay else None  # type: ignore[union-attr]
        rt = plus(scale(dx, tx) if ax else None, scale(dy, ty) if ay else None)
        bx = FloatDual(px, tx) if ax else px
        by = FloatDual(py, ty) if ay else py
        partials = prim.partials
        rule0 = partials[0] if ax else None
        rule1 = partials[1] if ay else None
        q0 = tangents(rule0(bx, by)) if ax else None
        q1 = tangents(rule1(bx, by)) if ay else None
        tape = self.tape
        tape.append((x.index if ax else -1, y.index if ay else -1, dx, dy, q0, q1))  # type: ignore[union-attr]
        return HNode(len(tape) - 1, r, np.zeros(self.width) if rt is None else rt)

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        """``x[i]`` of an input-dependent array: a scalar node (module docstring); of a constant,
        a float; anything else the general step."""
        if type(x) is not HNode:
            return EvalMode.element(self, prim, x, subscripts, site)
        value = x.value  # type: ignore[union-attr]
        key = element_key(value, subscripts)
        if key is not None:
            r = value.item(key)  # type: ignore[union-attr]
            if r - r == 0.0:
                parent = x.index  # type: ignore[union-attr]
                flat = self.flat.get(parent)
                if flat is None:
                    flat = self._flatten(x)  # type: ignore[arg-type]
                position = key[0] if len(key) == 1 else flat_position(value.shape, key)  # type: ignore[union-attr]
                tape = self.tape
                tape.append((parent, position, None))
                return HNode(len(tape) - 1, r, flat[position])  # type: ignore[index]
        return self.applyn(prim, [x, *subscripts], site)

    def _flatten(self, x: HNode) -> object:
        """The tangents of each element of the array node ``x``: a list of floats (k = 1) or the
        rows of a (size, k) array."""
        self.shapes[x.index] = x.value.shape  # type: ignore[union-attr]
        t = np.asarray(x.tangent, dtype=float).reshape(self.width, -1)
        flat = t[0].tolist() if self.one else np.ascontiguousarray(t.T)
        self.flat[x.index] = flat
        return flat

    # ---- every other step: a rule node of SecondOrderMode --------------------------------------
    def combine(self, prim: Primitive, args: Sequence[object], primals: Sequence[object], active: Sequence[bool],
                out: object, partials: Sequence[object] | None, site: Eqn) -> object:
        """``SecondOrderMode``'s rule node, numbers among the arguments with (k,) tangents."""
        if self.one:
            args = [HNode(a.index, a.value, np.array([a.tangent]))  # type: ignore[union-attr]
                    if type(a) is HNode and type(a.tangent) is float else a for a in args]  # type: ignore[union-attr]
        node = super().combine(prim, args, primals, active, out, partials, site)
        if type(node.value) is float:  # type: ignore[union-attr]
            if self.one:
                node.tangent = float(node.tangent[0])  # type: ignore[union-attr, index]
        else:
            self.arrays.add(node.index)  # type: ignore[union-attr]
        return node

    # ---- the backward sweep --------------------------------------------------------------------
    def sweep(self, seeds: dict[int, Pair]) -> list[Pair | None]:
        """The pairs (x̄, x̄̇) of the inputs and the array nodes for the output seeds
        ``{node: (ȳ, ȳ̇)}`` (one sweep); other nodes' entries are None."""
        tape, arrays, one = self.tape, self.arrays, self.one
        size = len(tape)
        adj = [0.0] * size
        adjt: list = [0.0] * size if one else [None] * size
        state = _Arrays(self.shapes, self.width)
        for node, (g, gt) in seeds.items():
            if node in arrays:
                state.add_pair(node, (g, gt))
            else:
                adj[node] += g  # type: ignore[operator]
                if gt is not None:
                    adjt[node] = adjt[node] + float(gt[0]) if one else plus(adjt[node], gt)  # type: ignore
        lists = state.lists
        with np.errstate(all="ignore"):
            for n in range(size - 1, -1, -1):
                e = tape[n]
                if len(e) == 6:
                    g = adj[n]
                    gt = adjt[n]
                    if one:
                        if g == 0.0 and gt == 0.0:
                            continue
                        a, b, d0, d1, q0, q1 = e
                        if a >= 0:
                            adj[a] += times0(g, d0)
                            adjt[a] += times0(d0, gt) + times0(g, q0)
                        if b >= 0:
                            adj[b] += times0(g, d1)
                            adjt[b] += times0(d1, gt) + times0(g, q1)
                    elif g != 0.0 or gt is not None:
                        _wide_pull(e, g, gt, adj, adjt)
                elif len(e) == 3:
                    g = adj[n]
                    gt = adjt[n]
                    if g != 0.0 or (gt != 0.0 if one else gt is not None):
                        p, position, _ = e
                        if p in lists:
                            vs, ts = lists[p]
                            vs[position] += g
                            if one:
                                ts[position] += gt
                            elif gt is not None:
                                ts[position] += gt
                        else:
                            state.add_element(p, position, g, gt)
                else:
                    self._rule(n, e, adj, adjt, state)
        out: list[Pair | None] = [None] * size
        for node in list(lists):
            state.settle(node)
        for node, pair in state.pairs.items():
            out[node] = pair
        for node in self.inputs:
            if node not in arrays:
                t = adjt[node]
                out[node] = (adj[node], np.array([t]) if one else t)
        return out

    def _rule(self, n: int, entry: tuple, adj: list, adjt: list, state: _Arrays) -> None:
        """A rule node's part of the sweep: its pull on the node's pair, each parent's pair added."""
        parents, pull = entry
        if pull is None:
            return
        if n in self.arrays:
            if n in state.lists:
                state.settle(n)
            pair = state.pairs.get(n)
            if pair is None:
                return
        else:
            g, gt = adj[n], adjt[n]
            if self.one:
                if g == 0.0 and gt == 0.0:
                    return
                pair = (g, None if gt == 0.0 else np.array([gt]))
            else:
                if g == 0.0 and gt is None:
                    return
                pair = (g, gt)
        for p, ct in zip(parents, pull(*pair)):
            if p < 0 or ct is None:
                continue
            if p in self.arrays:
                state.add_pair(p, ct)
                continue
            value, tangent = ct
            adj[p] += float(value)
            if tangent is not None:
                adjt[p] = adjt[p] + float(tangent[0]) if self.one else plus(adjt[p], tangent)


def _wide_pull(e: tuple, g: float, gt: object, adj: list, adjt: list) -> None:
    """A number's node in the k > 1 sweep: ūᵢ += ȳ·∂ᵢ, ūᵢ̇ += ȳ̇·∂ᵢ + ȳ·∂̇ᵢ ((k,) arrays)."""
    a, b, d0, d1, q0, q1 = e
    for parent, d, q in ((a, d0, q0), (b, d1, q1)):
        if parent < 0:
            continue
        adj[parent] += times0(g, d)
        term = plus(None if gt is None else scale(d, gt), None if q is None else scale(g, q))
        if term is not None:
            adjt[parent] = plus(adjt[parent], term)


class _Arrays:
    """The adjoint pairs of array nodes during a sweep: element reads' cotangents in dense lists
    (k = 1: lists of floats; k > 1: a (size, k) array) while only they have arrived, a pair of
    arrays the sweep owns once anything else has."""

    __slots__ = ("shapes", "width", "pairs", "owned", "lists")

    def __init__(self, shapes: dict[int, tuple[int, ...]], width: int):
        self.shapes, self.width = shapes, width
        self.pairs: dict[int, Pair] = {}
        self.owned: set[int] = set()
        self.lists: dict[int, tuple[object, object]] = {}

    def add_element(self, node: int, position: int, g: float, gt: object) -> None:
        """The first element cotangent of ``node`` (or one after a whole-array cotangent)."""
        pair = self.pairs.get(node)
        if pair is None:
            count = 1
            for d in self.shapes[node]:
                count *= d
            vs = [0.0] * count
            ts = [0.0] * count if self.width == 1 else np.zeros((count, self.width))
            self.lists[node] = (vs, ts)
            vs[position] += g
            if gt is not None:
                ts[position] += gt  # type: ignore[index]
            return
        value, tangent = self._own(node)
        value.reshape(-1)[position] += g  # type: ignore[union-attr]
        if gt is not None:
            tangent.reshape(self.width, -1)[:, position] += gt  # type: ignore[union-attr]

    def add_pair(self, node: int, ct: Pair) -> None:
        """A whole-array cotangent pair (a seed, or a rule's pull)."""
        if node in self.lists:
            self.settle(node)
        pair = self.pairs.get(node)
        if pair is None:
            self.pairs[node] = ct  # may be a rule's array: never written into (not owned)
            return
        value = pair[0] + ct[0]
        if pair[1] is None or ct[1] is None:
            self.pairs[node] = (value, pair[1] if ct[1] is None else ct[1])
        else:
            self.pairs[node] = (value, pair[1] + ct[1])
        self.owned.discard(node)

    def _own(self, node: int) -> Pair:
        """The node's pair as fresh arrays the sweep may add into (copies of a rule's arrays)."""
        shape = self.shapes[node]
        if node not in self.owned:
            value, tangent = self.pairs[node]
            value = np.array(np.broadcast_to(value, shape), dtype=float)
            tangent = np.zeros((self.width,) + shape) if tangent is None else np.array(tangent, dtype=float)
            self.pairs[node] = (value, tangent)
            self.owned.add(node)
        return self.pairs[node]

    def settle(self, node: int) -> None:
        """The lists become the array's adjoint pair (before anything else adds into it)."""
        vs, ts = self.lists.pop(node)
        shape = self.shapes[node]
        value = np.array(vs, dtype=float).reshape(shape)
        if self.width == 1:
            tangent = np.array(ts, dtype=float).reshape((1,) + shape)
        else:
            tangent = np.ascontiguousarray(ts.T).reshape((self.width,) + shape)  # type: ignore[union-attr]
        self.pairs[node] = (value, tangent)
        self.owned.add(node)


__all__ = ["FloatSecondOrderMode"]
