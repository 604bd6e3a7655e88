"""Colourings of sparsity patterns, and the recovery of compressed derivatives.

Contract (Gebremedhin, Manne & Pothen, "What Color Is Your Jacobian? Graph Coloring for
Computing Derivatives", SIAM Review 47(4), 2005).  A pattern is CSR, ``(ptr, idx)`` of int64 NumPy
arrays: row i's columns are ``idx[ptr[i]:ptr[i + 1]]``, ascending (``csr(bitsets)`` makes one from
Python int bit sets, one per row):

- ``column_coloring(rows, n)``: a distance-1 colouring of the column intersection graph of a
  Jacobian pattern: two columns sharing a row get different colours, so in ``B = J·S`` (S: one
  seed column per colour, the sum of its columns' unit vectors) every nonzero ``J[i, j]`` is
  ``B[i, colour(j)]`` alone.  Greedy, natural order.
- ``star_coloring(adjacency)``: a star colouring of the adjacency graph of a symmetric pattern (a
  row's own index, if present, is ignored): a distance-1 colouring in which every path on four
  vertices uses at least three colours (GMP 2005, Algorithm 4.1, greedy in natural order).  Then
  for every nonzero ``H[i, j]`` either j is the only column of its colour among row i's nonzeros,
  or i is among row j's: ``recover_symmetric`` reads it from ``B = H·S``.
- ``recover_columns`` / ``recover_symmetric``: the nonzeros, in the pattern's (row-major) order,
  as NumPy arrays, read from the compressed ``B`` (an m × K array) by index arithmetic.
- ``is_distance1``, ``is_star``: independent checks (tests use them on random graphs).

The colourings are greedy, one vertex after another (each choice depends on the ones before);
the loops run over Python lists of the neighbours.  A star colouring of 256 vertices or more is
first guessed — a prefix coloured by the loop, its period repeated — and the guess checked for
every vertex at once by array arithmetic; the result is the loop's, vertex for vertex, whichever
way it was found (``_star_greedy``).  A colouring depends on the pattern alone, so
the last ``REMEMBERED`` patterns' colourings are kept, keyed by a 128-bit BLAKE2 digest of the
pattern: repeated derivatives of one structure (an optimiser's Newton steps) colour it once
(``forget()`` drops them).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from adcalc.rules.registry import np
from adcalc.transform.indexsets import members


def csr(bitsets: Sequence[int]) -> tuple[object, object]:
    """The CSR pattern of rows given as Python int bit sets."""
    parts = [members(int(s)) for s in bitsets]
    ptr = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=ptr[1:])  # type: ignore[arg-type]
    return ptr, (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))


def _lists(pattern: tuple[object, object]) -> list[list[int]]:
    ptr, idx = pattern[0].tolist(), pattern[1].tolist()  # type: ignore[attr-defined]
    return [idx[a:b] for a, b in zip(ptr, ptr[1:])]


def _rows_of_each(ptr: object) -> object:
    return np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))  # type: ignore[arg-type]


REMEMBERED = 16
_MEMO: OrderedDict[bytes, tuple[int, ...]] = OrderedDict()
_MEMO_LOCK = threading.Lock()


def _remembered(kind: str, pattern: tuple[object, object], n: int, colour: Callable[[], list[int]]) -> list[int]:
    """``colour()``, or the colouring found before for this pattern (module docstring)."""
    h = hashlib.blake2b(kind.encode(), digest_size=16)
    h.update(n.to_bytes(8, "little"))
    for part in pattern:
        a = np.ascontiguousarray(part, dtype=np.int64)
        h.update(len(a).to_bytes(8, "little"))  # type: ignore[arg-type]
        h.update(a.tobytes())  # type: ignore[attr-defined]
    key = h.digest()
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
        if hit is not None:
            _MEMO.move_to_end(key)
            return list(hit)
    found = colour()
    with _MEMO_LOCK:
        _MEMO[key] = tuple(found)
        while len(_MEMO) > REMEMBERED:
            _MEMO.popitem(last=False)
    return found


def forget() -> None:
    """Drop the remembered colourings (the next colouring of every pattern is computed afresh)."""
    with _MEMO_LOCK:
        _MEMO.clear()


def column_coloring(rows: tuple[object, object], n: int) -> list[int]:
    """Greedy distance-1 colouring of the columns (see the module docstring)."""
    return _remembered("columns", rows, n, lambda: _column_greedy(rows, n))


def star_coloring(adjacency: tuple[object, object]) -> list[int]:
    """Greedy star colouring (GMP 2005, Algorithm 4.1) of a graph given as a CSR pattern."""
    return _remembered("star", adjacency, len(adjacency[0]) - 1, lambda: _star_greedy(adjacency))  # type: ignore


def _column_greedy(rows: tuple[object, object], n: int) -> list[int]:
    ptr, idx = rows
    order = np.argsort(idx, kind="stable")
    by_column = (np.concatenate([[0], np.cumsum(np.bincount(idx, minlength=n))]).astype(np.int64),  # type: ignore
                 _rows_of_each(ptr)[order])  # type: ignore[index]
    members_of = _lists(rows)
    rows_of = _lists(by_column)
    colour = [-1] * n
    for j in range(n):
        forbidden = {colour[k] for i in rows_of[j] for k in members_of[i] if colour[k] >= 0}
        c = 0
        while c in forbidden:
            c += 1
        colour[j] = c
    return colour


def _neighbours(adjacency: tuple[object, object]) -> list[list[int]]:
    """Each vertex's neighbours, itself left out."""
    return _lists(_off_diagonal(adjacency))


