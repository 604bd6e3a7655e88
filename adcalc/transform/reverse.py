"""Reverse mode: record the executed primitives on a tape, then sweep adjoints backwards.

The math: the tape is the Wengert list ``v₁ … v_N`` (inputs first).  Recording ``vₖ = f(vₐ, v_b)``
stores the value and, for each input-dependent argument, its node and the local partial
``∂vₖ/∂vₐ`` (from the primitive table).  The backward sweep seeds ``v̄_out = ȳ`` and walks the
nodes in reverse order doing ``v̄ₐ += v̄ₖ · ∂vₖ/∂vₐ`` for each argument — a value used twice gets
both contributions.  A product with an exact zero factor contributes nothing (as in forward
mode).  Each sweep starts from fresh adjoints, so sweeping twice never doubles anything.

Storage is struct-of-arrays, one slot per node for each of the (at most two) arguments:
``values``, ``arg0``/``arg1`` (node index, -1 for none) and ``partial0``/``partial1``, in
``array('d')``/``array('q')``: 40 bytes per recorded operation, no object per node, nothing for
the cyclic garbage collector to walk.  Mode values are tape indices (``int``) for
input-dependent values and plain floats for everything else (never taped).

Arrays: an input-dependent array is an ``ANode`` (its tape index and value).  An operation that
involves arrays is a *rule node*: ``arg0 = RULE`` and ``tape.rules[k] = (parents, pull, is_array)``
where ``pull(ȳ)`` returns each parent's cotangent (already un-broadcast to its shape).  Array
adjoints live beside the float adjoints; a tape without rule nodes runs the plain float sweep.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

from adcalc.language.ir import Cmp, Eqn
from adcalc.rules.arrays import Scatter
from adcalc.rules.registry import G, Primitive, np, primal
from adcalc.rules.shapes import mul0, scalar_result, unbroadcast
from adcalc.transform.modes import Mode
from adcalc.transform.trace import AdjointUpdate, Trace, TraceRow

RULE = -2  # arg0 of a rule node (an operation involving arrays)


class ANode:
    """An input-dependent array on the tape: its node index and its value."""

    __slots__ = ("index", "value")

    def __init__(self, index: int, value: object):
        self.index = index
        self.value = value

    def __repr__(self) -> str:
        return f"ANode({self.index}, shape={getattr(self.value, 'shape', ())})"


class Tape:
    """Per node: its value, its input-dependent arguments (or -1) and the local partials."""

    __slots__ = ("values", "arg0", "arg1", "partial0", "partial1", "rules")

    def __init__(self, boxed: bool = False) -> None:
        """``boxed``: values and partials are objects (duals, for forward-over-reverse)."""
        self.values = [] if boxed else array("d")
        self.arg0 = array("q")
        self.arg1 = array("q")
        self.partial0 = [] if boxed else array("d")
        self.partial1 = [] if boxed else array("d")
        self.rules: dict[int, tuple] = {}  # rule nodes: k → (parents, pull, is_array)

    def __len__(self) -> int:
        return len(self.values)

    def nbytes(self) -> int:
        """Bytes held by the tape's arrays (float tapes only)."""
        return sum(a.itemsize * len(a) for a in (self.values, self.arg0, self.arg1, self.partial0, self.partial1))


def backward(tape: Tape, seeds: dict[int, object]) -> list[object]:
    """One reverse sweep: the adjoint of every node, given the output seeds ``{node: ȳ}``
    (an array for an array node).  Array nodes' adjoints are arrays (of their shape)."""
    if tape.rules:
        return _backward_rules(tape, seeds)
    adj = [0.0] * len(tape.values)
    for node, g in seeds.items():
        adj[node] += g
    arg0, arg1, partial0, partial1 = tape.arg0, tape.arg1, tape.partial0, tape.partial1
    for k in range(len(adj) - 1, -1, -1):
        g = adj[k]
        if g != 0.0:
            a = arg0[k]
            if a >= 0:
                p = partial0[k]
                if p != 0.0:
                    adj[a] += g * p
            a = arg1[k]
            if a >= 0:
                p = partial1[k]
                if p != 0.0:
                    adj[a] += g * p
    return adj


