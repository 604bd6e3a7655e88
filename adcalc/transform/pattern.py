"""Pattern mode: which inputs each value depends on, and which pairs of inputs interact nonlinearly.

The math (Griewank & Walther, "Evaluating Derivatives", ch. 7; Walther 2008, "Computing sparse
Hessians with automatic differentiation"): every active value ``v`` carries its index domain
``X(v)`` — the set of input entries it depends on (entry ``j`` of the inputs flattened in point
order, arrays row-major): a number carries a Python int used as a bit set; an array carries one
set per element as ``adcalc.transform.indexsets.Sets`` (a sparse boolean matrix in CSR form, rows
the elements, every operation NumPy index arithmetic, no Python loop per element).  A step ``w = φ(u₁, …, uₖ)`` gives
``X(w) = ∪ X(uᵢ)`` over the arguments whose partial ∂ᵢφ is not zero on this path, so the rows of
the Jacobian's pattern are the outputs' index domains.  For Hessians the mode also keeps one set
``N(j)`` per input entry: for each pair of arguments with ∂²φ/∂uᵢ∂uⱼ ≢ 0, every ``j ∈ X(uᵢ)`` gains
``X(uⱼ)`` (and the other way round) — element by element for arrays (a join on the element, kept as
pairs of member arrays until ``adjacency()`` unites them into one CSR pattern).  ``N`` is the
pattern of the Hessian (symmetric) of any scalar output — a superset of it in general, exact for
the path when nothing cancels.

Which argument pairs of a primitive interact is read off the registry's own partials: ∂ᵢφ is
evaluated on a dual number in argument ``j`` at generic points (``nonlinear_pairs``); a partial
that no argument moves is piecewise constant (``where``'s 0/1, ``floor``'s 0, ``max``'s choice), and
there the value on this path decides: an exact zero drops the dependence.  Array primitives have
one rule each below (index, setitem, literals, reductions, matmul, transpose, norm); a primitive
without one is treated as dense (every output entry depends on, and interacts with, everything) —
a superset, never wrong for colouring.  Conditions and control flow follow the path executed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from adcalc.language.ir import Eqn
from adcalc.rules.indexing import build_key
from adcalc.rules.registry import Primitive, np
from adcalc.transform.forward import Dual
from adcalc.transform.indexsets import Sets, bitset, cross, distinct, group, members
from adcalc.transform.mode import Mode

_GENERIC = ((0.3, 0.55, 0.7, 0.45, 0.65), (1.7, 2.3, 1.3, 1.9, 2.9), (-0.6, 1.45, -1.1, 0.8, -0.35))


class Pat:
    """An active value: its primal (float or array) and its index domain (an int bit set for a
    number, ``Sets`` for an array)."""

    __slots__ = ("primal", "deps")

    def __init__(self, primal: object, deps: object):
        self.primal, self.deps = primal, deps

    def __repr__(self) -> str:
        return f"Pat({self.primal!r}, {self.deps!r})"


def bits(s: int) -> list[int]:
    """The members of a bit set, ascending."""
    out = []
    while s:
        low = s & -s
        out.append(low.bit_length() - 1)
        s ^= low
    return out


@lru_cache(maxsize=512)
def nonlinear_pairs(prim: Primitive, nargs: int) -> frozenset[tuple[int, int]]:
    """The argument pairs (i, j) whose second derivative ∂²φ/∂uᵢ∂uⱼ is not identically zero:
    ∂ᵢφ evaluated with a dual number in argument j moves at some generic point (or fails there —
    counted as moving, a superset is safe)."""
    pairs = set()
    for i in range(nargs):
        for j in range(nargs):
            for point in _GENERIC:
                args: list[object] = list(point[:nargs])
                args[j] = Dual(args[j], (1.0,))
                try:
                    with np.errstate(all="ignore"):
                        r = prim.partials[i](*args)
                except Exception:  # noqa: BLE001 - a rule that cannot take this point: assume it moves
                    pairs.add((i, j))
                    break
                if type(r) is Dual:
                    t = r.tangent[0] if r.tangent is not None else 0.0
                    if not t == 0.0:
                        pairs.add((i, j))
                        break
                elif type(r) is not float and not isinstance(r, int | float):
                    pairs.add((i, j))
                    break
    return frozenset(pairs)


@lru_cache(maxsize=512)
def _moving(prim: Primitive, nargs: int) -> frozenset[int]:
    """The arguments whose partial some argument moves (not piecewise constant)."""
    return frozenset(i for i, _ in nonlinear_pairs(prim, nargs))


class PatternMode(Mode):
    """Index domains (Jacobian pattern) and, with ``hessian``, nonlinear interactions (see the
    module docstring).  ``offsets[k]`` is the first bit of used input ``k``."""

    name = "pattern"
    purpose = "sparsity patterns"

    def __init__(self, offsets: Sequence[int], width: int, hessian: bool, strict: bool = False):
        super().__init__(strict)
        self.offsets = list(offsets)
        self.width = width
        self.interactions: list[int] | None = [0] * width if hessian else None  # numbers' pairs: bit sets
        self.joined: list[object] = []  # arrays' pairs (i, j), both ways, as keys i·width + j
        self._pending = 0

    # ---- the protocol -----------------------------------------------------------------------
    def input(self, index: int, name: str, value: object) -> object:
        off = self.offsets[index]
        if type(value) is float:
            return Pat(value, 1 << off)
        return Pat(value, Sets.units(value.shape, off))  # type: ignore[attr-defined]

    def primal(self, v: object) -> object:
        return v.primal if type(v) is Pat else v

    def active(self, v: object) -> bool:
        return type(v) is Pat

    def combine(self, prim: Primitive, args: Sequence[object], primals: Sequence[object], active: Sequence[bool],
                out: object, partials: Sequence[object] | None, site: Eqn) -> object:
        deps = [a.deps if type(a) is Pat else None for a in args]
        if partials is None:
            d = _ARRAY_RULES.get(prim.name, _dense)(self, primals, deps, site.params, out)
        else:
            d = self._elementwise(prim, deps, partials, out)
        if type(out) is float:
            d = _as_set(d)
            return Pat(out, d) if d else out
        d = self.spread(d, np.shape(out))
        return Pat(out, d) if d.any() else out

    def partials(self, prim: Primitive, primals: Sequence[object], active: Sequence[bool],
                 site: Eqn) -> list[object]:
        """Only the piecewise-constant partials are read (their zeros drop a dependence); the
        others stand as True, not computed (this mode's notes are not reported)."""
        moving = _moving(prim, len(primals))
        wanted = [a and i not in moving for i, a in enumerate(active)]
        got = super().partials(prim, primals, wanted, site) if any(wanted) else [None] * len(primals)
        return [True if a and i in moving else g for i, (a, g) in enumerate(zip(active, got))]

    def _elementwise(self, prim: Primitive, deps: list, partials: Sequence[object], out: object) -> object:
        pairs = nonlinear_pairs(prim, len(deps))
        moving = _moving(prim, len(deps))
        scalar = type(out) is float
        shape = np.shape(out)
        acc: object = 0
        parts: list[tuple[Sets, None]] = []
        for i, (d, p) in enumerate(zip(deps, partials)):
            if d is None or p is None:
                continue
            keep = None
            if i not in moving:  # a piecewise-constant partial: its value on this path decides
                nz = np.asarray(p) != 0.0
                if nz.ndim == 0:
                    if not nz:
                        continue
                else:
                    keep = nz
            if scalar:
                acc = acc | d  # type: ignore[operator]
                continue
            s = self.spread(d, shape)
            parts.append((s.keep(keep) if keep is not None else s, None))
        if self.interactions is not None:
            for i, j in pairs:
                if i <= j and deps[i] is not None and deps[j] is not None:
                    self.interact(deps[i], deps[j], shape)
        if scalar:
            return acc
        return group(parts, math.prod(shape), shape) if parts else Sets.empty(shape)

    # ---- Hessian interactions ---------------------------------------------------------------
    def interact(self, a: object, b: object, shape: tuple = ()) -> None:
        """Every entry in a gains b and every entry in b gains a, element by element."""
        if type(a) is int and type(b) is int:
            self._pair(a, b)
            return
        if shape == ():
            shape = np.broadcast_shapes(_shape_of(a), _shape_of(b))
        sa, sb = self.spread(a, shape), self.spread(b, shape)
        pairs = sa.size * sa.per * sb.per if sa.per >= 0 and sb.per >= 0 else int((sa.counts() * sb.counts()).sum())
        self.room(2 * pairs, f"the nonlinear interactions of {pairs:,} pairs of input entries")
        left, right = cross(sa, sb)
        if len(left):  # type: ignore[arg-type]
            w = self.width
            self.joined.append(left * w + right)  # type: ignore[operator]
            if a is not b:  # a with itself gives every pair both ways already
                self.joined.append(right * w + left)  # type: ignore[operator]
            self._pending += 2 * len(left)  # type: ignore[arg-type]
            if self._pending > 4 * w + 1_000_000:  # keep the pairs seen so far once each
                self.joined = [distinct(np.concatenate(self.joined))]
                self._pending = len(self.joined[0])  # type: ignore[arg-type]

    def room(self, entries: int, what: str) -> None:
        """Check ``entries`` more members (8 bytes each), with the interaction keys kept so far,
        against the run's memory budget: a clear ``limit`` error, never a MemoryError."""
        self.budget.need(8 * (entries + self._pending), None, what)

    def spread(self, d: object, shape: tuple) -> Sets:
        """``spread`` with its size checked first (a number's set repeated over a large array)."""
        if type(d) is int and d:
            m = math.prod(shape)
            self.room(m * d.bit_count(), f"a set of {d.bit_count():,} input entries for each of {m:,} elements")
        return spread(d, shape)

    def _pair(self, a: int, b: int) -> None:
        n = self.interactions
        for j in bits(a):
            n[j] |= b  # type: ignore[index]
        for j in bits(b):
            n[j] |= a  # type: ignore[index]

    def adjacency(self) -> tuple[object, object]:
        """The interaction pattern N as CSR ``(ptr, idx)``: input entry j's set is
        ``idx[ptr[j]:ptr[j + 1]]`` (ascending; symmetric; j itself where it interacts with itself)."""
        w = self.width
        keys = list(self.joined)
        numbers = self.interactions or ()
        if any(numbers):  # pairs of numbers were seen (one C-level scan of the ints when none were)
            for j, s in enumerate(numbers):
                if s:
                    keys.append(j * w + members(s))  # type: ignore[operator]
        key = distinct(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        rows = key // w
        return np.searchsorted(rows, np.arange(w + 1, dtype=np.int64)), key - rows * w


def _shape_of(d: object) -> tuple:
    return d.shape if type(d) is Sets else ()  # type: ignore[union-attr]


def spread(d: object, shape: tuple) -> Sets:
    """An index domain as one set per element of ``shape`` (a number's set repeated; None: empty)."""
    if type(d) is Sets:
        return d.broadcast(shape)  # type: ignore[union-attr]
    if not d:
        return Sets.empty(shape)
    return Sets.same(shape, members(int(d)))  # type: ignore[call-overload]


def _as_set(d: object) -> int:
    if type(d) is Sets:
        return bitset(d.union_all())  # type: ignore[union-attr]
    return int(d) if d is not None else 0  # type: ignore[call-overload]


def _positions(shape: tuple) -> object:
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def _row(s: Sets, e: int) -> int:
    return bitset(s.idx[s.ptr[e]:s.ptr[e + 1]])  # type: ignore[index]


# ---- array primitives: one dependency rule each ------------------------------------------------

def _dense(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    """An array primitive without a rule: every output entry depends on everything (a superset)."""
    every = 0
    for d in deps:
        every |= _as_set(d)
    if mode.interactions is not None:
        mode.interact(every, every)
    return every


def _index(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    x, d = primals[0], deps[0]
    key = build_key(x, params, primals[1:])
    if len(key) == x.ndim and all(type(k) is int for k in key):  # type: ignore[attr-defined]
        e = 0
        for k, n in zip(key, x.shape):  # type: ignore[attr-defined]
            e = e * n + k % n
        return _row(d, e)
    pos = _positions(x.shape)[key]  # type: ignore[attr-defined]
    return d.take(pos, pos.shape)


def _setitem(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    x = primals[0]
    shape = np.shape(x)
    key = build_key(x, params, primals[2:])
    target = np.asarray(_positions(shape)[key])
    base = mode.spread(deps[0], shape)
    new = mode.spread(deps[1], target.shape)
    both = Sets((base.size + new.size,), np.concatenate([base.ptr, new.ptr[1:] + base.ptr[-1]]),  # type: ignore
                np.concatenate([base.idx, new.idx]))
    sel = np.arange(base.size, dtype=np.int64)
    sel[target.reshape(-1)] = base.size + np.arange(new.size, dtype=np.int64)
    return both.take(sel, shape)


def _literal(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    shape = np.shape(out)
    rows = [mode.spread(d, shape[1:]) for d in deps]
    ptr = [np.zeros(1, dtype=np.int64)]
    at = 0
    for r in rows:
        ptr.append(r.ptr[1:] + at)  # type: ignore[operator]
        at += int(r.ptr[-1])  # type: ignore[index]
    return Sets(shape, np.concatenate(ptr), np.concatenate([r.idx for r in rows]))


def _union(d: object, axis: int | None, out: object) -> object:
    if type(d) is not Sets:
        return d
    if axis is None or type(out) is float or np.ndim(out) == 0:
        return _as_set(d)
    shape = np.shape(out)
    target = np.broadcast_to(np.expand_dims(_positions(shape), axis), d.shape)  # type: ignore[union-attr]
    return group([(d, target)], math.prod(shape), shape)  # type: ignore[list-item]


def _reduction(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    return _union(deps[0], params[0] if params else None, out)


def _extreme(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    """max/min: only the chosen elements (ties share the derivative, so each tie counts)."""
    axis = params[0] if params else None
    x = primals[0]
    chosen = np.equal(x, np.broadcast_to(np.expand_dims(out, axis) if axis is not None else out, x.shape))
    return _union(spread(deps[0], x.shape).keep(chosen), axis, out)  # type: ignore[attr-defined]


def _prod(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    """prod: each element interacts with every other element of its product (not with itself)."""
    axis = params[0] if params else None
    d = spread(deps[0], np.shape(primals[0])).to_objects()
    if mode.interactions is not None:
        groups = d.reshape(1, -1) if axis is None else np.moveaxis(d, axis, -1).reshape(-1, d.shape[axis])
        for g in groups:
            m = len(g)
            prefix = [0] * (m + 1)
            suffix = [0] * (m + 1)
            for k in range(m):
                prefix[k + 1] = prefix[k] | g[k]
                suffix[m - 1 - k] = suffix[m - k] | g[m - 1 - k]
            for k in range(m):
                others = prefix[k] | suffix[k + 1]
                if g[k] and others:
                    mode._pair(g[k], others)
    return _union(Sets.from_objects(d), axis, out)


def _matmul(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    """C = A @ B: C[i, k] depends on A[i, j] where B[j, k] ≠ 0 or B is active, and on B[j, k] where
    A[i, j] ≠ 0 or A is active; the products A[i, j]·B[j, k] interact when both are active."""
    a, b = primals
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    da = spread(deps[0], a.shape).to_objects().reshape(a2.shape) if deps[0] is not None else None
    db = spread(deps[1], b.shape).to_objects().reshape(b2.shape) if deps[1] is not None else None
    acc = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
    acc[...] = 0
    for j in range(a2.shape[1]):
        if da is not None:
            left = da[:, j:j + 1] if db is not None else np.where(b2[j:j + 1, :] != 0.0, da[:, j:j + 1], 0)
            acc = acc | left
        if db is not None:
            right = db[j:j + 1, :] if da is not None else np.where(a2[:, j:j + 1] != 0.0, db[j:j + 1, :], 0)
            acc = acc | right
        if da is not None and db is not None and mode.interactions is not None:
            for x in da[:, j]:
                for y in db[j, :]:
                    if x and y:
                        mode._pair(x, y)
    return Sets.from_objects(acc.reshape(np.shape(out))) if np.shape(out) else int(acc.reshape(-1)[0])


def _transpose(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    pos = _positions(np.shape(primals[0])).T
    return deps[0].take(pos, pos.shape)


def _norm(mode: PatternMode, primals: Sequence[object], deps: list, params: tuple, out: object) -> object:
    every = _as_set(deps[0])
    if mode.interactions is not None:
        mode.interact(every, every)
    return every


_ARRAY_RULES = {"index": _index, "setitem": _setitem, "array": _literal, "sum": _reduction, "mean": _reduction,
                "prod": _prod, "amax": _extreme, "amin": _extreme, "matmul": _matmul, "dot": _matmul,
                "transpose": _transpose, "norm": _norm}

__all__ = ["Pat", "PatternMode", "bits", "nonlinear_pairs", "spread"]