def _off_diagonal(adjacency: tuple[object, object]) -> tuple[object, object]:
    """The CSR pattern with each vertex's own index left out."""
    ptr, idx = adjacency
    other = idx != _rows_of_each(ptr)  # type: ignore[operator]
    if other.all():
        return ptr, idx
    kept = np.zeros(len(other) + 1, dtype=np.int64)
    np.cumsum(other, out=kept[1:])
    return kept[ptr], idx[other]  # type: ignore[index]


def _rows_padded(graph: tuple[object, object]) -> list[list[int]]:
    """The neighbour lists of a CSR graph without its diagonal, and after the n vertices one more:
    vertex n, never coloured and with no neighbours, which pads the shorter rows when every row
    has about as many entries (one ``tolist`` of an n × width table makes the lists at half the
    cost of slicing a long one); plain rows when padding would add more than n entries."""
    ptr, idx = graph
    n = len(ptr) - 1  # type: ignore[arg-type]
    count = ptr[1:] - ptr[:-1]  # type: ignore[index, operator]
    width = int(count.max()) if n else 0
    if width * n > len(idx) + n:  # type: ignore[arg-type]
        return [*_lists(graph), []]
    rows = _rows_of_each(ptr)
    table = np.full((n, width), n, dtype=np.int64)
    table[rows, np.arange(len(idx), dtype=np.int64) - ptr[rows]] = idx  # type: ignore[arg-type, index]
    return [*table.tolist(), []]


def _rows_near(graph: tuple[object, object], a: int, b: int) -> list[list[int] | None]:
    """The neighbour lists the greedy loop reads while it colours vertices a … b − 1 (those of
    every vertex within two steps of them: one contiguous range), None elsewhere; all of them
    (``_rows_padded``) when that range is most of the graph."""
    ptr, idx = graph
    n = len(ptr) - 1  # type: ignore[arg-type]
    lo, hi = a, b - 1
    for _ in range(2):
        near = idx[ptr[lo]:ptr[hi + 1]]  # type: ignore[index]
        if len(near):
            lo, hi = min(lo, int(near.min())), max(hi, int(near.max()))
    if 2 * (hi - lo + 1) > n:
        return _rows_padded(graph)  # type: ignore[return-value]
    il, pl = idx[ptr[lo]:ptr[hi + 1]].tolist(), (ptr[lo:hi + 2] - ptr[lo]).tolist()  # type: ignore[index, operator]
    return [*[None] * lo, *[il[s:e] for s, e in zip(pl, pl[1:])], *[None] * (n + 1 - hi - 1)]


SPECULATE_FROM = 256  # vertices: smaller graphs are coloured by the loop alone
PREFIX = 96  # vertices coloured by the loop before a periodic guess for the rest is checked