def _backward_rules(tape: Tape, seeds: dict[int, object], on_update: object = None) -> list[object]:
    """The sweep of a tape with rule nodes; ``on_update(target, source, contribution, adjoint)``
    (traced runs) sees every update in the order it is made.  NumPy's floating-point warnings
    are off for the whole sweep (inf − inf in an accumulation is nan, reported by the modes'
    own diagnostics, never as a NumPy RuntimeWarning on the user's screen)."""
    with np.errstate(all="ignore"):
        return _sweep_rules(tape, seeds, on_update)


def _sweep_rules(tape: Tape, seeds: dict[int, object], on_update: object) -> list[object]:
    rules = tape.rules
    adj: list[object] = [0.0] * len(tape.values)
    arrays: dict[int, object] = {}  # adjoints of array nodes
    owned: set[int] = set()  # adjoints we allocated ourselves: safe to add into in place
    for node, g in seeds.items():
        if node in rules and rules[node][2]:
            arrays[node] = g
        else:
            adj[node] += g  # type: ignore[operator]
    arg0, arg1, partial0, partial1 = tape.arg0, tape.arg1, tape.partial0, tape.partial1
    for k in range(len(adj) - 1, -1, -1):
        a = arg0[k]
        if a == RULE:
            parents, pull, is_array = rules[k]
            g = arrays.get(k) if is_array else adj[k]
            if g is None or pull is None or (not is_array and g == 0.0):
                continue
            cotangents = pull(g)
            for (parent, parent_is_array), ct in zip(parents, cotangents):
                if parent < 0 or ct is None:
                    continue
                if parent_is_array:
                    prev = arrays.get(parent)
                    if type(ct) is Scatter:
                        if prev is None or parent not in owned:
                            prev = np.zeros(ct.shape) if prev is None else prev + np.zeros(ct.shape)
                            arrays[parent] = prev
                            owned.add(parent)
                        prev[ct.key] += ct.value  # type: ignore[index]
                        if on_update is not None:
                            ct = ct.dense()
                    elif prev is None:
                        arrays[parent] = ct  # may be a view of another adjoint: never written into
                    elif parent in owned and np.shape(prev) == np.shape(ct):
                        prev += ct
                    else:
                        arrays[parent] = prev + ct
                        owned.add(parent)
                    new = arrays[parent]
                else:
                    adj[parent] += float(ct)  # type: ignore[operator]
                    new = adj[parent]
                if on_update is not None:
                    on_update(parent, k, ct, new)  # type: ignore[operator]
            continue
        g = adj[k]
        if g != 0.0:
            for parent, p in ((a, partial0[k]), (arg1[k], partial1[k])):
                if parent >= 0:
                    contribution = 0.0
                    if p != 0.0:
                        contribution = g * p  # type: ignore[operator]
                        adj[parent] += contribution  # type: ignore[operator]
                    if on_update is not None:
                        on_update(parent, k, contribution, adj[parent])  # type: ignore[operator]
    for node, g in arrays.items():
        adj[node] = g
    for node, (_, _, is_array) in rules.items():
        if is_array and node not in arrays:
            adj[node] = None  # no cotangent reached it: zero (the API fills in its shape)
    return adj


