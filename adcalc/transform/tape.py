"""The reverse-mode tape and its one backward sweep.

Storage is struct-of-arrays, one slot per node for each of the (at most two) arguments:
``values``, ``arg0``/``arg1`` (node index, -1 for none) and ``partial0``/``partial1``, in
``array('d')``/``array('q')``: 40 bytes per recorded operation, no object per node, nothing for
the cyclic garbage collector to walk.

Three other kinds of node, told apart by ``arg0`` (never a node index there):

- a *rule node* (``arg0 = RULE``) records any other step — arrays (an input-dependent array is an
  ``ANode``: its tape index and value), array primitives, more than two arguments — as
  ``tape.rules[k] = (parents, pull, is_array)``, where ``pull(ȳ)`` returns each parent's cotangent
  (already un-broadcast to its shape);
- an *element node* (``arg0 = ELEM - p``, ``arg1`` the row-major position) is a read of one
  element of the array node ``p`` (``x[i]``, ``A[i, j]``): a scalar node, 40 bytes like any other.
  The sweep adds its adjoint into a dense list of floats per array (``tape.shapes[p]`` gives its
  shape), turned into the array's adjoint when the sweep reaches ``p`` or another cotangent of
  ``p`` arrives — so a loop reading ``x[i]`` costs O(1) per read, not an array per read.  The
  additions are the ones the ``index`` rule's ``Scatter`` made, in the same order, so the adjoints
  are the same floats (a traced run takes the rule node, and must agree with an untraced one).

``sweep`` is the one backward sweep, for every kind of node and for tapes of numbers or of dual
numbers (forward-over-reverse: the partials are ``DualPartial`` boxes, so the sweep's zero rule
holds on their values and tangents too).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

from adcalc.rules.indexing import Scatter
from adcalc.rules.registry import np

RULE = -2  # arg0 of a rule node
ELEM = -3  # arg0 of an element node is ELEM - (the array's node index): always below RULE


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

    __slots__ = ("values", "arg0", "arg1", "partial0", "partial1", "rules", "shapes")

    def __init__(self, boxed: bool = False) -> None:
        """``boxed``: values and partials are objects (duals, for forward-over-reverse)."""
        self.values = [] if boxed else array("d")
        self.arg0 = array("q")
        self.arg1 = array("q")
        self.partial0 = [] if boxed else array("d")
        self.partial1 = [] if boxed else array("d")
        self.rules: dict[int, tuple] = {}  # rule nodes: k → (parents, pull, is_array)
        self.shapes: dict[int, tuple[int, ...]] = {}  # array nodes read element by element: p → shape

    def __len__(self) -> int:
        return len(self.values)

    def nbytes(self) -> int:
        """Bytes held by the tape's arrays (float tapes only)."""
        return sum(a.itemsize * len(a) for a in (self.values, self.arg0, self.arg1, self.partial0, self.partial1))


Update = Callable[[int, int, int, object, object], None]  # (target, source, position, contribution, adjoint after)


