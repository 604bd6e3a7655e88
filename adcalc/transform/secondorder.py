"""Forward-over-reverse over arrays: Hessians and Hessian-vector products of array programs.

The math.  Every input-dependent value carries ``k`` tangents (directions ẋ⁽¹⁾ … ẋ⁽ᵏ⁾, the unit
vectors of the flattened inputs for a Hessian, one v for H·v) as one array of shape ``(k,
*shape)`` — a number's as shape ``(k,)`` — and is a node of a tape.  The backward sweep then
runs on pairs (x̄, x̄̇): the adjoint and its derivative along each direction, so an input's pair
is (∂f/∂x, H·ẋ⁽ʲ⁾ for every j) — the gradient and k Hessian columns in one sweep.

- An elementwise step y = p(u₁, …) keeps its partials as boxes (``Box``: the partial's value
  and its tangents, the registry's partial rules evaluated on boxes, i.e. differentiated once
  more by the same rules); its pull is ūᵢ = unbroadcast(ȳ·∂ᵢ), ūᵢ̇ = unbroadcast(ȳ̇·∂ᵢ + ȳ·∂ᵢ̇).
- An array primitive (``x[key]``, ``sum``, ``A @ B``, …) keeps its primals and tangents; its
  pull is the rule's ``vjp`` for ū, and for ū̇ the ``vjp`` of ȳ̇ plus the second-order term of
  ``adcalc.rules.second`` (how the pullback moves with the primals) — per direction.
- Forward tangents use the same rules as forward mode (partials broadcast; an array
  primitive's ``jvp``), and a product with an exact zero factor contributes nothing.

Values, notes (non-finite values, kinks) and errors come from the shared step
(``transform.mode.Mode.apply``): only ``combine`` is this mode's own.  Constants (inputs held by
``wrt``, literals) are plain floats and arrays, never taped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.errors import AdcalcError
from adcalc.language.ir import Eqn
from adcalc.rules.indexing import Scatter, element_key, flat_position
from adcalc.rules.registry import G, Primitive, np
from adcalc.rules.second import second, supported
from adcalc.rules.shapes import lift, mul0, scalar_result, unbroadcast
from adcalc.transform.mode import Mode


class Box:
    """A value with ``k`` tangents (shape ``(k, *shape)``): the registry's generic functions
    (``G.sin(box)``) and Python's arithmetic run the forward rule on it, so a partial rule
    evaluated on boxes gives the partial and its derivative along every direction."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: object, tangent: object):
        self.primal = primal
        self.tangent = tangent

    def apply_primitive(self, prim: Primitive, args: Sequence[object]) -> object:
        """Boxes exist only inside ``SecondOrderMode.combine``'s ``np.errstate(all="ignore")`` (a
        partial rule evaluated on them), so NumPy's warnings are already silenced here."""
        primals = [a.primal if type(a) is Box else a for a in args]
        out = getattr(G, prim.name)(*primals)
        return Box(out, tangent_of(out, [(prim.partials[i](*primals), a.tangent)
                                         for i, a in enumerate(args) if type(a) is Box]))

    def __neg__(self) -> object:
        return G.neg(self)


def _arithmetic(prim: str, reflected: bool) -> Callable[[Box, object], object]:
    if reflected:
        return lambda self, other: getattr(G, prim)(other, self)
    return lambda self, other: getattr(G, prim)(self, other)


for _op, _prim in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"), ("pow", "pow")):
    setattr(Box, f"__{_op}__", _arithmetic(_prim, False))
    setattr(Box, f"__r{_op}__", _arithmetic(_prim, True))


def tangent_of(out: object, terms: Sequence[tuple[object, object]]) -> object:
    """Σ ∂ᵢ·ẋᵢ over ``terms`` (partial, batched tangent), broadcast to ``(k, *shape of out)``."""
    nd = np.ndim(out)
    total = None
    for d, t in terms:
        term = mul0(d, lift(t, nd))
        total = term if total is None else total + term
    k = np.shape(terms[0][1])[0]
    shape = (k,) + np.shape(out)
    if type(total) is np.ndarray and total.shape == shape:  # type: ignore[union-attr]
        return np.array(total, dtype=float)  # the copy broadcast_to would make, without the view
    return np.array(np.broadcast_to(total, shape), dtype=float)


class HNode:
    """An input-dependent value: its tape index, value and tangents ``(k, *shape)``."""

    __slots__ = ("index", "value", "tangent")

    def __init__(self, index: int, value: object, tangent: object):
        self.index, self.value, self.tangent = index, value, tangent

    def __repr__(self) -> str:
        return f"HNode({self.index}, {self.value!r})"


Pair = tuple  # (x̄, x̄̇): an adjoint (a float or an array) and its tangents (k, *shape), or None for zeros