class ReverseMode(Mode):
    """Records the executed program on a ``Tape``."""

    name = "reverse"

    def __init__(self, strict: bool = False):
        super().__init__(strict)
        self.tape = tape = Tape()
        self._values = tape.values
        self._push = (tape.values.append, tape.arg0.append, tape.arg1.append, tape.partial0.append,
                      tape.partial1.append)

    def kept(self) -> tuple[int, int]:
        trace_bytes, rows = super().kept()
        return trace_bytes + 40 * len(self._values), rows  # the scalar tape: 40 bytes per recorded operation

    def input(self, index: int, name: str, value: float) -> int:
        if type(value) is not float and hasattr(value, "shape"):
            self.budget.hold_arrays((value,), None, f"the array input {name}")
            return self._rule_node(value, (), None)  # type: ignore[return-value]
        push_value, push_a0, push_a1, push_p0, push_p1 = self._push
        push_value(value)
        push_a0(-1)
        push_a1(-1)
        push_p0(0.0)
        push_p1(0.0)
        return len(self._values) - 1

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        if type(x) is not int:
            if type(x) is not float:
                return self.elementwise(prim, (x,), site)
            r = prim.value(x)
            if r - r != 0.0:
                self.note_nonfinite(prim, (x,), site, r)
            return r
        vals = self._values
        p = vals[x]
        r = prim.value(p)
        if r - r != 0.0:
            self.note_nonfinite(prim, (p,), site, r)
        if prim.kink is not None and prim.kink(p):
            self.note_kink(prim, (p,), site)
        d = prim.partials[0](p)
        if d - d != 0.0:
            self.note_partial(prim, 0, (p,), site, d)
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
        if not ((ax or type(x) is float) and (ay or type(y) is float)):
            return self.elementwise(prim, (x, y), site)
        if not (ax or ay):
            r = prim.value(x, y)
            if r - r != 0.0:
                self.note_nonfinite(prim, (x, y), site, r)
            return r
        vals = self._values
        px = vals[x] if ax else x
        py = vals[y] if ay else y
        r = prim.value(px, py)
        if r - r != 0.0:
            self.note_nonfinite(prim, (px, py), site, r)
        if prim.kink is not None and prim.kink(px, py):
            self.note_kink(prim, (px, py), site)
        if ax:
            dx = prim.partials[0](px, py)
            if dx - dx != 0.0:
                self.note_partial(prim, 0, (px, py), site, dx)
        else:
            x, dx = -1, 0.0
        if ay:
            dy = prim.partials[1](px, py)
            if dy - dy != 0.0:
                self.note_partial(prim, 1, (px, py), site, dy)
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

    # ---- arrays ---------------------------------------------------------------------------------
    def _rule_node(self, value: object, parents: tuple, pull: object) -> object:
        """Append a rule node; returns its mode value (an ``ANode``, or the index for a number)."""
        push_value, push_a0, push_a1, push_p0, push_p1 = self._push
        k = len(self._values)
        is_array = type(value) is not float
        push_value(float("nan") if is_array else value)
        push_a0(RULE)
        push_a1(-1)
        push_p0(0.0)
        push_p1(0.0)
        self.tape.rules[k] = (parents, pull, is_array)
        return ANode(k, value) if is_array else k

    def _primal_of(self, v: object) -> object:
        if type(v) is int:
            return self._values[v]
        return v.value if type(v) is ANode else v  # type: ignore[union-attr]

    @staticmethod
    def _parent(v: object) -> tuple[int, bool]:
        if type(v) is int:
            return v, False
        if type(v) is ANode:
            return v.index, True
        return -1, False

    def elementwise(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        """An elementwise primitive with arrays: x̄ᵢ += unbroadcast(ȳ·∂ᵢ, shape(xᵢ))."""
        primals = [self._primal_of(a) for a in args]
        out = self.array_value(prim, primals, site)
        parents = tuple(self._parent(a) for a in args)
        if all(p < 0 for p, _ in parents):
            return out
        partials = self.array_partials(prim, primals, [p >= 0 for p, _ in parents], site)
        shapes = [np.shape(x) for x in primals]
        self.budget.hold_arrays((out, *partials), site.span,
                                f"the tape, keeping {prim.name} of shape {np.shape(out)} and its partials")

        def pull(g: object) -> list[object]:
            return [None if d is None else unbroadcast(mul0(g, d), s) for d, s in zip(partials, shapes)]

        return self._rule_node(out, parents, pull)

    def applyn(self, prim: object, args: Sequence[object], site: Eqn) -> object:
        primals, out, marks = self.array_call(prim, args, site, lambda a: p if (p := self._parent(a))[0] >= 0 else None)
        if marks is None:
            return out
        parents = tuple(m if m is not None else (-1, False) for m in marks)
        params = site.params
        vjp = prim.vjp  # type: ignore[attr-defined]
        self.budget.hold_arrays((out,), site.span, f"the tape, keeping {prim.name} of shape {np.shape(out)}")  # type: ignore

        def pull(g: object) -> list[object]:
            return vjp(primals, params, out, g)

        return self._rule_node(scalar_result(out), parents, pull)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        vals = self.tape.values
        active = type(a) is int or type(b) is int
        pa = vals[a] if type(a) is int else a
        pb = vals[b] if type(b) is int else b
        if type(pa) is not float or type(pb) is not float:
            self.scalar_condition(site, a, b)
        taken = fn(pa, pb)
        if active and pa == pb:
            self.note_tie(site, pa, pb, taken)
        return taken

    def primal(self, v: object) -> float:
        if type(v) is int:
            return self.tape.values[v]
        return v.value if type(v) is ANode else v  # type: ignore[union-attr,return-value]

    def gradient(self, outputs: Sequence[object], cotangent: Sequence[object]) -> list[object]:
        """Adjoints of all nodes for the covector ``cotangent`` on the outputs (one sweep); an
        array output's weight is an array of its shape."""
        seeds: dict[int, object] = {}
        for out, w in zip(outputs, cotangent):
            if type(out) is ANode:
                seeds[out.index] = seeds[out.index] + w if out.index in seeds else w
            elif type(out) is int and w != 0.0:
                seeds[out] = seeds.get(out, 0.0) + w  # type: ignore[operator]
        return backward(self.tape, seeds)


class TracedReverseMode(ReverseMode):
    """Reverse mode that also records the trace.  Every value gets a node (input-independent
    ones have no arguments on the tape and are marked inactive), so the numbers equal
    ``ReverseMode``'s."""

    def __init__(self, trace: Trace, strict: bool = False):
        super().__init__(strict)
        self.trace = trace
        self.active = bytearray()
        self.partial_display: list[tuple[str, str]] = []  # per node: how ∂/∂arg0, ∂/∂arg1 read
        self.rule_display: dict[int, tuple[str, ...]] = {}  # rule nodes: how each parent's ∂ reads

    def input(self, index: int, name: str, value: float) -> int:
        k = super().input(index, name, value)
        node = k.index if type(k) is ANode else k
        self.active.append(1)
        self.partial_display.append(("", ""))
        self.trace.rows.append(TraceRow(node + 1, "input", name, value, None, name, ""))
        return k

    def _unwrap(self, v: object) -> object:
        if type(v) is int and not self.active[v]:
            return self.tape.values[v]
        if type(v) is ANode and not self.active[v.index]:
            return v.value
        return v

    def _record(self, prim: object, args: Sequence[object], result: object, site: Eqn) -> object:
        from adcalc.rules.registry import describe

        shown = [self.show_arg(site.args[i], self.primal(a),
                               f"v{a + 1}" if type(a) is int else (f"v{a.index + 1}" if type(a) is ANode else None))
                 for i, a in enumerate(args)]
        name = prim.name  # type: ignore[attr-defined]
        definition = describe(name, shown, site.params, pretty=True)
        if type(result) is int or type(result) is ANode:
            out = result
            k = result if type(result) is int else result.index  # type: ignore[union-attr]
            self.active.append(1)
            if k in self.tape.rules:
                self.partial_display.append(("", ""))
                self.rule_display[k] = tuple(_rule_partial(prim, i, shown, site.params, f"v\u0304{k + 1}")
                                             for i in range(len(args)))
            else:
                self.partial_display.append(tuple(prim.show_partial(i, shown) if i < len(args) else ""  # type: ignore
                                                  for i in (0, 1)))  # type: ignore[arg-type]
        else:
            out = ReverseMode.input(self, 0, "", result)  # type: ignore[arg-type]  # a node with no arguments
            k = out if type(out) is int else out.index  # type: ignore[union-attr]
            self.active.append(0)
            self.partial_display.append(("", ""))
        var = site.out if site.user_var else None
        self.trace.rows.append(TraceRow(k + 1, name, definition, self.primal(out), site.span, var,
                                        self.where(site), None, None, bool(self.active[k]), tuple(shown)))
        return out

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self._record(prim, (x,), super().apply1(prim, self._unwrap(x), site), site)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self._record(prim, (x, y), super().apply2(prim, self._unwrap(x), self._unwrap(y), site), site)

    def applyn(self, prim: object, args: Sequence[object], site: Eqn) -> object:
        return self._record(prim, args, super().applyn(prim, [self._unwrap(a) for a in args], site), site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        return super().compare(fn, self._unwrap(a), self._unwrap(b), site)

    def gradient(self, outputs: Sequence[object], cotangent: Sequence[object]) -> list[object]:
        """The same sweep as ``backward`` (same order, same arithmetic), recording each update."""
        tape = self.tape
        if tape.rules:
            seeds: dict[int, object] = {}
            for out, w in zip(outputs, cotangent):
                if type(out) is ANode and self.active[out.index]:
                    seeds[out.index] = w
                elif type(out) is int and w != 0.0 and self.active[out]:
                    seeds[out] = seeds.get(out, 0.0) + w  # type: ignore[operator]
            updates = self.trace.updates

            def on_update(target: int, source: int, contribution: object, running: object) -> None:
                rule = None
                if source in self.rule_display:
                    parents = tape.rules[source][0]
                    i = next(j for j, (p, _) in enumerate(parents) if p == target)
                    shown, value = self.rule_display[source][i]
                    if value is None:
                        shown, rule = "", shown
                else:
                    i = 0 if tape.arg0[source] == target else 1
                    shown = self.partial_display[source][i]
                    value = (tape.partial0, tape.partial1)[i][source]
                if hasattr(running, "copy"):
                    running = running.copy()  # the sweep may add into this array later
                updates.append(AdjointUpdate(target + 1, source + 1, shown, value, contribution, running,  # type: ignore
                                             rule=rule))

            adj = _backward_rules(tape, seeds, on_update)
        else:
            adj = [0.0] * len(tape.values)
            for out, w in zip(outputs, cotangent):
                if type(out) is int and w != 0.0 and self.active[out]:
                    adj[out] += w  # type: ignore[operator]
            updates = self.trace.updates
            for k in range(len(adj) - 1, -1, -1):
                g = adj[k]
                if g == 0.0:
                    continue
                for a, p, shown in ((tape.arg0[k], tape.partial0[k], self.partial_display[k][0]),
                                    (tape.arg1[k], tape.partial1[k], self.partial_display[k][1])):
                    if a < 0:
                        continue
                    contribution = 0.0
                    if p != 0.0:
                        contribution = g * p  # type: ignore[operator]
                        adj[a] += contribution  # type: ignore[operator]
                    updates.append(AdjointUpdate(a + 1, k + 1, shown, p, contribution, adj[a]))  # type: ignore
        for row in self.trace.rows:
            if row.adjoint is None:
                a = adj[row.node - 1]
                row.adjoint = a if a is not None else np.zeros(np.shape(row.value))  # type: ignore[assignment]
        return adj


def _rule_partial(prim: object, i: int, shown: Sequence[str], params: tuple, g: str) -> tuple[str, object]:
    """How a rule node's update of argument ``i`` reads: (the elementwise partial, e.g.
    ``cos(v2)``, and a marker "" meaning "· partial"), or (an array rule's whole right-hand side
    such as ``v̄3 @ v2ᵀ``, None)."""
    if prim.elementwise:  # type: ignore[attr-defined]
        return prim.show_partial(i, shown), ""
    from adcalc.rules.arrays import pullback_text

    return pullback_text(prim, i, shown, params, g), None  # type: ignore[arg-type]


def _zero(v: object) -> bool:
    return type(v) is float and v == 0.0


def backward_boxed(tape: Tape, seeds: dict[int, float]) -> list[object]:
    """``backward`` over boxed values: the same sweep with the boxes' arithmetic (a dual's
    tangent part of the adjoints is a Hessian-vector product)."""
    adj: list[object] = [0.0] * len(tape.values)
    for node, g in seeds.items():
        adj[node] = adj[node] + g  # type: ignore[operator]
    arg0, arg1, partial0, partial1 = tape.arg0, tape.arg1, tape.partial0, tape.partial1
    for k in range(len(adj) - 1, -1, -1):
        g = adj[k]
        if _zero(g):
            continue
        for a, p in ((arg0[k], partial0[k]), (arg1[k], partial1[k])):
            if a >= 0 and not _zero(p):
                adj[a] = adj[a] + g * p  # type: ignore[operator]
    return adj


class BoxedReverseMode(ReverseMode):
    """Reverse mode over boxed inputs (duals): the primitives run through their generic
    functions and the partial rules run on duals, so the backward sweep differentiates the
    derivative — forward-over-reverse, for Hessians and Hessian-vector products."""

    def __init__(self, strict: bool = False):
        Mode.__init__(self, strict)
        self.tape = tape = Tape(boxed=True)
        self._values = tape.values
        self._push = (tape.values.append, tape.arg0.append, tape.arg1.append, tape.partial0.append,
                      tape.partial1.append)

    def _apply(self, prim: Primitive, args: tuple, site: Eqn) -> object:
        active = [type(a) is int for a in args]
        vals = self._values
        xs = [vals[a] if act else a for a, act in zip(args, active)]
        r = getattr(G, prim.name)(*xs)
        ps = [primal(x) for x in xs]
        pr = primal(r)
        if pr - pr != 0.0:
            self.note_nonfinite(prim, ps, site, pr)
        if not any(active):
            return r
        if prim.kink is not None and prim.kink(*ps):
            self.note_kink(prim, ps, site)
        ds = [prim.partials[i](*xs) if act else 0.0 for i, act in enumerate(active)]
        push_value, push_a0, push_a1, push_p0, push_p1 = self._push
        k = len(vals)
        push_value(r)
        push_a0(args[0] if active[0] else -1)
        push_a1(args[1] if len(args) > 1 and active[1] else -1)
        push_p0(ds[0])
        push_p1(ds[1] if len(ds) > 1 else 0.0)
        return k

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self._apply(prim, (x,), site)

    applyn = Mode.applyn  # arrays: not in forward-over-reverse yet
    purpose = "hessian and hvp (forward-over-reverse)"

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self._apply(prim, (x, y), site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        vals = self._values
        pa = primal(vals[a] if type(a) is int else a)
        pb = primal(vals[b] if type(b) is int else b)
        taken = fn(pa, pb)
        if (type(a) is int or type(b) is int) and pa == pb:
            self.note_tie(site, pa, pb, taken)
        return taken

    def primal(self, v: object) -> float:
        return primal(self._values[v] if type(v) is int else v)

    def gradient(self, outputs: Sequence[object], cotangent: Sequence[float]) -> list[object]:  # type: ignore[override]
        seeds: dict[int, float] = {}
        for out, w in zip(outputs, cotangent):
            if type(out) is int and w != 0.0:
                seeds[out] = seeds.get(out, 0.0) + w
        return backward_boxed(self.tape, seeds)


__all__ = ["Tape", "backward", "backward_boxed", "ReverseMode", "TracedReverseMode", "BoxedReverseMode"]