def sweep(tape: Tape, seeds: dict[int, object], on_update: Update | None = None) -> list[object]:
    """One reverse sweep: the adjoint of every node, given the output seeds ``{node: ȳ}`` (an array
    for an array node).  Array nodes' adjoints are arrays of their shape (None where no cotangent
    reached them).  ``on_update`` (traced runs) sees every update in the order it is made.  NumPy's
    floating-point warnings are off for the sweep: inf − inf in an accumulation is nan, reported by
    the modes' own notes, never as a NumPy RuntimeWarning on the user's screen."""
    rules = tape.rules
    adj: list[object] = [0.0] * len(tape.values)
    arrays: dict[int, object] = {}  # adjoints of array nodes
    for node, g in seeds.items():
        if node in rules and rules[node][2]:
            arrays[node] = g
        else:
            adj[node] = adj[node] + g  # type: ignore[operator]
    arg0, arg1, partial0, partial1 = tape.arg0, tape.arg1, tape.partial0, tape.partial1
    owned: set[int] = set()  # array adjoints we allocated ourselves: safe to add into in place
    acc = _Reads(tape.shapes, arrays, owned)
    reads = acc.lists
    with np.errstate(all="ignore") if rules else _Nothing():
        for k in range(len(adj) - 1, -1, -1):
            a = arg0[k]
            if a < -1:
                if a == RULE:
                    if k in reads:
                        acc.settle(k)
                    _pull(k, rules[k], adj, arrays, acc, on_update)
                    continue
                g = adj[k]  # an element node: x̄[position] += ȳ
                if g != 0.0:
                    buf = reads.get(ELEM - a)
                    if buf is None:
                        acc.add(ELEM - a, arg1[k], g)
                    else:
                        buf[arg1[k]] += g  # type: ignore[operator]
                continue
            g = adj[k]
            if g != 0.0:
                if a >= 0:
                    p = partial0[k]
                    c = 0.0
                    if p != 0.0:
                        c = g * p
                        adj[a] = adj[a] + c  # type: ignore[operator]
                    if on_update is not None:
                        on_update(a, k, 0, c, adj[a])
                a = arg1[k]
                if a >= 0:
                    p = partial1[k]
                    c = 0.0
                    if p != 0.0:
                        c = g * p
                        adj[a] = adj[a] + c  # type: ignore[operator]
                    if on_update is not None:
                        on_update(a, k, 1, c, adj[a])
    for node in list(reads):  # every array node is a rule node, settled above; for safety
        acc.settle(node)
    for node, g in arrays.items():
        adj[node] = g
    for node, (_, _, is_array) in rules.items():
        if is_array and node not in arrays:
            adj[node] = None  # no cotangent reached it: zero (the caller fills in its shape)
    return adj


class _Nothing:
    """A context manager that does nothing (NumPy is not imported for tapes without rule nodes)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _Reads:
    """The element nodes' cotangents of each array: a dense list of floats (row-major) while only
    element reads have reached the array, its adjoint array once anything else has."""

    __slots__ = ("shapes", "arrays", "owned", "lists")

    def __init__(self, shapes: dict[int, tuple[int, ...]], arrays: dict[int, object], owned: set[int]):
        self.shapes, self.arrays, self.owned = shapes, arrays, owned
        self.lists: dict[int, list[float]] = {}

    def add(self, node: int, position: int, g: object) -> None:
        """The first element cotangent of ``node`` this sweep (or one after a dense cotangent)."""
        prev = self.arrays.get(node)
        if prev is None:
            shape = self.shapes[node]
            size = 1
            for n in shape:
                size *= n
            buf = self.lists[node] = [0.0] * size
            buf[position] += g  # type: ignore[operator]
            return
        if node not in self.owned:  # as the Scatter rule does: a copy we may write into
            prev = self.arrays[node] = prev + np.zeros(self.shapes[node])
            self.owned.add(node)
        prev.flat[position] += g  # type: ignore[attr-defined]  (row-major, whatever its memory layout)

    def settle(self, node: int) -> None:
        """The list becomes the array's adjoint (before anything else adds into it)."""
        self.arrays[node] = np.array(self.lists.pop(node), dtype=float).reshape(self.shapes[node])
        self.owned.add(node)


def _pull(k: int, rule: tuple, adj: list[object], arrays: dict[int, object], acc: _Reads,
          on_update: Update | None) -> None:
    """A rule node's part of the sweep: its parents' cotangents from ``pull(ȳ)``, accumulated
    (in place into adjoints this sweep owns; sparse ``Scatter`` cotangents into their slice)."""
    parents, pull, is_array = rule
    g = arrays.get(k) if is_array else adj[k]
    if g is None or pull is None or (not is_array and type(g) is float and g == 0.0):
        return
    cotangents = pull(g)
    for position, ((parent, parent_is_array), ct) in enumerate(zip(parents, cotangents)):
        if parent < 0 or ct is None:
            continue
        if parent_is_array:
            if parent in acc.lists:
                acc.settle(parent)
            owned = acc.owned
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
            adj[parent] = adj[parent] + (float(ct) if type(ct) is not float and hasattr(ct, "shape") else ct)
            new = adj[parent]
        if on_update is not None:
            on_update(parent, k, position, ct, new.copy() if hasattr(new, "copy") else new)


__all__ = ["ANode", "ELEM", "RULE", "Tape", "Update", "sweep"]
