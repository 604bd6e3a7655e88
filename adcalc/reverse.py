"""Reverse mode: record the executed primitives on a tape, then sweep adjoints backwards.

The math: the tape is the Wengert list ``v₁ … v_N`` (inputs first).  Recording ``vₖ = f(vₐ, v_b)``
stores the value and one edge per input-dependent argument with its local partial
``∂vₖ/∂vₐ`` (from the primitive table).  The backward sweep seeds ``v̄_out = ȳ`` and walks the
edges in reverse order doing ``v̄ₐ += v̄ₖ · ∂vₖ/∂vₐ`` — a value used twice gets both
contributions.  A product with an exact zero factor contributes nothing (as in forward mode).
Each sweep starts from fresh adjoints, so sweeping twice never doubles anything.

Storage is struct-of-arrays (``array('d')``/``array('q')``): no object per node, nothing for the
cyclic garbage collector to walk, ~40 bytes per recorded operation.  Mode values are tape
indices (``int``) for input-dependent values and plain floats for everything else (no edges).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

from .ir import Cmp, Eqn
from .modes import Mode
from .primitives import Primitive
from .trace import AdjointUpdate, Trace, TraceRow


class Tape:
    """Values of the recorded nodes and the edges (dst ← src, partial) between them."""

    __slots__ = ("values", "dst", "src", "partials")

    def __init__(self) -> None:
        self.values = array("d")
        self.dst = array("q")
        self.src = array("q")
        self.partials = array("d")

    def __len__(self) -> int:
        return len(self.values)

    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (self.values, self.dst, self.src, self.partials))


def backward(tape: Tape, seeds: dict[int, float]) -> list[float]:
    """One reverse sweep: the adjoint of every node, given the output seeds ``{node: ȳ}``."""
    adj = [0.0] * len(tape.values)
    for node, g in seeds.items():
        adj[node] += g
    dst, src, partials = tape.dst, tape.src, tape.partials
    for e in range(len(dst) - 1, -1, -1):
        g = adj[dst[e]]
        if g != 0.0:
            p = partials[e]
            if p != 0.0:
                adj[src[e]] += g * p
    return adj


class ReverseMode(Mode):
    """Records the executed program on a ``Tape``."""

    name = "reverse"

    def __init__(self, strict: bool = False):
        super().__init__(strict)
        self.tape = Tape()

    def input(self, index: int, name: str, value: float) -> int:
        self.tape.values.append(value)
        return len(self.tape.values) - 1

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        if type(x) is not int:
            r = prim.value(x)
            if r - r != 0.0:
                self.note_nonfinite(prim, (x,), site, r)
            return r
        tape = self.tape
        vals = tape.values
        p = vals[x]
        r = prim.value(p)
        if r - r != 0.0:
            self.note_nonfinite(prim, (p,), site, r)
        if prim.kink is not None and prim.kink(p):
            self.note_kink(prim, (p,), site)
        k = len(vals)
        vals.append(r)
        d = prim.partials[0](p)
        if d - d != 0.0:
            self.note_partial(prim, 0, (p,), site, d)
        tape.dst.append(k)
        tape.src.append(x)
        tape.partials.append(d)
        return k

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        ax = type(x) is int
        ay = type(y) is int
        if not (ax or ay):
            r = prim.value(x, y)
            if r - r != 0.0:
                self.note_nonfinite(prim, (x, y), site, r)
            return r
        tape = self.tape
        vals = tape.values
        px = vals[x] if ax else x
        py = vals[y] if ay else y
        r = prim.value(px, py)
        if r - r != 0.0:
            self.note_nonfinite(prim, (px, py), site, r)
        if prim.kink is not None and prim.kink(px, py):
            self.note_kink(prim, (px, py), site)
        k = len(vals)
        vals.append(r)
        # Edges go in reverse argument order, so the backward sweep meets argument 0 first.
        if ax:
            dx = prim.partials[0](px, py)
            if dx - dx != 0.0:
                self.note_partial(prim, 0, (px, py), site, dx)
        if ay:
            dy = prim.partials[1](px, py)
            if dy - dy != 0.0:
                self.note_partial(prim, 1, (px, py), site, dy)
            tape.dst.append(k)
            tape.src.append(y)
            tape.partials.append(dy)
        if ax:
            tape.dst.append(k)
            tape.src.append(x)
            tape.partials.append(dx)
        return k

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        vals = self.tape.values
        active = type(a) is int or type(b) is int
        pa = vals[a] if type(a) is int else a
        pb = vals[b] if type(b) is int else b
        taken = fn(pa, pb)
        if active and pa == pb:
            self.note_tie(site, pa, pb, taken)
        return taken

    def primal(self, v: object) -> float:
        return self.tape.values[v] if type(v) is int else v  # type: ignore[index,return-value]

    def node(self, v: object) -> int | None:
        return v if type(v) is int else None  # type: ignore[return-value]

    def gradient(self, outputs: Sequence[object], cotangent: Sequence[float]) -> list[float]:
        """Adjoints of all nodes for the covector ``cotangent`` on the outputs (one sweep)."""
        seeds: dict[int, float] = {}
        for out, w in zip(outputs, cotangent):
            if type(out) is int and w != 0.0:
                seeds[out] = seeds.get(out, 0.0) + w
        return backward(self.tape, seeds)


class TracedReverseMode(ReverseMode):
    """Reverse mode that also records the trace.  Every value gets a node (input-independent
    ones have no edges and are marked inactive), so the numbers equal ``ReverseMode``'s."""

    def __init__(self, trace: Trace, strict: bool = False):
        super().__init__(strict)
        self.trace = trace
        self.active = bytearray()
        self.edge_display: list[str] = []  # parallel to the tape's edges

    def input(self, index: int, name: str, value: float) -> int:
        k = super().input(index, name, value)
        self.active.append(1)
        self.trace.rows.append(TraceRow(k + 1, "input", name, value, None, name, ""))
        return k

    def _unwrap(self, v: object) -> object:
        return self.tape.values[v] if type(v) is int and not self.active[v] else v

    def _record(self, prim: Primitive, args: Sequence[object], result: object, site: Eqn) -> int:
        tape = self.tape
        shown = [self.show_arg(site.args[i], self.primal(a), f"v{a + 1}" if type(a) is int else None)
                 for i, a in enumerate(args)]
        if type(result) is int:
            self.active.append(1)
            k = result
            # Display of each new edge's partial, in the order the edges were appended.
            new_edges = len(tape.dst) - len(self.edge_display)
            order = [i for i in (1, 0) if i < len(args) and type(args[i]) is int and self.active[args[i]]]
            order = order[-new_edges:] if new_edges else []
            for i in order:
                self.edge_display.append(prim.show_partial(i, shown))
        else:
            tape.values.append(result)  # type: ignore[arg-type]
            self.active.append(0)
            k = len(tape.values) - 1
        var = site.out if site.user_var else None
        self.trace.rows.append(TraceRow(k + 1, prim.name, prim.show(shown), tape.values[k], site.span, var,
                                        self.where(site), None, None, bool(self.active[k]), tuple(shown)))
        return k

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self._record(prim, (x,), super().apply1(prim, self._unwrap(x), site), site)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self._record(prim, (x, y), super().apply2(prim, self._unwrap(x), self._unwrap(y), site), site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        return super().compare(fn, self._unwrap(a), self._unwrap(b), site)

    def gradient(self, outputs: Sequence[object], cotangent: Sequence[float], output_index: int = 0) -> list[float]:
        """The same sweep as ``backward``, recording each update for the trace."""
        tape = self.tape
        adj = [0.0] * len(tape.values)
        for out, w in zip(outputs, cotangent):
            if type(out) is int and w != 0.0 and self.active[out]:
                adj[out] += w
        dst, src, partials = tape.dst, tape.src, tape.partials
        updates = self.trace.updates
        for e in range(len(dst) - 1, -1, -1):
            k = dst[e]
            g = adj[k]
            p = partials[e]
            a = src[e]
            contribution = 0.0
            if g != 0.0 and p != 0.0:
                contribution = g * p
                adj[a] += contribution
            if g != 0.0:
                updates.append(AdjointUpdate(a + 1, k + 1, self.edge_display[e], p, contribution, adj[a],
                                             output_index))
        for row in self.trace.rows:
            row.adjoint = adj[row.node - 1] if row.adjoint is None else row.adjoint
        return adj


__all__ = ["Tape", "backward", "ReverseMode", "TracedReverseMode"]
