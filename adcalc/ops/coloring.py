"""Colourings of sparsity patterns, and the recovery of compressed derivatives.

Contract (Gebremedhin, Manne & Pothen, "What Color Is Your Jacobian? Graph Coloring for
Computing Derivatives", SIAM Review 47(4), 2005):

- ``column_coloring(rows, n)``: a distance-1 colouring of the column intersection graph of a
  Jacobian pattern (``rows[i]`` the bit set of row i's columns): two columns sharing a row get
  different colours, so in ``B = J·S`` (S: one seed column per colour, the sum of its columns'
  unit vectors) every nonzero ``J[i, j]`` is ``B[i, colour(j)]`` alone.  Greedy, natural order.
- ``star_coloring(adjacency)``: a star colouring of the adjacency graph of a symmetric pattern
  (``adjacency[i]`` the bit set of i's neighbours, i itself left out): a distance-1 colouring in
  which every path on four vertices uses at least three colours (GMP 2005, Algorithm 4.1, greedy
  in natural order).  Then for every nonzero ``H[i, j]`` either j is the only column of its colour
  among row i's nonzeros, or i is among row j's: ``recover_symmetric`` reads it from ``B = H·S``.
- ``is_distance1``, ``is_star``: independent checks (tests use them on random graphs).
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.transform.pattern import bits


def column_coloring(rows: Sequence[int], n: int) -> list[int]:
    """Greedy distance-1 colouring of the columns (see the module docstring)."""
    rows_of: list[list[int]] = [[] for _ in range(n)]
    members = [bits(r) for r in rows]
    for i, cols in enumerate(members):
        for j in cols:
            rows_of[j].append(i)
    colour = [-1] * n
    for j in range(n):
        forbidden = {colour[k] for i in rows_of[j] for k in members[i] if colour[k] >= 0}
        c = 0
        while c in forbidden:
            c += 1
        colour[j] = c
    return colour


def star_coloring(adjacency: Sequence[int]) -> list[int]:
    """Greedy star colouring (GMP 2005, Algorithm 4.1) of a graph given as neighbour bit sets."""
    n = len(adjacency)
    adj = [bits(a & ~(1 << v)) for v, a in enumerate(adjacency)]
    colour = [-1] * n
    for v in range(n):
        forbidden: set[int] = set()
        for w in adj[v]:
            cw = colour[w]
            if cw >= 0:
                forbidden.add(cw)
            for x in adj[w]:
                cx = colour[x]
                if x == v or cx < 0:
                    continue
                if cw < 0:
                    forbidden.add(cx)
                elif any(y != w and colour[y] == cw for y in adj[x]):
                    forbidden.add(cx)
        c = 0
        while c in forbidden:
            c += 1
        colour[v] = c
    return colour


def recover_columns(rows: Sequence[int], colour: Sequence[int], compressed: Sequence[Sequence[float]]
                    ) -> list[tuple[int, int, float]]:
    """The nonzeros (i, j, J[i, j]) of a Jacobian from ``compressed[i][c]`` = (J·S)[i, c]."""
    out = []
    for i, r in enumerate(rows):
        for j in bits(r):
            out.append((i, j, compressed[i][colour[j]]))
    return out


def recover_symmetric(adjacency: Sequence[int], colour: Sequence[int], compressed: Sequence[Sequence[float]]
                      ) -> list[tuple[int, int, float, bool]]:
    """The nonzeros (i, j, H[i, j], mirrored) of a symmetric matrix from ``compressed[i][c]`` =
    (H·S)[i, c], star colouring: read in row i where j is alone in its colour there (the diagonal
    always is), else from row j (``mirrored``: the value is (H·S)[j, colour(i)] = H[j, i])."""
    out = []
    members = [bits(a) for a in adjacency]
    for i, cols in enumerate(members):
        count: dict[int, int] = {}
        for j in cols:
            count[colour[j]] = count.get(colour[j], 0) + 1
        for j in cols:
            if count[colour[j]] == 1:
                out.append((i, j, compressed[i][colour[j]], False))
            else:
                out.append((i, j, compressed[j][colour[i]], True))
    return out


def is_distance1(rows: Sequence[int], colour: Sequence[int]) -> bool:
    """No row holds two columns of one colour."""
    for r in rows:
        seen = [colour[j] for j in bits(r)]
        if len(seen) != len(set(seen)):
            return False
    return True


def is_star(adjacency: Sequence[int], colour: Sequence[int]) -> bool:
    """Adjacent vertices differ, and no path on four vertices is coloured with two colours."""
    n = len(adjacency)
    adj = [bits(a & ~(1 << v)) for v, a in enumerate(adjacency)]
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