class SecondOrderMode(Mode):
    """Forward-over-reverse on a tape of numbers and arrays (module docstring)."""

    name = "forward-over-reverse"
    purpose = "hessian and hvp (forward-over-reverse)"

    def __init__(self, seeds: Sequence[object], strict: bool = False):
        """``seeds[i]``: input ``i``'s tangents, shape ``(k, *shape)`` (``(k,)`` for a number)."""
        super().__init__(strict)
        self.seeds = [np.asarray(s, dtype=float) for s in seeds]
        self.width = int(self.seeds[0].shape[0]) if self.seeds else 0
        self.tape: list[tuple[tuple[int, ...], Callable[..., list] | None]] = []
        self.shapes: dict[int, tuple[int, ...]] = {}  # array nodes read element by element: their shapes

    def input(self, index: int, name: str, value: object) -> object:
        self.tape.append(((), None))
        seed = self.seeds[index].reshape((self.width,) + np.shape(value))
        return HNode(len(self.tape) - 1, value, seed)

    def primal(self, v: object) -> object:
        return v.value if type(v) is HNode else v  # type: ignore[union-attr]

    def active(self, v: object) -> bool:
        return type(v) is HNode

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        """``x[i]`` of an input-dependent array: a scalar node whose pull adds into one entry of the
        array's adjoint (O(k), not an array per read); anything else the general step."""
        if type(x) is HNode and type(x.value) is not float:  # type: ignore[union-attr]
            key = element_key(x.value, subscripts)  # type: ignore[union-attr]
            if key is not None:
                r = x.value.item(key)  # type: ignore[union-attr]
                if r - r == 0.0:
                    position = flat_position(x.value.shape, key)  # type: ignore[union-attr]
                    self.shapes[x.index] = x.value.shape  # type: ignore[union-attr]
                    self.tape.append(((x.index,), lambda g, gt: [Element(position, g, gt)]))  # type: ignore[union-attr]
                    return HNode(len(self.tape) - 1, r, x.tangent[(slice(None), *key)].copy())  # type: ignore[union-attr]
        return self.applyn(prim, [x, *subscripts], site)

    def combine(self, prim: Primitive, args: Sequence[object], primals: Sequence[object], active: Sequence[bool],
                out: object, partials: Sequence[object] | None, site: Eqn) -> object:
        """A tape node with its pull on pairs (module docstring)."""
        tangents = [a.tangent if type(a) is HNode else None for a in args]  # type: ignore[union-attr]
        if partials is None:
            if not supported(prim):
                raise AdcalcError("type", f"second derivatives through {prim.name}() are not supported yet",
                                  site.span, hint="hessian and hvp differentiate the other array operations")
            tangents = [t if i in prim.differentiable else None for i, t in enumerate(tangents)]
            params = site.params
            with np.errstate(all="ignore"):
                t = prim.jvp(primals, tangents, params, out)
            out = scalar_result(out)
            pull = self._array_pull(prim, list(primals), tangents, params, out)
            full = (self.width,) + np.shape(out)
            t = np.array(t if type(t) is np.ndarray and t.shape == full else np.broadcast_to(t, full), dtype=float)
        else:
            boxed = [Box(p, t) if t is not None else p for p, t in zip(primals, tangents)]
            with np.errstate(all="ignore"):
                ds = [prim.partials[i](*boxed) if d is not None else None for i, d in enumerate(partials)]
                t = tangent_of(out, [(d, tangents[i]) for i, d in enumerate(partials) if d is not None])
            pull = self._elementwise_pull(ds, [np.shape(p) for p in primals], np.ndim(out))
        self.budget.need(8 * self.width * int(np.size(out)), site.span,  # the step's tangents, kept with its pull
                         f"{prim.name} with {self.width:,} tangent directions (one per input entry)")
        self.budget.hold_arrays((t,), site.span, f"the Hessian's tangents of {prim.name}")
        self.tape.append((tuple(a.index if type(a) is HNode and tangents[i] is not None else -1  # type: ignore[union-attr]
                                for i, a in enumerate(args)), pull))
        return HNode(len(self.tape) - 1, out, t)

    def _elementwise_pull(self, ds: list[object], shapes: list[tuple[int, ...]], nd: int) -> Callable[..., list]:
        k = self.width

        def pull(g: object, gt: object | None) -> list[Pair | None]:  # run by sweep(), in its np.errstate
            out: list[Pair | None] = []
            for d, shape in zip(ds, shapes):
                if d is None:
                    out.append(None)
                    continue
                dv, dt = (d.primal, d.tangent) if type(d) is Box else (d, None)  # type: ignore[union-attr]
                value = unbroadcast(mul0(g, dv), shape)
                tangent = None
                if gt is not None:
                    tangent = mul0(dv, gt)
                if dt is not None:
                    term = mul0(g, lift(dt, nd))
                    tangent = term if tangent is None else tangent + term
                out.append((scalar_result(value), None if tangent is None else _unbroadcast_k(tangent, shape, k)))
            return out

        return pull

    def _array_pull(self, prim: Primitive, primals: list[object], tangents: list[object | None], params: tuple,
                    out: object) -> Callable[..., list]:
        k, vjp = self.width, prim.vjp

        def pull(g: object, gt: object | None) -> list[Pair | None]:  # run by sweep(), in its np.errstate
            base = vjp(primals, params, out, g)
            ct = [vjp(primals, params, out, _direction(gt, j, out)) for j in range(k)] if gt is not None else None
            s = [second(prim, primals, [None if t is None else t[j] for t in tangents], params, out, g)
                 for j in range(k)]
            result: list[Pair | None] = []
            for i, p in enumerate(primals):
                if tangents[i] is None or base[i] is None:
                    result.append(None)
                    continue
                shape = np.shape(p)
                rows = np.zeros((k,) + shape)
                for j in range(k):
                    fresh = True  # rows[j] still all +0.0
                    for term in (ct[j][i] if ct is not None else None, s[j][i]):
                        if term is None:
                            continue
                        if fresh and type(term) is Scatter:  # 0 + the part, 0 + 0 elsewhere: the same floats
                            rows[j][term.key] += term.value  # type: ignore[union-attr]
                        else:
                            rows[j] += _dense(term)
                        fresh = False
                result.append((scalar_result(_dense(base[i])), rows))
            return result

        return pull

    def sweep(self, seeds: dict[int, Pair]) -> list[Pair | None]:
        """The pairs (x̄, x̄̇) of every node for the output seeds ``{node: (ȳ, ȳ̇)}`` (one sweep).
        An element read's cotangent is added in place into its array's adjoint, which the sweep
        then owns (allocated or copied by it, never a rule's array)."""
        adj: list[Pair | None] = [None] * len(self.tape)
        owned: set[int] = set()
        for node, pair in seeds.items():
            adj[node] = pair if adj[node] is None else _add(adj[node], pair)  # type: ignore[arg-type]
        with np.errstate(all="ignore"):
            for n in range(len(self.tape) - 1, -1, -1):
                pair = adj[n]
                parents, pull = self.tape[n]
                if pair is None or pull is None:
                    continue
                for p, ct in zip(parents, pull(*pair)):
                    if p < 0 or ct is None:
                        continue
                    if type(ct) is Element:
                        if p not in owned:
                            adj[p] = self._own(adj[p], p)
                            owned.add(p)
                        ct.add_into(adj[p])  # type: ignore[arg-type]
                    elif adj[p] is None:
                        adj[p] = ct
                    else:  # a new value; the tangent is new too, or one side's (ours stays ours if owned)
                        adj[p] = _add(adj[p], ct)  # type: ignore[arg-type]
        return adj

    def _own(self, pair: Pair | None, node: int) -> Pair:
        """A pair of fresh arrays the sweep may write into: zeros, or a copy of ``pair``."""
        shape = self.shapes[node]
        if pair is None:
            return np.zeros(shape), np.zeros((self.width,) + shape)
        value = np.array(pair[0], dtype=float)
        tangent = np.zeros((self.width,) + shape) if pair[1] is None else np.array(pair[1], dtype=float)
        return value, tangent


