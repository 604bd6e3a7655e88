"""The index sets of arrays as CSR (adcalc.transform.indexsets) and the vectorised colouring
helpers, against Python's own sets: every operation on random sets (uniform ones, whose elements
all have the same number of members, and ragged ones) gives what a loop over Python sets gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adcalc.ops.coloring import csr, recover_symmetric, star_coloring
from adcalc.transform.indexsets import Sets, bitset, cross, distinct, group, members

SET = st.frozensets(st.integers(0, 40), max_size=5)


def as_sets(rows: list[frozenset], shape: tuple) -> Sets:
    """Build through the public constructors: uniform rows by ``uniform``, others from bit sets."""
    if rows and len({len(r) for r in rows}) == 1:
        return Sets.uniform(shape, np.array([sorted(r) for r in rows], dtype=np.int64).reshape(len(rows), -1))
    obj = np.empty(len(rows), dtype=object)
    for k, r in enumerate(rows):
        obj[k] = sum(1 << j for j in r)
    s = Sets.from_objects(obj)
    return Sets(shape, s.ptr, s.idx)


def rows_of(s: Sets) -> list[frozenset]:
    ptr, idx = s.ptr.tolist(), s.idx.tolist()
    out = [idx[ptr[e]:ptr[e + 1]] for e in range(s.size)]
    assert all(r == sorted(set(r)) for r in out)  # ascending, each member once
    if s.per >= 0:
        assert all(len(r) == s.per for r in out)
    return [frozenset(r) for r in out]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(lambda m: st.tuples(st.lists(SET, min_size=m, max_size=m),
                                                      st.lists(SET, min_size=m, max_size=m),
                                                      st.lists(st.integers(0, m - 1), max_size=15),
                                                      st.lists(st.booleans(), min_size=m, max_size=m),
                                                      st.booleans())))
def test_set_operations_equal_python_sets(case: tuple) -> None:
    a_rows, b_rows, picks, mask, same_size = case
    if same_size:  # exercise the uniform paths too
        a_rows = [frozenset(range(3 * k, 3 * k + 2)) for k in range(len(a_rows))]
    m = len(a_rows)
    a, b = as_sets(a_rows, (m,)), as_sets(b_rows, (m,))
    assert rows_of(a) == a_rows and rows_of(b) == b_rows
    assert rows_of(a.take(np.array(picks, dtype=np.int64), (len(picks),))) == [a_rows[p] for p in picks]
    assert rows_of(a.take(np.arange(1, m), (m - 1,))) == a_rows[1:]  # a slice
    assert rows_of(group([(a, None), (b, None)], m, (m,))) == [x | y for x, y in zip(a_rows, b_rows)]
    target = np.array([k % 3 for k in range(m)])
    want = [frozenset().union(*(a_rows[k] for k in range(m) if k % 3 == t)) for t in range(3)]
    assert rows_of(group([(a, target)], 3, (3,))) == want
    assert rows_of(a.keep(np.array(mask))) == [r if keep else frozenset() for r, keep in zip(a_rows, mask)]
    assert a.union_all().tolist() == sorted(frozenset().union(*a_rows))
    left, right = cross(a, b)
    got = sorted(zip(left.tolist(), right.tolist()))
    assert got == sorted((i, j) for x, y in zip(a_rows, b_rows) for i in x for j in y)
    assert rows_of(Sets.from_objects(a.to_objects())) == a_rows
    assert rows_of(Sets.same((4,), members(bitset(sorted(b_rows[0]))))) == [b_rows[0]] * 4


@given(st.lists(st.integers(0, 2**70), max_size=30))
def test_bitsets_members_and_distinct(values: list[int]) -> None:
    for v in values[:5]:
        assert members(v).tolist() == [j for j in range(v.bit_length()) if v >> j & 1]
        assert bitset(members(v)) == v
    small = np.array([v % 97 for v in values], dtype=np.int64)
    assert distinct(small).tolist() == sorted(set(small.tolist()))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(
    st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))))
def test_recovery_reads_every_entry_of_a_random_symmetric_matrix(graph: tuple) -> None:
    """H random symmetric on a random pattern, B = H·S from the star colouring: every entry read back."""
    n, edges = graph
    adjacency = [1 << i for i in range(n)]  # the diagonal too
    for a, b in edges:
        adjacency[a] |= 1 << b
        adjacency[b] |= 1 << a
    rng = np.random.default_rng(n + len(edges))
    h = np.zeros((n, n))
    for i in range(n):
        for j in members(adjacency[i]).tolist():
            if j >= i:
                h[i, j] = h[j, i] = rng.integers(1, 100)  # integers: H·S is exact
    pattern = csr(adjacency)
    colour = star_coloring(pattern)
    s = np.zeros((n, max(colour) + 1))
    s[np.arange(n), colour] = 1.0
    i, j, v, _ = recover_symmetric(pattern, colour, h @ s)
    got = np.zeros((n, n))
    got[i, j] = v
    assert (got == h).all()


def test_remembered_colourings_belong_to_their_own_pattern() -> None:
    """A colouring is remembered per pattern: another pattern of the same size gets its own, a
    caller changing the list it got changes nothing, and forget() recomputes the same colouring."""
    from adcalc.ops import coloring
    from adcalc.ops.coloring import is_star

    n = 12
    path = csr([(1 << max(i - 1, 0)) | (1 << i) | (1 << min(i + 1, n - 1)) for i in range(n)])
    arrow = csr([(1 << n) - 1] + [1 | (1 << i) for i in range(1, n)])  # vertex 0 meets every other
    first = star_coloring(path)
    assert max(first) + 1 == 3 and is_star(path, first)
    got = star_coloring(arrow)
    assert max(got) + 1 == 2 and is_star(arrow, got)  # not the path's colouring
    got[0] = 99  # the caller's list is its own
    assert star_coloring(arrow)[0] != 99
    assert star_coloring(path) == first
    for k in range(coloring.REMEMBERED + 2):  # more patterns than are remembered: the oldest go
        extra = csr([(1 << ((i + k + 1) % n)) | (1 << ((i - k - 1) % n)) for i in range(n)])  # a cycle
        assert is_star(extra, star_coloring(extra))
    coloring.forget()
    assert star_coloring(path) == first and star_coloring(arrow)[1:] == [1] * (n - 1)


@settings(max_examples=40, deadline=None)
@given(st.integers(9, 40).flatmap(lambda n: st.tuples(st.just(n), st.floats(0.3, 1.0), st.integers(0, 2**32))))
def test_dense_graphs_get_valid_star_colourings(case: tuple) -> None:
    """Vertices with many neighbours take the colouring's shortcut (their neighbours' colours first,
    no further walking once every colour used is forbidden): still a star colouring, and a
    complete graph needs one colour per vertex."""
    from adcalc.ops.coloring import is_star

    n, density, seed = case
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.random((n, n)) < density, 1)
    adjacency = [sum(1 << j for j in np.flatnonzero(upper[i] | upper[:, i]).tolist()) for i in range(n)]
    pattern = csr(adjacency)
    assert is_star(pattern, star_coloring(pattern))
    complete = csr([((1 << n) - 1) ^ (1 << i) for i in range(n)])
    assert sorted(star_coloring(complete)) == list(range(n))
