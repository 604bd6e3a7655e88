"""Index sets of every element of an array at once: a sparse boolean matrix in CSR form.

Contract: ``Sets(shape, ptr, idx)`` holds one set of input entries per element of an array of
``shape`` (row-major): element ``e``'s members are ``idx[ptr[e]:ptr[e + 1]]``, ascending and without
repeats (``ptr`` and ``idx`` are int64 NumPy arrays).  Every operation is NumPy index arithmetic —
no Python loop per element or per member — and returns new ``Sets``:

- ``Sets.units(shape, first)``: element e is {first + e} (an input array);
- ``Sets.same(shape, members)``: every element is one set (a number's set broadcast);
- ``s.take(rows, shape)``: element i is s's element ``rows[i]`` (slicing, fancy indexing,
  broadcasting: the rows are positions of ``arange(size).reshape(shape)`` under the same key);
- ``group(parts, m, shape)``: element t is the union of every part's elements mapped to t
  (``parts``: (Sets, target row of each of its elements)) — the union of equal shapes, and
  reductions along an axis;
- ``s.keep(mask)``: the elements where ``mask`` is False become empty;
- ``s.union_all()``: the union of every element, an ascending member array;
- ``cross(a, b)``: for every element e, every (i, j) with i in a[e], j in b[e] (a join on the row:
  Walther's nonlinear interactions of an elementwise step), as two member arrays;
- ``distinct(values)``: the distinct values of an int array, ascending;
- ``members(bitset)`` / ``bitset(members)``: a Python int bit set ↔ an ascending member array
  (scalars keep int bit sets: one ``|`` is faster than any array operation);
- ``s.to_objects()`` / ``Sets.from_objects(a)``: to and from a NumPy object array of bit sets (the
  rules that have no vectorised form read that).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from adcalc.rules.registry import np

_EMPTY = np.zeros(0, dtype=np.int64)


class Sets:
    """One ascending set of input entries per element of an array (see the module docstring).
    ``per`` is the number of members of every element when they all have the same (an input, its
    slices, unions of those): then ``idx`` reshaped (size, per) is the sets, and the operations
    take their shorter way; -1 otherwise."""

    __slots__ = ("shape", "ptr", "idx", "per")

    def __init__(self, shape: tuple, ptr: object, idx: object, per: int = -1):
        self.shape, self.ptr, self.idx, self.per = tuple(shape), ptr, idx, per

    def __repr__(self) -> str:
        return f"Sets({self.shape}, {self.ptr!r}, {self.idx!r})"

    @property
    def size(self) -> int:
        return len(self.ptr) - 1  # type: ignore[arg-type]

    @staticmethod
    def uniform(shape: tuple, table: object) -> Sets:
        """Element e is row e of ``table`` (size × per, each row ascending and distinct)."""
        m, per = np.shape(table)
        return Sets(shape, np.arange(0, m * per + 1, per, dtype=np.int64) if per else np.zeros(m + 1, np.int64),
                    np.asarray(table, dtype=np.int64).reshape(-1), per)

    @staticmethod
    def units(shape: tuple, first: int) -> Sets:
        m = math.prod(shape)
        return Sets(shape, np.arange(m + 1, dtype=np.int64), first + np.arange(m, dtype=np.int64), 1)

    @staticmethod
    def same(shape: tuple, mem: object) -> Sets:
        m = math.prod(shape)
        mem = np.asarray(mem, dtype=np.int64)
        return Sets.uniform(shape, np.broadcast_to(mem, (m, len(mem))))

    @staticmethod
    def empty(shape: tuple) -> Sets:
        m = math.prod(shape)
        return Sets(shape, np.zeros(m + 1, dtype=np.int64), _EMPTY, 0)

    def table(self) -> object:
        """The (size, per) member table of a uniform Sets."""
        return self.idx.reshape(self.size, self.per)  # type: ignore[attr-defined]

    def counts(self) -> object:
        return self.ptr[1:] - self.ptr[:-1]  # type: ignore[index]

    def row_of_each(self) -> object:
        """The element each member belongs to."""
        if self.per >= 0:
            return np.repeat(np.arange(self.size, dtype=np.int64), self.per)
        return np.repeat(np.arange(self.size, dtype=np.int64), self.counts())

    def any(self) -> bool:
        return len(self.idx) > 0  # type: ignore[arg-type]

    def take(self, rows: object, shape: tuple) -> Sets:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        m = len(rows)
        if self.per >= 0:
            return Sets.uniform(shape, self.table()[rows])  # type: ignore[index]
        if m and rows[-1] - rows[0] == m - 1 and (m < 3 or (rows[1:] - rows[:-1] == 1).all()):
            a, b = self.ptr[rows[0]], self.ptr[rows[-1] + 1]  # type: ignore[index]
            return Sets(shape, self.ptr[rows[0]:rows[-1] + 2] - a, self.idx[a:b])  # type: ignore[index, operator]
        start = self.ptr[rows]  # type: ignore[index]
        cnt = self.ptr[rows + 1] - start  # type: ignore[index]
        ptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(cnt, out=ptr[1:])
        total = int(ptr[-1])
        if total == 0:
            return Sets(shape, ptr, _EMPTY, 0)
        pos = np.arange(total, dtype=np.int64) + np.repeat(start - ptr[:-1], cnt)
        return Sets(shape, ptr, self.idx[pos])  # type: ignore[index]

    def broadcast(self, shape: tuple) -> Sets:
        if self.shape == tuple(shape):
            return self
        pos = np.arange(self.size, dtype=np.int64).reshape(self.shape)
        return self.take(np.broadcast_to(pos, shape), shape)

    def keep(self, mask: object) -> Sets:
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), self.shape).reshape(-1)
        if mask.all():
            return self
        cnt = np.where(mask, self.counts(), 0)
        ptr = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(cnt, out=ptr[1:])
        return Sets(self.shape, ptr, self.idx[np.repeat(mask, self.counts())])  # type: ignore[index]

    def union_all(self) -> object:
        return distinct(self.idx)

    def to_objects(self) -> object:
        out = np.empty(self.shape, dtype=object)
        flat = out.reshape(-1)
        ptr = self.ptr.tolist()  # type: ignore[attr-defined]
        idx = self.idx.tolist()  # type: ignore[attr-defined]
        for e in range(self.size):
            s = 0
            for j in idx[ptr[e]:ptr[e + 1]]:
                s |= 1 << j
            flat[e] = s
        return out

    @staticmethod
    def from_objects(a: object) -> Sets:
        a = np.asarray(a, dtype=object)
        ptr = np.zeros(a.size + 1, dtype=np.int64)
        parts = [members(int(s)) for s in a.reshape(-1)]
        np.cumsum([len(p) for p in parts], out=ptr[1:])
        return Sets(a.shape, ptr, np.concatenate(parts) if parts else _EMPTY)


def group(parts: Sequence[tuple[Sets, object]], m: int, shape: tuple) -> Sets:
    """Element t: the union of the parts' elements whose target is t (module docstring)."""
    if len(parts) == 1 and parts[0][1] is None and parts[0][0].shape == tuple(shape):
        return parts[0][0]
    if all(t is None and s.per >= 0 for s, t in parts):  # a union of uniform Sets: row by row
        table = np.sort(np.concatenate([s.table() for s, _ in parts], axis=1), axis=1, kind="stable")
        width = table.shape[1]
        if width < 2 or not len(table):
            return Sets.uniform(shape, table)
        flat = table.reshape(-1)
        keep = np.empty(len(flat), dtype=bool)  # each row's first of a run of equal members
        np.not_equal(flat[1:], flat[:-1], out=keep[1:])
        keep[::width] = True
        if keep.all():
            return Sets.uniform(shape, table)
        ptr = np.zeros(len(table) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum(keep)[width - 1::width]
        count = ptr[1:] - ptr[:-1]
        return Sets(shape, ptr, flat[keep], int(count[0]) if (count == count[0]).all() else -1)
    rows, cols = [], []
    for s, target in parts:
        r = s.row_of_each()
        rows.append(r if target is None else np.asarray(target, dtype=np.int64).reshape(-1)[r])
        cols.append(s.idx)
    row, col = np.concatenate(rows), np.concatenate(cols)
    width = int(col.max()) + 1 if len(col) else 1
    key = distinct(row * width + col)
    row = key // width
    return Sets(shape, np.searchsorted(row, np.arange(m + 1, dtype=np.int64)), key - row * width)


def cross(a: Sets, b: Sets) -> tuple[object, object]:
    """Every (i, j) with i in a[e] and j in b[e], for every element e of the common shape."""
    if a.per >= 0 and b.per >= 0:
        ta, tb = a.table(), b.table()
        if a.per == 1 and b.per == 1:  # one member each: the pairs are the rows side by side
            return ta.reshape(-1), tb.reshape(-1)
        return np.repeat(ta, b.per, axis=1).reshape(-1), np.tile(tb, (1, a.per)).reshape(-1)
    cb = b.counts()
    rows = a.row_of_each()
    rep = cb[rows]  # type: ignore[index]
    total = int(rep.sum())
    if total == 0:
        return _EMPTY, _EMPTY
    left = np.repeat(a.idx, rep)
    ptr = np.zeros(len(rep) + 1, dtype=np.int64)
    np.cumsum(rep, out=ptr[1:])
    pos = np.arange(total, dtype=np.int64) + np.repeat(b.ptr[rows] - ptr[:-1], rep)  # type: ignore[index]
    return left, b.idx[pos]  # type: ignore[index]


def distinct(a: object) -> object:
    """The distinct values of an int array, ascending.  A stable sort: the arrays here are a few
    ascending runs joined (one per part of a union), which it merges in linear time (NumPy's
    default sort and its hashing ``unique`` take 20–50× longer on them)."""
    a = np.sort(a, kind="stable")
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def members(s: int) -> object:
    """The members of an int bit set, ascending, as an int64 array."""
    if s == 0:
        return _EMPTY
    raw = np.frombuffer(s.to_bytes((s.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little")).astype(np.int64)


def bitset(mem: object) -> int:
    """The int bit set of a member array."""
    mem = np.asarray(mem, dtype=np.int64)
    if len(mem) == 0:
        return 0
    flags = np.zeros(int(mem.max()) + 1, dtype=bool)
    flags[mem] = True
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")


__all__ = ["Sets", "bitset", "cross", "distinct", "group", "members"]
