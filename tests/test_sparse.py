"""Sparse Jacobians and Hessians (issue #19): the pattern of the executed path, the colouring, and
compressed sweeps whose values are exactly the dense ones.

Truths: hand-derived patterns and values (tridiagonal, arrowhead, block-diagonal, dense), the dense
forward-mode Jacobian and forward-over-reverse Hessian (bit for bit), brute-force checks of the
colourings on random graphs, and random programs (hypothesis)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adcalc
from adcalc import AdcalcError, higher
from adcalc.ops.coloring import column_coloring, csr, is_distance1, is_star, star_coloring
from adcalc.ops.sparse import sparse_hessian, sparse_jacobian

DIFFUSION = "u[1:-1] + 0.1*(u[2:] - 2*u[1:-1] + u[:-2])"  # one explicit step of u_t = u_xx (interior)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=120)


def pattern_of(r: object) -> set[tuple[int, int]]:
    return {(i, j) for i, j in r.nonzeros}  # type: ignore[attr-defined]


def test_tridiagonal_jacobian_of_a_diffusion_step() -> None:
    n = 12
    u = np.linspace(0.0, 1.0, n) ** 2
    r = sparse_jacobian(DIFFUSION, {"u": u})
    # by hand: row i (interior point i+1) = 0.1·u[i] + 0.8·u[i+1] + 0.1·u[i+2]
    assert pattern_of(r) == {(i, i + k) for i in range(n - 2) for k in range(3)}
    want = {(i, i + k): (0.1, 0.8, 0.1)[k] for i in range(n - 2) for k in range(3)}
    assert all(v == want[(i, j)] for (i, j), v in zip(r.nonzeros, r.values))
    assert r.colors == 3 and r.sweeps == 3 and r.shape == (n - 2, n)
    dense = adcalc.jacobian(DIFFUSION, {"u": u}, mode="forward").jacobian
    assert r.dense == dense  # exactly, entry for entry


def test_a_loop_program_with_element_reads_and_assignments() -> None:
    src = ("out = zeros(len(u))\nfor i in range(1, len(u) - 1):\n    out[i] = u[i-1]*u[i] - u[i+1]\n"
           "return out")
    u = np.arange(1.0, 8.0)
    r = sparse_jacobian(src, {"u": u})
    # by hand: out[i] depends on u[i-1] (∂ = u[i]), u[i] (∂ = u[i-1]), u[i+1] (∂ = -1); out[0], out[-1] on nothing
    expect = {(i, i - 1): u[i] for i in range(1, 6)} | {(i, i): u[i - 1] for i in range(1, 6)} | \
        {(i, i + 1): -1.0 for i in range(1, 6)}
    assert dict(zip(map(tuple, r.nonzeros), r.values)) == expect
    assert r.colors == 3


def test_a_constant_banded_matrix_times_x() -> None:
    src = "[[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]] @ x"
    r = sparse_jacobian(src, {"x": [1.0, 2.0, 3.0, 4.0]})
    assert pattern_of(r) == {(i, j) for i in range(4) for j in range(4) if abs(i - j) <= 1}
    assert r.dense == [[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]]
    assert r.colors == 3


def test_block_diagonal_jacobian_and_hessian() -> None:
    names = [f"x{i}" for i in range(8)]
    pt = {n: 0.3 + 0.2 * i for i, n in enumerate(names)}
    outs = [f"{names[2 * k]}*{names[2 * k + 1]}, sin({names[2 * k]}) + {names[2 * k + 1]}" for k in range(4)]
    r = sparse_jacobian("[" + ", ".join(outs) + "]", pt)
    assert pattern_of(r) == {(2 * k + a, 2 * k + b) for k in range(4) for a in range(2) for b in range(2)}
    assert r.colors == 2
    assert r.dense == adcalc.jacobian("[" + ", ".join(outs) + "]", pt, mode="forward").jacobian
    h = sparse_hessian(" + ".join(f"({names[2 * k]}*{names[2 * k + 1]})^2" for k in range(4)), pt)
    assert pattern_of(h) == {(2 * k + a, 2 * k + b) for k in range(4) for a in range(2) for b in range(2)}
    assert h.colors == 2
    for k in range(4):  # by hand: ∂²(ab)²/∂a² = 2b², ∂a∂b = 4ab
        a, b = pt[names[2 * k]], pt[names[2 * k + 1]]
        assert np.isclose(h.dense[2 * k][2 * k], 2 * b * b, rtol=1e-15)
        assert np.isclose(h.dense[2 * k][2 * k + 1], 4 * a * b, rtol=1e-15)


def test_arrowhead_hessian() -> None:
    leaves = [f"y{i}" for i in range(1, 7)]
    src = "a*(" + " + ".join(f"{y}^2" for y in leaves) + ") + a^3"
    pt = {"a": 1.5, **{y: 0.1 * i for i, y in enumerate(leaves, 1)}}
    h = sparse_hessian(src, pt)
    n = 7
    assert pattern_of(h) == {(0, 0)} | {(0, j) for j in range(1, n)} | {(j, 0) for j in range(1, n)} | \
        {(j, j) for j in range(1, n)}
    assert h.colors == 2  # the centre, and every leaf
    # by hand: H[a, a] = 6a, H[a, y] = 2y, H[y, y] = 2a
    assert np.isclose(h.dense[0][0], 9.0, rtol=1e-15)
    assert all(np.isclose(h.dense[0][j], 2 * pt[leaves[j - 1]], rtol=1e-15) for j in range(1, n))
    assert all(h.dense[j][j] == 3.0 for j in range(1, n))


def test_tridiagonal_hessian_of_rosenbrock_in_three_sweeps() -> None:
    n = 30
    names = [f"x{i}" for i in range(n)]
    src = " + ".join(f"100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2" for i in range(n - 1))
    pt = {nm: 0.5 + 0.03 * i for i, nm in enumerate(names)}
    h = sparse_hessian(src, pt, dense=True)  # 900 entries: the full matrix only on request
    assert pattern_of(h) == {(i, j) for i in range(n) for j in range(n) if abs(i - j) <= 1}
    assert h.colors == 3 and h.sweeps == 3
    dense = higher.hessian(src, pt).hessian
    assert h.dense == dense  # exactly
    from scipy.optimize import rosen_hess  # SciPy's hand-written Hessian

    assert np.allclose(h.dense, rosen_hess(np.array(list(pt.values()))), rtol=1e-14, atol=1e-12)


def test_arrowhead_jacobians() -> None:
    # rows i ≥ 1 are x0·xᵢ (columns 0 and i), row 0 is x0²: column 0 full, plus the diagonal
    n = 7
    x = np.arange(1.0, n + 1)
    r = sparse_jacobian("out = x * x[0]\nout[0] = x[0]^2\nreturn out", {"x": x})
    assert pattern_of(r) == {(0, 0)} | {(i, 0) for i in range(1, n)} | {(i, i) for i in range(1, n)}
    assert r.colors == 2  # column 0, and every other column (no row holds two of them)
    # by hand: ∂(x0·xᵢ)/∂x0 = xᵢ, ∂/∂xᵢ = x0; ∂x0²/∂x0 = 2x0
    assert r.dense == [[2.0] + [0.0] * (n - 1)] + [[x[i]] + [x[0] if j == i else 0.0 for j in range(1, n)]
                                                   for i in range(1, n)]
    # with a full row as well (Σx on top) every pair of columns shares a row: n colours, no saving
    r = sparse_jacobian("out = x * x[0]\nout[0] = sum(x)\nreturn out", {"x": x})
    assert r.colors == n and r.dense == adcalc.jacobian("out = x * x[0]\nout[0] = sum(x)\nreturn out",
                                                         {"x": x}, mode="forward").jacobian


def test_dense_patterns_need_one_colour_per_column() -> None:
    h = sparse_hessian("(a + b + c)^2", {"a": 1.0, "b": 2.0, "c": 3.0})
    assert pattern_of(h) == {(i, j) for i in range(3) for j in range(3)} and h.colors == 3
    assert h.dense == [[2.0] * 3] * 3
    r = sparse_jacobian("[a*b*c, a + b + c]", {"a": 1.0, "b": 2.0, "c": 3.0})
    assert r.colors == 3 and r.dense == [[6.0, 3.0, 2.0], [1.0, 1.0, 1.0]]


def test_the_executed_path_decides() -> None:
    # where(x > 0, a, b) depends on a or b, as the branch taken; a linear input has no Hessian entry
    r = sparse_jacobian("[where(x > 0, a*x, b), a + b]", {"x": 1.0, "a": 2.0, "b": 3.0})
    assert pattern_of(r) == {(0, 0), (0, 1), (1, 1), (1, 2)}
    h = sparse_hessian("if x > 0:\n    return x*y + z\nreturn z^2", {"x": 1.0, "y": 2.0, "z": 3.0})
    assert pattern_of(h) == {(0, 1), (1, 0)} and h.dense == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    h = sparse_hessian("if x > 0:\n    return x*y + z\nreturn z^2", {"x": -1.0, "y": 2.0, "z": 3.0})
    assert pattern_of(h) == {(2, 2)} and h.dense[2][2] == 2.0


# ---- colourings against brute force -------------------------------------------------------------

def test_the_star_property_check_rejects_a_two_coloured_path() -> None:
    path = [0b0010, 0b0101, 0b1010, 0b0100]  # 0 - 1 - 2 - 3
    assert not is_star(csr(path), [0, 1, 0, 1]) and is_star(csr(path), [0, 1, 0, 2])
    assert not is_distance1(csr([0b11]), [0, 0]) and is_distance1(csr([0b11]), [0, 1])


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 14).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(
    st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))))
def test_random_graphs_get_valid_colourings(graph: tuple) -> None:
    n, edges = graph
    adjacency = [0] * n
    for a, b in edges:
        adjacency[a] |= 1 << b
        adjacency[b] |= 1 << a
    colour = star_coloring(csr(adjacency))
    assert is_star(csr(adjacency), colour)
    rows = csr([(1 << a) | (1 << b) for a, b in edges])
    assert is_distance1(rows, column_coloring(rows, n))


# ---- random programs: compressed = dense -----------------------------------------------------------

NAMES = ["x1", "x2", "x3", "x4", "x5", "x6"]
LEAF = st.sampled_from(NAMES + ["0.5", "2"])


def _expr(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda e: f"({e})^2"),
        st.tuples(children, children).map(lambda t: f"{t[0]}/(1 + ({t[1]})^2)"),
        st.tuples(children, children).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"where({t[0]} > 0.7, {t[1]}, {t[2]})"))


EXPR = st.recursive(LEAF, _expr, max_leaves=10)
POINT = st.lists(st.floats(0.2, 1.6), min_size=6, max_size=6).map(lambda v: dict(zip(NAMES, v)))


@settings(max_examples=80, deadline=None)
@given(st.lists(EXPR, min_size=1, max_size=4), POINT)
def test_random_programs_compressed_jacobian_equals_dense(outputs: list[str], point: dict) -> None:
    src = "[" + ", ".join(outputs) + ", x1 + x6]"  # every input bound is used
    src = src.replace("x6]", "x6 + x2 + x3 + x4 + x5]")
    r = sparse_jacobian(src, point)
    dense = adcalc.jacobian(src, point, mode="forward").jacobian
    full = np.array(dense)
    assert r.dense == dense  # the nonzeros exactly, and 0 outside the pattern
    assert all(full[i, j] == 0.0 for i in range(full.shape[0]) for j in range(full.shape[1])
               if (i, j) not in pattern_of(r))
    rows = [sum(1 << j for i2, j in r.nonzeros if i2 == i) for i in range(full.shape[0])]
    assert is_distance1(csr(rows), r.coloring) and r.colors <= 6


@settings(max_examples=80, deadline=None)
@given(EXPR, POINT)
def test_random_programs_compressed_hessian_equals_dense(expr: str, point: dict) -> None:
    src = f"{expr} + 0*(x1 + x2 + x3 + x4 + x5 + x6)"
    h = sparse_hessian(src, point)
    dense = np.array(higher.hessian(src, point).hessian)
    got = np.array(h.dense)
    nz = pattern_of(h)
    for i in range(6):
        for j in range(6):
            if (i, j) in nz:  # read from row i, or (mirrored) row j: the dense entry there, bit for bit
                assert got[i, j] == dense[i, j] or got[i, j] == dense[j, i]
            else:
                assert got[i, j] == 0.0 and dense[i, j] == 0.0
    adjacency = [sum(1 << j for i2, j in h.nonzeros if i2 == i) for i in range(6)]
    assert adjacency == [sum(1 << i for i, j2 in h.nonzeros if j2 == j) for j in range(6)]  # symmetric
    assert is_star(csr(adjacency), h.coloring)


# ---- the command line -----------------------------------------------------------------------------

def test_cli_table_shows_the_pattern_and_the_sweeps() -> None:
    u = ",".join(str(float(k)) for k in range(40))
    p = cli("jacobian", DIFFUSION, "--at", f"u=[{u}]", "--sparse")
    assert p.returncode == 0, p.stderr
    assert "Jacobian sparsity pattern: 114 nonzeros of 38 × 40" in p.stdout
    assert "●●●" + "·" * 37 in p.stdout  # the first row of the spy plot
    assert "3 sweeps instead of 40" in p.stdout
    assert "… and 94 more nonzeros" in p.stdout  # 38 × 40 > 400 entries: the nonzeros are listed


def test_cli_json_carries_sparsity_and_values() -> None:
    p = cli("jacobian", DIFFUSION, "--at", "u=[0,1,4,9,16]", "--sparse", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["sparsity"] == {"nonzeros": [[i, i + k] for i in range(3) for k in range(3)], "colors": 3,
                               "sweeps": 3}
    assert out["nonzeros"] == [0.1, 0.8, 0.1] * 3 and out["shape"] == [3, 5]
    assert out["jacobian"][0] == [0.1, 0.8, 0.1, 0.0, 0.0]  # small: the full matrix as well
    big = ",".join(["1"] * 30)
    out = json.loads(cli("jacobian", DIFFUSION, "--at", f"u=[{big}]", "--sparse", "--json").stdout)
    assert "jacobian" not in out and len(out["nonzeros"]) == 84
    out = json.loads(cli("jacobian", DIFFUSION, "--at", f"u=[{big}]", "--sparse", "--dense", "--json").stdout)
    assert len(out["jacobian"]) == 28 and len(out["jacobian"][0]) == 30


def test_cli_sparse_hessian_and_errors() -> None:
    p = cli("hessian", "100*(y - x^2)^2 + (1 - x)^2 + z^2", "--at", "x=1,y=2,z=3", "--sparse", "--json")
    out = json.loads(p.stdout)
    assert out["sparsity"]["nonzeros"] == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 2]]
    assert out["nonzeros"] == [402.0, -400.0, -400.0, 200.0, 2.0] and out["sparsity"]["colors"] == 2
    assert out["gradient"] == {"x": -400.0, "y": 200.0, "z": 6.0}  # by hand: -400x(y-x²) - 2(1-x), 200(y-x²), 2z
    p = cli("jacobian", "[x*y]", "--at", "x=1,y=2", "--dense")
    assert p.returncode != 0 and "--dense goes with --sparse" in p.stderr and "Traceback" not in p.stderr
    p = cli("jacobian", "[x*y]", "--at", "x=1,y=2", "--sparse", "--mode", "reverse")
    assert p.returncode != 0 and "--mode reverse does not apply" in p.stderr
    p = cli("hessian", "[x*y, x]", "--at", "x=1,y=2", "--sparse")
    assert p.returncode != 0 and "scalar function" in p.stderr and "Traceback" not in p.stderr
    for command, want in (("jacobian", [[5.0]]), ("hessian", [[2.0]])):  # --wrt y, x constant: by hand x + 2y, 2
        p = cli(command, "x*y + y^2", "--at", "x=1,y=2", "--sparse", "--wrt", "y", "--json")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["columns"] == ["y"] and json.loads(p.stdout)[command] == want


def test_large_patterns_draw_in_braille_and_list_the_first_nonzeros() -> None:
    from adcalc.present.sparseview import spy

    n = 1000
    lines = spy([(i, j) for i in range(n) for j in range(max(0, i - 1), min(n, i + 2))], n, n)
    assert len(lines) <= 60 and max(len(line) for line in lines) <= 60
    assert all(0x2800 <= ord(ch) <= 0x28FF for line in lines for ch in line)
    assert lines[0][0] != "\u2800" and lines[0][-1] == "\u2800"  # the band starts at the top left


def test_api_errors_are_adcalc_errors() -> None:
    with pytest.raises(AdcalcError):
        sparse_jacobian("[x]", {"x": 1.0}, dense="yes")
    with pytest.raises(AdcalcError):
        sparse_hessian("x*y", {"x": 1.0})


def _array_hvp_available() -> bool:
    try:
        higher.hvp("sum(x^2)", {"x": [1.0, 2.0]}, {"x": [1.0, 0.0]})
    except AdcalcError:
        return False
    return True


@pytest.mark.skipif(not _array_hvp_available(), reason="waits for Hessian-vector products of array programs "
                    "(issue #19's arrays half, another branch)")
def test_array_rosenbrock_hessian_is_tridiagonal_in_three_sweeps() -> None:
    from scipy.optimize import rosen_hess

    x = np.linspace(-0.5, 1.5, 50)
    h = sparse_hessian("sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)", {"x": x}, dense=True)
    assert pattern_of(h) == {(i, j) for i in range(50) for j in range(50) if abs(i - j) <= 1}
    assert h.colors == 3
    assert np.allclose(h.dense, rosen_hess(x), rtol=1e-14, atol=1e-12)


def test_array_hessian_pattern_before_any_hvp() -> None:
    """The pattern of array programs does not need array hvp: Rosenbrock in array form and as a loop
    of element reads give the tridiagonal pattern and 3 star colours; prod's pattern has no diagonal."""
    from adcalc.ops.driver import bind, limits_of, resolve
    from adcalc.ops.sparse import pattern

    for src in ("sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)",
                "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\nreturn s"):
        loaded = resolve(src)
        names, values, _ = bind(loaded, {"x": np.linspace(0.5, 1.5, 40)})
        _, _, inter, _ = pattern(loaded, names, values, True, False, limits_of(None, None))
        ptr, idx = inter
        assert [set(idx[ptr[i]:ptr[i + 1]].tolist()) for i in range(40)] == \
            [{j for j in (i - 1, i, i + 1) if 0 <= j < 40} for i in range(40)]
        assert max(star_coloring(inter)) + 1 == 3
    loaded = resolve("prod(x)")
    names, values, _ = bind(loaded, {"x": [1.0, 2.0, 3.0]})
    _, _, inter, _ = pattern(loaded, names, values, True, False, limits_of(None, None))
    ptr, idx = inter
    assert [set(idx[ptr[i]:ptr[i + 1]].tolist()) for i in range(3)] == [{1, 2}, {0, 2}, {0, 1}]  # ∂²(xyz)/∂x² = 0