class Element:
    """The cotangent pair of one element read ``x[i]``: added into entry ``position`` (row-major)
    of the array's adjoint and of each of its tangents."""

    __slots__ = ("position", "value", "tangent")

    def __init__(self, position: int, value: object, tangent: object | None):
        self.position, self.value, self.tangent = position, value, tangent

    def add_into(self, pair: Pair) -> None:
        value, tangent = pair
        value.reshape(-1)[self.position] += self.value  # type: ignore[union-attr]
        if self.tangent is not None:
            tangent.reshape(tangent.shape[0], -1)[:, self.position] += self.tangent  # type: ignore[union-attr]


def _dense(ct: object) -> object:
    return ct.dense() if type(ct) is Scatter else ct  # type: ignore[union-attr]


def _direction(gt: object, j: int, out: object) -> object:
    """Direction ``j`` of a batched cotangent tangent, as the rule's cotangent (a float for a number)."""
    return float(gt[j]) if type(out) is float else gt[j]  # type: ignore[index]


def _unbroadcast_k(t: object, shape: tuple[int, ...], k: int) -> object:
    """A batched ``(k, *s)`` summed over the axes an argument of ``shape`` was broadcast along."""
    if type(t) is np.ndarray and t.shape == (k,) + shape and t.dtype == np.float64:  # type: ignore[union-attr]
        return t  # nothing was broadcast: what the moves, the sum over no axes and asarray give back
    moved = np.moveaxis(np.asarray(t, dtype=float), 0, -1)
    moved = np.broadcast_to(moved, moved.shape[:-1] + (k,))
    return np.moveaxis(np.asarray(unbroadcast(moved, shape + (k,)), dtype=float), -1, 0)


def _add(a: Pair, b: Pair) -> Pair:
    value = a[0] + b[0]
    if a[1] is None or b[1] is None:
        return value, a[1] if b[1] is None else b[1]
    return value, a[1] + b[1]


__all__ = ["Box", "HNode", "SecondOrderMode", "tangent_of"]
