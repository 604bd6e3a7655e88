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
from test_sparse_sets import rows_of

from adcalc import higher
from adcalc.ops import coloring
from adcalc.ops.coloring import csr, is_star, star_coloring
from adcalc.ops.sparse import sparse_hessian, sparse_jacobian
from adcalc.transform.indexsets import Sets, cross, group

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


def _uniform(rows: list[list[int]], width: int) -> Sets:
    return Sets.uniform((len(rows),), np.array(rows, dtype=np.int64).reshape(len(rows), width))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 9).flatmap(lambda m: st.tuples(
    st.integers(0, 3), st.integers(0, 3), st.integers(1, 3),
    st.lists(st.lists(st.integers(0, 6), min_size=6, max_size=6, unique=True), min_size=3 * m, max_size=3 * m))))
def test_unions_of_uniform_sets_with_shared_members_equal_python_sets(case: tuple) -> None:
    """The union of uniform Sets (every element the same number of members) whose elements share
    members — x[1:] - x[:-1]^2 gives {i, i+1} ∪ {i} — deduplicated row by row, and the pairs of
    one-member Sets: what Python's sets give, ``per`` set when every union has as many members."""
    wa, wb, parts, pool = case
    m = len(pool) // 3
    a = _uniform([sorted(r[:wa]) for r in pool[:m]], wa)
    b = _uniform([sorted(r[:wb]) for r in pool[m:2 * m]], wb)
    c = _uniform([sorted(r[:1]) for r in pool[2 * m:]], 1)
    chosen = [a, b, c][:parts]
    got = group([(s, None) for s in chosen], m, (m,))
    assert rows_of(got) == [set().union(*(rows_of(s)[e] for s in chosen)) for e in range(m)]
    counts = {len(r) for r in rows_of(got)}
    if m:  # per: the common number of members, or -1 when the unions differ in size
        assert got.per == (counts.pop() if len(counts) == 1 else -1)
    left, right = cross(c, c if parts == 1 else _uniform([sorted(r[:1]) for r in pool[:m]], 1))
    other = rows_of(c if parts == 1 else _uniform([sorted(r[:1]) for r in pool[:m]], 1))
    assert sorted(zip(left.tolist(), right.tolist())) == sorted(
        (i, j) for x, y in zip(rows_of(c), other) for i in x for j in y)


def test_union_of_a_shifted_pair_and_its_start_is_uniform() -> None:
    """Rosenbrock's 100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2: {i, i+1} ∪ {i} = {i, i+1}, two each."""
    m = 999
    a = _uniform([[i, i + 1] for i in range(m)], 2)
    b = _uniform([[i] for i in range(m)], 1)
    got = group([(a, None), (b, None)], m, (m,))
    assert got.per == 2 and got.ptr.tolist() == list(range(0, 2 * m + 1, 2))
    assert got.idx.tolist() == [j for i in range(m) for j in (i, i + 1)]


def _graph(n: int, edges: list[tuple[int, int]], diagonal: bool = False) -> tuple[list[set[int]], tuple]:
    adj: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        if a != b:
            adj[a].add(b)
            adj[b].add(a)
    rows = [sorted(s | ({i} if diagonal else set())) for i, s in enumerate(adj)]
    return adj, csr([sum(1 << j for j in r) for r in rows])


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(256, 700), st.sets(st.integers(1, 5), min_size=1, max_size=3),
                 st.lists(st.tuples(st.integers(0, 699), st.integers(0, 699)), max_size=6),
                 st.lists(st.integers(0, 699), max_size=4), st.booleans()))
def test_star_colouring_of_large_banded_graphs_with_defects_is_algorithm_4_1(case: tuple) -> None:
    """Graphs large enough for the periodic guess: bands of random offsets (their prefix repeats),
    some with extra edges anywhere and missing ones (the guess then fails somewhere and the loop
    takes over there), with or without the diagonal: the colouring is Algorithm 4.1's."""
    n, offsets, extra, cut, diagonal = case
    edges = [(v, v + o) for v in range(n) for o in offsets if v + o < n and v not in cut]
    edges += [(a % n, b % n) for a, b in extra]
    adj, pattern = _graph(n, edges, diagonal)
    coloring.forget()
    got = star_coloring(pattern)
    assert got == star_reference(adj)
    assert is_star(pattern, got)


def test_star_colouring_of_long_paths_and_blocks_is_algorithm_4_1() -> None:
    for n in (256, 257, 999, 1000, 1001):
        adj, pattern = _graph(n, [(v, v + 1) for v in range(n - 1)], diagonal=True)
        coloring.forget()
        assert star_coloring(pattern) == star_reference(adj)
    blocks = [(b + i, b + j) for b in range(0, 600, 4) for i in range(4) for j in range(4)]  # 4 × 4 blocks
    adj, pattern = _graph(600, blocks, diagonal=True)
    coloring.forget()
    assert star_coloring(pattern) == star_reference(adj) == [0, 1, 2, 3] * 150
    arrow = [(0, v) for v in range(1, 400)] + [(v, v + 1) for v in range(1, 399)]  # a hub on a path: too many paths
    adj, pattern = _graph(400, arrow, diagonal=True)
    coloring.forget()
    assert star_coloring(pattern) == star_reference(adj)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=6 * n),
    st.integers(0, n - 1), st.integers(1, 5))))
def test_the_guess_check_finds_the_first_vertex_the_greedy_loop_colours_otherwise(case: tuple) -> None:
    """``_first_wrong`` on Algorithm 4.1's colouring: n (every vertex's choice is its colour);
    with vertex j's colour changed: exactly j (the vertices before it still choose theirs)."""
    n, edges, j, shift = case
    adj, pattern = _graph(n, edges)
    truth = star_reference(adj)
    assert coloring._first_wrong(pattern, np.array(truth)) == n
    wrong = list(truth)
    wrong[j] = truth[j] + shift
    assert coloring._first_wrong(pattern, np.array(wrong)) == j