def _star_greedy(adjacency: tuple[object, object]) -> list[int]:
    """Greedy star colouring (GMP 2005, Algorithm 4.1) of a graph given as a CSR pattern, in
    natural order.  Large graphs first try a shortcut with the same result: the loop colours a
    prefix; when the prefix's colours end in a repeating period (banded and block patterns: a
    stencil's, a chain's) the rest is guessed by repeating it, and every vertex's greedy choice
    given the guess is computed at once by array arithmetic (``_first_wrong``).  A guess that
    agrees with every choice IS the greedy colouring (vertex v's choice reads only the colours
    before v: by induction each is the loop's); otherwise the guess holds up to the first vertex
    whose choice differs, and the loop takes over there."""
    graph = _off_diagonal(adjacency)
    n = len(graph[0]) - 1  # type: ignore[arg-type]
    colour = [-1] * (n + 1)  # vertex n (the padding of _rows_padded) stays uncoloured
    at = 0
    if n >= SPECULATE_FROM:
        _loop(_rows_near(graph, 0, PREFIX), colour, 0, PREFIX)
        at = PREFIX
        guess = _periodic(colour[:PREFIX], n)
        if guess is not None:
            good = _first_wrong(graph, guess)
            if good > at:
                colour[at:good] = guess[at:good].tolist()  # type: ignore[index, attr-defined]
                at = good
    if at < n:
        _loop(_rows_near(graph, at, n) if at else _rows_padded(graph), colour, at, n)
    del colour[n]
    return colour


def _loop(adj: list, colour: list[int], first: int, stop: int) -> None:
    """Algorithm 4.1's loop over vertices first … stop − 1, the ones before ``first`` coloured.
    At v's turn exactly the vertices before v are coloured (v itself is not, so no path needs
    ``!= v``); the forbidden colours are one int's bits.  The order in which colours get
    forbidden does not change the set, so a vertex with many neighbours forbids their own colours
    first, and once every colour used so far is forbidden the paths are not walked further (v
    takes a new colour): a dense pattern costs O(n²), not O(n³)."""
    full = 0  # the bits of the colours used so far
    for c in set(colour[:first]):
        full |= 1 << c
    for v in range(first, stop):
        around = adj[v]
        forbidden = 0
        if len(around) > 8:  # many neighbours: their own colours first, often all there are
            for w in around:
                cw = colour[w]
                if cw >= 0:
                    forbidden |= 1 << cw
        for w in around:
            if forbidden == full:
                break
            cw = colour[w]
            if cw < 0:  # every coloured vertex two steps away through an uncoloured one
                for x in adj[w]:
                    cx = colour[x]
                    if cx >= 0:
                        forbidden |= 1 << cx
                continue
            forbidden |= 1 << cw
            for x in adj[w]:  # x would make v-w-x-y two-coloured if another neighbour y of x has w's colour
                cx = colour[x]
                if cx < 0 or forbidden >> cx & 1:
                    continue
                for y in adj[x]:
                    if y != w and colour[y] == cw:
                        forbidden |= 1 << cx
                        break
        c = (~forbidden & (forbidden + 1)).bit_length() - 1  # the smallest colour not forbidden
        colour[v] = c
        full |= 1 << c