ALEAF = st.sampled_from(["x[0:6]", "x[1:7]", "x[2:8]", "y[0:6]", "y[2:8][::-1]", "x[3]", "M @ y[1:7]", "0.5"])


def _aexpr(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "cos", "exp"]), children).map(lambda t: f"{t[0]}(0.3*{t[1]})"),
        children.map(lambda e: f"({e})^2"),
        children.map(lambda e: f"sum({e} + 0*y[0:6]) * x[0:6]"),
        st.tuples(children, children).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(children, children).map(lambda t: f"where({t[0]} > 0.9, {t[1]}, 0.5)"))


AEXPR = st.recursive(ALEAF, _aexpr, max_leaves=8)
BANDED = "[" + ", ".join("[" + ", ".join(str((i + j) % 3) if abs(i - j) <= 1 else "0" for j in range(6)) + "]"
                         for i in range(6)) + "]"


@settings(max_examples=100, deadline=None)
@given(AEXPR, st.lists(st.floats(0.1, 1.9), min_size=16, max_size=16))
def test_random_array_programs_compressed_jacobian_equals_dense(expr: str, values: list) -> None:
    src = f"M = {BANDED}\nreturn {expr} + 0*x[0:6]"
    point = {"x": values[:8], "y": values[8:]}
    r = sparse_jacobian(src, point, dense=True)
    dense = adcalc.jacobian(src, point, mode="forward").jacobian
    assert r.dense == dense
    full = np.array(dense)
    outside = [(i, j) for i in range(full.shape[0]) for j in range(full.shape[1]) if (i, j) not in pattern_of(r)]
    assert all(full[i, j] == 0.0 for i, j in outside)
    rows = [sum(1 << j for i2, j in r.nonzeros if i2 == i) for i in range(full.shape[0])]
    assert is_distance1(csr(rows), r.coloring)


def test_a_pattern_larger_than_the_memory_budget_is_a_limit_error() -> None:
    """x·sum(x) over 2,000 entries: every output depends on every input (4·10⁶ pattern entries)."""
    x = ",".join(str(k) for k in range(2000))
    for command, source in (("jacobian", "x * sum(x)"), ("hessian", "sum(x * sum(x))")):
        p = cli(command, source, "--at", f"x=[{x}]", "--sparse", "--max-memory", "1M")
        assert p.returncode != 0 and "Traceback" not in p.stderr and "internal error" not in p.stderr
        said = " ".join(p.stderr.split())  # the message wraps at the terminal's width
        assert "error (limit): a set of 2,000 input entries for each of 2,000 elements would need 30.5 MiB" \
            in said and "--max-memory" in said
