"""The sparse Hessian's faster first call (issue #19, stop 24): every shortcut agrees with the
general path it replaces.

Truths: the dense forward-over-reverse Hessian (bit for bit), hand-derived labels and patterns,
a plain transcription of GMP 2005's Algorithm 4.1 (the star colouring, vertex by vertex) on random
graphs, and the general K-tangent steps run on the same programs (hypothesis)."""

from __future__ import annotations

import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adcalc import higher
from adcalc.ops import coloring
from adcalc.ops.coloring import csr, is_star, star_coloring
from adcalc.ops.sparse import sparse_hessian, sparse_jacobian

ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def test_result_lists_are_made_on_first_read_and_equal_the_dense_hessian() -> None:
    """``nonzeros``, ``values``, ``rows`` and ``columns`` are plain lists (ints, floats, str) when
    read, the same object on every read, rows and columns one list, values the dense entries."""
    x = 0.5 + 0.01 * np.arange(30)
    h = sparse_hessian(ROSEN, {"x": x})
    d = higher.hessian(ROSEN, {"x": x})
    nz = h.nonzeros
    assert type(nz) is list and nz is h.nonzeros
    assert nz == [[i, j] for i in range(30) for j in range(30) if abs(i - j) <= 1]
    assert all(type(i) is int and type(j) is int for i, j in nz)
    assert type(h.values) is list and all(type(v) is float for v in h.values)
    assert h.values == [d.hessian[i][j] for i, j in nz]
    assert h.columns == [f"x[{i}]" for i in range(30)] and h.rows is h.columns
    assert repr(h).count("x[29]") == 2  # the repr shows the made lists (rows and columns)


def test_result_lists_read_by_racing_threads_are_equal() -> None:
    u = np.sin(np.linspace(0.0, 3.0, 400))
    r = sparse_jacobian("u[1:-1] + 0.1*(u[2:] - 2*u[1:-1] + u[:-2])", {"u": u})
    got: list[object] = []
    start = threading.Barrier(4)

    def read() -> None:
        start.wait()
        got.append((r.nonzeros, r.values, r.rows, r.columns))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(g == got[0] for g in got)
    assert got[0][2] == [f"f[{i}]" for i in range(398)] and got[0][3] == [f"u[{i}]" for i in range(400)]
    assert len(got[0][0]) == 3 * 398 and got[0][0][:3] == [[0, 0], [0, 1], [0, 2]]


def test_afresh_and_remembered_colourings_give_the_same_result() -> None:
    x = 0.5 + 0.01 * np.arange(40)
    coloring.forget()
    a = sparse_hessian(ROSEN, {"x": x})
    b = sparse_hessian(ROSEN, {"x": x})
    assert (a.nonzeros, a.values, a.coloring, a.colors) == (b.nonzeros, b.values, b.coloring, b.colors)


def star_reference(adj: list[set[int]]) -> list[int]:
    """GMP 2005, Algorithm 4.1, as written: v's forbidden colours are its coloured neighbours'
    and, for each coloured x two steps away through w, x's colour when w is uncoloured or when
    another neighbour y of x has w's colour; v takes the smallest colour not forbidden."""
    colour = [-1] * len(adj)
    for v in range(len(adj)):
        forbidden = set()
        for w in adj[v] - {v}:
            if colour[w] >= 0:
                forbidden.add(colour[w])
            for x in adj[w] - {v, w}:
                if colour[x] < 0:
                    continue
                if colour[w] < 0 or any(y != w and y != x and colour[y] == colour[w] for y in adj[x]):
                    forbidden.add(colour[x])
        colour[v] = min(c for c in range(len(adj) + 1) if c not in forbidden)
    return colour


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 45).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))),
                         max_size=12 * n))))
def test_star_colouring_is_algorithm_4_1_on_random_graphs(graph: tuple[int, list[tuple[int, int]]]) -> None:
    """Sparse, dense, irregular (one hub: plain rows) and banded-like (padded rows) graphs, with and
    without their diagonal: the greedy loop gives Algorithm 4.1's colouring, vertex for vertex."""
    n, edges = graph
    adj: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    rows = [sorted(s) for s in adj]
    pattern = csr([sum(1 << j for j in r) for r in rows]) if n else (np.zeros(1, dtype=np.int64),
                                                                     np.zeros(0, dtype=np.int64))
    coloring.forget()
    got = star_coloring(pattern)
    assert got == star_reference(adj)
    assert is_star(pattern, got)


def test_star_colouring_of_banded_and_hub_patterns_is_algorithm_4_1() -> None:
    for n, band in ((1, 1), (2, 1), (7, 1), (300, 1), (300, 2), (120, 5)):
        adj = [{j for j in range(max(0, i - band), min(n, i + band + 1))} for i in range(n)]
        pattern = csr([sum(1 << j for j in s) for s in adj])
        coloring.forget()
        assert star_coloring(pattern) == star_reference(adj)
    hub = [set(range(60))] + [{0, i} for i in range(1, 60)]  # one row of 60, the others 2: plain rows
    pattern = csr([sum(1 << j for j in s) for s in hub])
    coloring.forget()
    assert star_coloring(pattern) == star_reference(hub) == [0] + [1] * 59