def _periodic(prefix: list[int], n: int) -> object | None:
    """The colours of n vertices continuing ``prefix`` by the period its second half repeats
    (None when it repeats none of at most a quarter of its length)."""
    m = len(prefix)
    half = prefix[m // 2:]
    for p in range(1, m // 4 + 1):
        if half == prefix[m // 2 - p:m - p]:
            guess = np.empty(n, dtype=np.int64)
            guess[:m] = prefix
            base = m - p
            guess[m:] = np.asarray(prefix[base:], dtype=np.int64)[(np.arange(m, n, dtype=np.int64) - base) % p]
            return guess
    return None


def _expand(graph: tuple[object, object], heads: object) -> tuple[object, object]:
    """For each vertex of ``heads`` every neighbour: (which head, the neighbour)."""
    ptr, idx = graph
    count = ptr[heads + 1] - ptr[heads]  # type: ignore[index, operator]
    start = np.zeros(len(count) + 1, dtype=np.int64)
    np.cumsum(count, out=start[1:])
    total = int(start[-1])
    which = np.repeat(np.arange(len(count), dtype=np.int64), count)
    return which, idx[np.arange(total, dtype=np.int64) + (ptr[heads] - start[:-1])[which]]  # type: ignore[index]


def _first_wrong(graph: tuple[object, object], colour: object) -> int:
    """The first vertex whose greedy choice, given ``colour`` for the vertices before it, is not
    its colour there (n when none is; 0 when the paths to walk are too many to list: more than
    16 per pattern entry).  Vertex
    v's forbidden colours: those of its neighbours w < v; of every x < v two steps away through a
    neighbour w > v; of every x < v two steps away through a neighbour w < v when some other
    neighbour y < v of x has w's colour — as arrays of (v, colour) pairs, over every v at once."""
    ptr, idx = graph
    n = len(ptr) - 1  # type: ignore[arg-type]
    bound = 16 * len(idx) + 4096  # type: ignore[arg-type]
    c = np.asarray(colour, dtype=np.int64)
    width = int(c.max(initial=0)) + 2  # a forbidden colour is some vertex's, so a choice is at most max + 1
    degree = ptr[1:] - ptr[:-1]  # type: ignore[index, operator]
    if int(degree[idx].sum()) > bound or n * width > 8 * bound:  # type: ignore[index]
        return 0
    v = _rows_of_each(ptr)
    down = idx < v  # type: ignore[operator]
    va, wa = v[down], idx[down]  # type: ignore[index]
    k, x = _expand(graph, idx)  # every edge (v, w), every neighbour x of w
    vk = v[k]  # type: ignore[index]
    low = x < vk  # type: ignore[operator]
    through_down = down[k] & low  # type: ignore[index]
    through_up = low & ~down[k]  # type: ignore[index]
    vb, xb = vk[through_up], x[through_up]  # type: ignore[index]
    vc, wc, xc = vk[through_down], idx[k][through_down], x[through_down]  # type: ignore[index]
    if int(degree[xc].sum()) > bound:  # type: ignore[index]
        return 0
    k, yc = _expand(graph, xc)
    forbidden = np.zeros(n * width, dtype=bool)
    forbidden[va * width + c[wa]] = True
    forbidden[vb * width + c[xb]] = True  # type: ignore[index]
    hit = (yc < vc[k]) & (yc != wc[k]) & (c[yc] == c[wc[k]])  # type: ignore[index, operator]
    forbidden[vc[k][hit] * width + c[xc[k][hit]]] = True  # type: ignore[index]
    choice = forbidden.reshape(n, width).argmin(axis=1)
    wrong = np.flatnonzero(choice != c)
    return int(wrong[0]) if len(wrong) else n


def recover_columns(rows: tuple[object, object], colour: Sequence[int], compressed: object
                    ) -> tuple[object, object, object]:
    """The nonzeros (i, j, J[i, j]) of a Jacobian from ``compressed[i, c]`` = (J·S)[i, c]."""
    ptr, idx = rows
    i = _rows_of_each(ptr)
    col = np.asarray(colour, dtype=np.int64)
    b = np.asarray(compressed, dtype=float).reshape(len(ptr) - 1, -1)  # type: ignore[arg-type]
    return i, idx, (b[i, col[idx]] if len(idx) else np.zeros(0))  # type: ignore[index, arg-type]


def recover_symmetric(adjacency: tuple[object, object], colour: Sequence[int], compressed: object
                      ) -> tuple[object, object, object, object]:
    """The nonzeros (i, j, H[i, j], mirrored) of a symmetric matrix from ``compressed[i, c]`` =
    (H·S)[i, c], star colouring: read in row i where j is alone in its colour there (the diagonal
    always is), else from row j (``mirrored``: the value is (H·S)[j, colour(i)] = H[j, i])."""
    ptr, idx = adjacency
    n = len(ptr) - 1  # type: ignore[arg-type]
    col = np.asarray(colour, dtype=np.int64)
    b = np.asarray(compressed, dtype=float).reshape(n, -1)
    k = b.shape[1]
    i = _rows_of_each(ptr)
    if not len(idx):  # type: ignore[arg-type]
        return i, idx, np.zeros(0), np.zeros(0, dtype=bool)
    key = i * k + col[idx]  # type: ignore[index]
    alone = np.bincount(key, minlength=n * k)[key] == 1
    values = np.where(alone, b[i, col[idx]], b[idx, col[i]])  # type: ignore[index]
    return i, idx, values, ~alone


def is_distance1(rows: tuple[object, object], colour: Sequence[int]) -> bool:
    """No row holds two columns of one colour."""
    for r in _lists(rows):
        seen = [colour[j] for j in r]
        if len(seen) != len(set(seen)):
            return False
    return True


def is_star(adjacency: tuple[object, object], colour: Sequence[int]) -> bool:
    """Adjacent vertices differ, and no path on four vertices is coloured with two colours."""
    adj = _neighbours(adjacency)
    n = len(adj)
    for v in range(n):
        for w in adj[v]:
            if colour[v] == colour[w]:
                return False
    for a in range(n):
        for b in adj[a]:
            for c in adj[b]:
                if c == a or colour[c] != colour[a]:
                    continue
                for d in adj[c]:
                    if d != b and d != a and colour[d] == colour[b]:
                        return False
    return True
