"""``jacobian --sparse --wrt`` and ``hessian --sparse --wrt`` (issue #19): the pattern, the colouring
and the compressed sweeps over the ``--wrt`` inputs only, the others constants.

Truths: the dense ``--wrt`` result of the same command (bit for bit), hand-derived patterns and
values (least squares 2AᵀA plus a cross term, a banded A @ x), and Python's own sets for random
programs; hostile ``--wrt`` values get the dense command's clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adcalc
from adcalc import higher
from adcalc.ops.sparse import sparse_hessian, sparse_jacobian

A = [[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]]
LSQ = "sum((A @ x - b)^2) + x[0]*x[1]*y"
POINT = "A=[[1,2,0],[0,3,4]],x=[1,-1,0.5],b=[1,2],y=2"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=120)


def as_json(*args: str) -> dict:
    p = cli(*args, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_cli_sparse_hessian_wrt_equals_dense_wrt_and_the_hand_derived_matrix() -> None:
    sparse = as_json("hessian", LSQ, "--at", POINT, "--wrt", "y,x", "--sparse")
    dense = as_json("hessian", LSQ, "--at", POINT, "--wrt", "y,x")
    # by hand: H over (y, x) — ∂²/∂x² = 2AᵀA + y·(e0e1ᵀ + e1e0ᵀ), ∂²/∂y∂x = (x1, x0, 0), ∂²/∂y² = 0
    a = np.array(A)
    x = np.array([1.0, -1.0, 0.5])
    want = np.zeros((4, 4))
    want[1:, 1:] = 2 * a.T @ a
    want[1, 2] += 2.0
    want[2, 1] += 2.0
    want[0, 1:] = want[1:, 0] = [x[1], x[0], 0.0]
    assert sparse["columns"] == sparse["rows"] == dense["columns"] == ["y", "x[0]", "x[1]", "x[2]"]
    assert sparse["inputs"] == ["y", "x"]
    assert sparse["hessian"] == dense["hessian"] == want.tolist()  # exactly: small integers
    assert sparse["sparsity"]["nonzeros"] == [[int(i), int(j)] for i, j in zip(*np.nonzero(want))]
    assert sparse["nonzeros"] == [want[i, j] for i, j in zip(*np.nonzero(want))]
    assert sparse["gradient"] == dense["gradient"]


def test_cli_sparse_jacobian_wrt_holds_the_matrix_constant() -> None:
    banded = "[[2,1,0,0],[1,2,1,0],[0,1,2,1],[0,0,1,2]]"
    sparse = as_json("jacobian", "A @ x", "--at", f"A={banded},x=[1,2,3,4]", "--wrt", "x", "--sparse")
    dense = as_json("jacobian", "A @ x", "--at", f"A={banded},x=[1,2,3,4]", "--wrt", "x", "--mode", "forward")
    a = np.array(json.loads(banded), dtype=float)
    assert sparse["columns"] == dense["columns"] == ["x[0]", "x[1]", "x[2]", "x[3]"]  # not A's 16 entries
    assert sparse["jacobian"] == dense["jacobian"] == a.tolist()
    assert sparse["sparsity"] == {"nonzeros": [[int(i), int(j)] for i, j in zip(*np.nonzero(a))],
                                  "colors": 3, "sweeps": 3}  # tridiagonal: 3 colours
    table = cli("jacobian", "A @ x", "--at", f"A={banded},x=[1,2,3,4]", "--wrt", "x", "--sparse")
    assert table.returncode == 0, table.stderr
    assert "3 sweeps instead of 4" in table.stdout


@pytest.mark.parametrize(("wrt", "message"), [
    ("", "wrt lists no input"),
    ("x,,y", "wrt has an empty name (at position 2 of 3)"),
    ("x,x", "wrt lists 'x' twice"),
    ("z", "wrt: 'z' is not an input of the point (A, x, b, y)"),
    ("x\x1b[31m", "wrt: 'x\\x1b[31m' is not an input of the point"),
])
@pytest.mark.parametrize("command", ["jacobian", "hessian"])
def test_cli_hostile_wrt_gets_a_clear_error(command: str, wrt: str, message: str) -> None:
    source = "A @ x" if command == "jacobian" else LSQ
    p = cli(command, source, "--at", POINT, "--sparse", "--wrt", wrt)
    assert p.returncode != 0
    assert message in p.stderr and "Traceback" not in p.stderr and "\x1b" not in p.stderr
    assert p.stdout == ""


NAMES = ["x1", "x2", "x3", "x4"]
LEAF = st.sampled_from(NAMES + ["0.5", "v[0]", "v[1]", "sum(v)"])


def _expr(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "exp", "tanh"]), children).map(lambda t: f"{t[0]}(0.5*{t[1]})"),
        children.map(lambda e: f"({e})^2"),
        st.tuples(children, children).map(lambda t: f"max({t[0]}, {t[1]})"))


EXPR = st.recursive(LEAF, _expr, max_leaves=8)
WRT = st.lists(st.sampled_from(NAMES + ["v"]), min_size=1, max_size=5, unique=True)


@settings(max_examples=60, deadline=None)
@given(EXPR, st.lists(st.floats(0.2, 1.6), min_size=6, max_size=6), WRT)
def test_random_programs_sparse_wrt_equals_dense_wrt(expr: str, values: list, wrt: list) -> None:
    src = f"{expr} + 0*(x1 + x2 + x3 + x4 + v[0] + v[1])"
    point = {"x1": values[0], "x2": values[1], "x3": values[2], "x4": values[3], "v": values[4:]}
    h = sparse_hessian(src, point, wrt=wrt, dense=True)
    d = higher.hessian(src, point, wrt=wrt)
    dense, got = np.array(d.hessian), np.array(h.dense)
    assert h.columns == d.columns and h.inputs == wrt
    nz = {(i, j) for i, j in h.nonzeros}
    n = len(h.columns)
    for i in range(n):
        for j in range(n):
            if (i, j) in nz:  # read from row i, or (mirrored) row j: the dense entry there, bit for bit
                assert got[i, j] == dense[i, j] or got[i, j] == dense[j, i]
            else:
                assert got[i, j] == 0.0 and dense[i, j] == 0.0
    vec = f"[{expr}, x1*x2 + v[0], v[1]^2]"
    j = sparse_jacobian(vec, point, wrt=wrt, dense=True)
    dj = adcalc.jacobian(vec, point, wrt=wrt, mode="forward")
    assert j.columns == dj.columns and j.dense == dj.jacobian  # exactly