FLOATS = st.sampled_from([0.0, -0.0, 1.5, -2.25, 3e300, -1e-310, float("inf"), float("-inf"), float("nan")])


def _same_bits(a: object, b: object) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(1, 3), min_size=0, max_size=3), st.data())
def test_unbroadcast_k_without_broadcasting_is_the_general_sum_bit_for_bit(k: int, shape: list[int],
                                                                         data: st.DataObject) -> None:
    """The shortcut (shapes already equal) returns what moving the batch axis, summing over no
    axes and moving it back gives — zeros' signs, infinities and nan included; a broadcast
    argument still gets the sum."""
    from adcalc.rules.shapes import unbroadcast
    from adcalc.transform import secondorder

    shape_t = tuple(shape)
    t = np.array(data.draw(st.lists(FLOATS, min_size=k * int(np.prod(shape_t)), max_size=k * int(np.prod(shape_t)))),
                 dtype=float).reshape((k,) + shape_t)
    with np.errstate(all="ignore"):  # as in the sweep (inf + -inf in a sum)
        general = np.moveaxis(np.asarray(unbroadcast(np.moveaxis(t, 0, -1), shape_t + (k,)), dtype=float), -1, 0)
        assert _same_bits(secondorder._unbroadcast_k(t, shape_t, k), general)
        if shape_t:
            small = (1,) + shape_t[1:]
            summed = np.moveaxis(np.asarray(unbroadcast(np.moveaxis(t, 0, -1), small + (k,)), dtype=float), -1, 0)
            assert _same_bits(secondorder._unbroadcast_k(t, small, k), summed)


@settings(max_examples=200, deadline=None)
@given(st.integers(4, 9).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(1, 3), st.integers(-n, n), st.integers(-n, n), st.sampled_from([1, 2, -1]),
    st.lists(FLOATS, min_size=3 * n, max_size=3 * n))))
def test_index_pull_adds_its_parts_in_place_as_the_dense_copies_did(case: tuple) -> None:
    """x[a:b:c] in the K-direction pull: each direction's cotangent added in place into the fresh
    zero row gives the bits of zeros + the rule's dense scatter, for every direction."""
    from adcalc.rules.registry import REGISTRY
    from adcalc.transform.secondorder import SecondOrderMode

    n, k, a, b, step, raw = case
    x = np.linspace(0.5, 1.5, n)
    prim = REGISTRY["index"]
    params = (("s", True, True, True),)
    primals = [x, float(a), float(b), float(step)]
    out = x[a:b:step]
    tangents = [np.ones((k, n)), None, None, None]
    gt = np.array(raw[:k * out.size], dtype=float).reshape((k,) + out.shape)
    mode = SecondOrderMode([np.zeros((k, n))])
    with np.errstate(all="ignore"):  # as in the sweep
        got = mode._array_pull(prim, primals, tangents, params, out)(np.ones(out.shape), gt)[0][1]
        want = np.zeros((k, n))
        for j in range(k):
            want[j] += prim.vjp(primals, params, out, gt[j])[0].dense()
    assert _same_bits(got, want)


SLICES = st.sampled_from(["x", "x[1:]", "x[:-1]", "x[2:]", "x[:-2]", "x[1:-1]"])


def _array_expr(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "tanh", "exp"]), children).map(lambda t: f"{t[0]}(0.3*{t[1]})"),
        children.map(lambda e: f"({e})^2"),
        st.tuples(st.sampled_from(["0.5", "2", "1"]), children).map(lambda t: f"({t[0]} - {t[1]})"))


def _aligned(slice_text: str) -> str:
    """Every slice cut to the common length n − 2 (x[1:-1]'s), so any two combine elementwise."""
    return {"x": "x[1:-1]", "x[1:]": "x[2:]", "x[:-1]": "x[:-2]", "x[2:]": "x[2:]", "x[:-2]": "x[:-2]",
            "x[1:-1]": "x[1:-1]"}[slice_text]


@settings(max_examples=40, deadline=None)
@given(st.recursive(SLICES.map(_aligned), _array_expr, max_leaves=8).filter(lambda e: e.count("x") >= 2),
       st.sampled_from([7, 41, 260, 301]), st.floats(0.2, 1.2))
def test_random_array_programs_sparse_hessian_equals_dense_bit_for_bit(expr: str, n: int, start: float) -> None:
    """Elementwise programs over shifted slices (unions of index sets sharing members, squares'
    self-interactions, slices' scattered pulls), n = 7 … 301 (the colouring's periodic guess
    from 256 vertices): every nonzero is the dense forward-over-reverse Hessian's entry, bit for bit, and
    the entries outside the pattern are exactly 0 in both."""
    src = f"sum({expr}) + 0*sum(x)"
    x = start + 0.01 * np.arange(n)
    coloring.forget()
    h = sparse_hessian(src, {"x": x}, dense=True)
    dense = np.array(higher.hessian(src, {"x": x}).hessian)
    got = np.array(h.dense)
    nz = np.zeros((n, n), dtype=bool)
    for i, j in h.nonzeros:
        nz[i, j] = True
    assert np.array_equal(nz, nz.T)
    same = (got == dense) | (got == dense.T)  # read from row i, or (mirrored) row j
    assert same[nz].all()
    assert (got[~nz] == 0.0).all() and (dense[~nz] == 0.0).all()
    assert is_star((np.searchsorted(np.flatnonzero(nz.reshape(-1)) // n, np.arange(n + 1)),
                    np.flatnonzero(nz.reshape(-1)) % n), h.coloring)
