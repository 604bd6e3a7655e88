"""deriv (Taylor mode) and check with array inputs and array programs.

Truths: hand-derived derivatives along a direction (polynomials in t written out), the scalar
Taylor path on the same function written without arrays, and the Hessian by forward-over-reverse
(vᵀHv is the second derivative along v: two AD methods, forward-over-forward and
forward-over-reverse, that share no code past the registry's rules)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from adcalc.errors import AdcalcError
from adcalc.ops import higher
from adcalc.ops.checks import check

ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})


def cli_json(*args: str) -> dict:
    p = cli(*args, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


# ---- deriv with arrays: hand-derived series ------------------------------------------------------

def test_deriv_of_a_sum_of_cubes_along_a_direction() -> None:
    # g(t) = (1 + t)³ + (2 − 2t)³: g' = 3 − 24 = −21, g'' = 6 + 48 = 54, g''' = 6 − 48 = −42, g'''' = 0
    out = cli_json("deriv", "sum(x^3)", "--at", "x=[1,2]", "--dir", "x=[1,-2]", "--order", "4")
    assert out["derivatives"] == [-21.0, 54.0, -42.0, 0.0] and out["value"] == 9.0


def test_deriv_of_an_array_output_is_an_array_per_order() -> None:
    out = cli_json("deriv", "x^3", "--at", "x=[1,2]", "--dir", "x=[1,1]", "--order", "3")
    assert out["value"] == [1.0, 8.0] and out["derivatives"] == [[3.0, 12.0], [6.0, 12.0], [6.0, 6.0]]


def test_deriv_through_matmul_with_both_factors_moving() -> None:
    # g(t) = 1ᵀ(A + tB)(x + tu): g' = 1ᵀ(Bx + Au), g'' = 2·1ᵀBu, g''' = 0
    a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 1.0], [-1.0, 2.0]])
    x, u = np.array([1.0, -1.0]), np.array([2.0, 0.5])
    out = cli_json("deriv", "sum(A @ x)", "--at", "A=[[1,2],[3,4]],x=[1,-1]", "--dir", "A=[[0,1],[-1,2]],x=[2,0.5]",
                   "--order", "3")
    assert out["derivatives"] == [float(np.sum(b @ x + a @ u)), float(2 * np.sum(b @ u)), 0.0]


def test_deriv_of_least_squares_with_wrt_holds_a_and_b() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    v = np.array([1.0, -1.0])
    out = cli_json("deriv", "sum((A @ x - b)^2)", "--at", "A=[[1,2],[3,4],[5,6]],x=[1,1],b=[1,2,3]", "--wrt", "x",
                   "--dir", "x=[1,-1]", "--order", "3")
    r = a @ [1.0, 1.0] - [1.0, 2.0, 3.0]
    assert out["derivatives"] == [float(2 * r @ (a @ v)), float(2 * v @ a.T @ a @ v), 0.0]


def test_deriv_of_norm_and_prod() -> None:
    # √((3 + t)² + 16): 3/5, 16/125, −144/3125;  (1 + t)(2 + t)(3 + t) = 6 + 11t + 6t² + t³
    norm = higher.deriv("norm(x)", {"x": [3.0, 4.0]}, direction={"x": [1.0, 0.0]}, order=3).derivatives
    assert np.allclose(norm, [0.6, 16 / 125, -144 / 3125], rtol=1e-15, atol=0)
    assert higher.deriv("prod(x)", {"x": [1.0, 2.0, 3.0]}, direction={"x": [1.0, 1.0, 1.0]},
                        order=4).derivatives == [11.0, 12.0, 6.0, 0.0]
    # prod along an axis: rows (1 + t)(2 − t) = 2 + t − t², (3)(4 + 2t) = 12 + 6t
    out = higher.deriv("prod(A, axis=1)", {"A": [[1.0, 2.0], [3.0, 4.0]]}, direction={"A": [[1.0, -1.0], [0.0, 2.0]]},
                       order=2)
    assert [d.tolist() for d in out.derivatives] == [[1.0, 6.0], [-2.0, 0.0]]


def test_deriv_with_arrays_equals_the_scalar_path_element_by_element() -> None:
    x, v = [0.7, -0.4, 1.3], [1.0, 0.5, -2.0]
    arrays = higher.deriv("sum(exp(x) * sin(x[0] * x))", {"x": x}, direction={"x": v}, order=5)
    scalar = higher.deriv("exp(a)*sin(a*a) + exp(b)*sin(a*b) + exp(c)*sin(a*c)",
                          {"a": x[0], "b": x[1], "c": x[2]}, direction=dict(zip("abc", v)), order=5)
    assert np.allclose(arrays.derivatives, scalar.derivatives, rtol=1e-12, atol=1e-12)  # NumPy vs math: a few ulps


@pytest.mark.parametrize("src, point, name", [
    (ROSEN, {"x": [-1.2, 1.0, 0.5, 2.0]}, "x"),
    ("log(sum(exp(z))) - dot(y, z)", {"z": [0.3, -1.0, 2.0], "y": [0.2, 0.3, 0.5]}, "z"),
    ("x @ Q @ x + norm(x)^3", {"Q": [[1.0, 2.0], [-1.0, 3.0]], "x": [0.5, -1.5]}, "x"),
    ("sum(tanh(A @ x) * x[0]) + prod(x)", {"A": [[0.5, -0.2], [0.1, 0.3]], "x": [0.3, -0.7]}, "x"),
])
def test_taylor_second_derivatives_equal_the_forward_over_reverse_hessian(src: str, point: dict, name: str) -> None:
    """vᵀHv = d²/dt² f(x + tv); H by polarization of Taylor: (D²(eᵢ + eⱼ) − D²eᵢ − D²eⱼ) / 2."""
    h = np.array(higher.hessian(src, point, wrt=name).hessian)
    n = h.shape[0]
    shape = np.shape(point[name])

    def d2(v: np.ndarray) -> float:
        return higher.deriv(src, point, wrt=name, direction={name: v.reshape(shape)}, order=2).derivatives[1]

    rng = np.random.default_rng(5)
    for _ in range(3):
        v = rng.normal(size=n)
        assert math.isclose(d2(v), v @ h @ v, rel_tol=1e-12, abs_tol=1e-12 * np.abs(h).max())
    e = np.eye(n)
    taylor = np.array([[(d2(e[i] + e[j]) - d2(e[i]) - d2(e[j])) / 2 for j in range(n)] for i in range(n)])
    assert np.allclose(taylor, h, rtol=1e-12, atol=1e-10 * np.abs(h).max())


def test_deriv_with_arrays_traces_array_coefficients() -> None:
    p = cli("deriv", "sum(x^2)", "--at", "x=[1,2]", "--dir", "x=[1,1]", "--order", "2", "--trace")
    assert p.returncode == 0, p.stderr
    rows = [line.split() for line in p.stdout.splitlines()]
    assert ["v3", "sum(v2)", "5", "6", "2"] in rows  # c₁ = 2·(1 + 2), c₂ = 2 / 2!·... = 1 + 1


def test_deriv_array_errors_are_clear() -> None:
    p = cli("deriv", "sum(x)*y", "--at", "x=[1,2],y=3", "--wrt", "x", "--order", "2")
    assert p.returncode == 1 and "'x' is an array: say how it moves with a direction" in p.stderr
    p = cli("deriv", "sum(x)", "--at", "x=[1,2]", "--dir", "x=[1,2,3]", "--order", "2")
    assert p.returncode == 1 and "must have its shape (2,), got (3,)" in p.stderr and "Traceback" not in p.stderr
    with pytest.raises(AdcalcError, match="must be a number"):
        higher.deriv("sum(x)*y", {"x": [1.0, 2.0], "y": 3.0}, direction={"x": [1.0, 0.0], "y": [1.0]}, order=2)


# ---- check with arrays -----------------------------------------------------------------------------

def test_check_takes_array_inputs_entry_by_entry() -> None:
    out = cli_json("check", "A @ x", "--at", "A=[[1,2],[3,4]],x=[1,-1]", "--wrt", "x")
    assert out["ok"] is True
    assert [(e["output"], e["input"]) for e in out["entries"]] == [(0, "x[0]"), (1, "x[0]"), (0, "x[1]"), (1, "x[1]")]
    assert [e["reverse"] for e in out["entries"]] == [1.0, 3.0, 2.0, 4.0]  # the columns of A
    assert all(abs(e["central"] - e["reverse"]) < 1e-8 for e in out["entries"])
    assert out["dot_test"]["ok"] is True and len(out["dot_test"]["v"]["x"]) == 2


def test_check_of_an_array_program_with_every_input() -> None:
    r = check(ROSEN, {"x": [-1.2, 1.0, 0.5]})
    x = [-1.2, 1.0, 0.5]
    grad = [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]),
            200 * (x[1] - x[0] ** 2) - 400 * x[1] * (x[2] - x[1] ** 2) - 2 * (1 - x[1]),
            200 * (x[2] - x[1] ** 2)]
    assert r.ok and [e.input for e in r.entries] == ["x[0]", "x[1]", "x[2]"]
    assert np.allclose([e.reverse for e in r.entries], grad, rtol=1e-14, atol=1e-12)


def test_check_finds_a_wrong_derivative_in_an_array_program() -> None:
    # floor is flat beside its jumps: AD says 0, but every central difference across the jump at x[1] = 2 is 1/(2δ)
    r = check("sum(floor(x))", {"x": [0.5, 2.0]})
    assert not r.ok and [e.ok for e in r.entries] == [True, False]
