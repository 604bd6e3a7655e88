"""Compiled Hessian code (``hvp``, ``hessian``) of whole-array programs: reverse code generated
from the program's forward transformation, array steps included (``codegen/arraytangents``).

The truths: hand-derived Hessians (least squares 2AᵀA, vectorised Rosenbrock's tridiagonal
Hessian, softmax cross-entropy diag(s) − ssᵀ, a quadratic form Q + Qᵀ, a broadcast scalar), and
the interpreter's forward-over-reverse ``higher.hessian``/``hvp`` and ``adcalc hessian`` (a
subprocess).  Compiled (reverse-over-forward) and interpreted (forward-over-reverse) results sum
the same terms in another order, so they are compared within ``REL`` = 1e-12 of the largest
entry of |H|·|v| (|H|: the interpreter's Hessian, entry by entry absolute), far above the
rounding of these small programs and far below any wrong term.  Hand formulas are compared with
``close_to_scale`` against the sum of the absolute values of their terms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric import close_to_scale
from test_codegen_whole import array_programs

import adcalc
from adcalc.errors import AdcalcError
from adcalc.ops import higher

ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"
REL = 1e-12


def interpreted_hessian(src: str, point: dict[str, object]) -> np.ndarray:
    return np.array(higher.hessian(src, point).hessian, dtype=float)


def agrees(got: object, want: object, scale: object) -> bool:
    """|got − want| ≤ REL · max(scale) entry by entry (see the module docstring), over the finite
    entries of ``scale``; a nan or an infinity (a point outside a domain) must be the same in both."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = np.abs(np.asarray(scale, dtype=float))
    bound = REL * float(np.max(scale[np.isfinite(scale)], initial=0.0))
    if got.shape != want.shape:
        return False
    finite = np.isfinite(got) & np.isfinite(want)
    same = (np.isnan(got) & np.isnan(want)) | (got == want)
    with np.errstate(invalid="ignore"):  # inf − inf where both are the same infinity
        return bool(np.all(same | (finite & (np.abs(got - want) <= bound))))


def flat(parts: object) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(p, dtype=float)) for p in parts] or [np.zeros(0)])


def check_against_interpreter(src: str, point: dict[str, object], seed: int = 0) -> np.ndarray:
    """The compiled hessian and hvp along a random direction against the interpreter's."""
    c = adcalc.compile(src)
    xs = [point[n] for n in c.inputs]
    h = interpreted_hessian(src, point)
    got = np.array(c.hessian(*xs))
    assert agrees(got, h, np.abs(h)), (got, h)
    rng = np.random.default_rng(seed)
    v = [rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal()) for x in xs]
    hv = c.hvp(xs, v)
    assert [np.shape(a) for a in hv] == [np.shape(x) for x in xs]
    want = higher.hvp(src, point, dict(zip(c.inputs, v))).hvp
    assert agrees(flat(hv), flat(want[n] for n in c.inputs), np.abs(h) @ np.abs(flat(v)))
    return got


def test_least_squares_is_two_a_transpose_a() -> None:
    a = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 4.0]])
    src = "def f(x):\n    A = [[1, 2], [3, -1], [0.5, 4]]\n    return sum((A @ x - [1, 2, 3])^2)"
    got = check_against_interpreter(src, {"x": np.array([0.3, -0.7])})
    assert np.array_equal(got, 2 * a.T @ a)  # small integers and halves: every product and sum exact


def rosen_hessian(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rosenbrock's tridiagonal Hessian by hand, and the sum of its terms' absolute values."""
    n = x.size
    h, s = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n - 1):
        terms = [1200 * x[i] ** 2, -400 * x[i + 1], 2.0]
        h[i, i] += sum(terms)
        s[i, i] += sum(abs(t) for t in terms)
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
        s[i, i + 1] = s[i + 1, i] = abs(400 * x[i])
        h[i + 1, i + 1] += 200
        s[i + 1, i + 1] += 200
    return h, s


@pytest.mark.parametrize("n", [2, 3, 7])
def test_vectorised_rosenbrock_is_tridiagonal(n: int) -> None:
    x = np.cos(np.arange(n) + 0.5) * 1.3
    got = check_against_interpreter(ROSEN, {"x": x})
    h, s = rosen_hessian(x)
    assert close_to_scale(got, h, s, 16)


def test_softmax_cross_entropy_is_diag_s_minus_s_s_transpose() -> None:
    z = np.array([0.5, -1.25, 2.0, 0.0])
    got = check_against_interpreter("log(sum(exp(z))) - z[1]", {"z": z})
    s = np.exp(z) / np.sum(np.exp(z))
    assert close_to_scale(got, np.diag(s) - np.outer(s, s), np.diag(s) + np.outer(s, s), 32)


def test_quadratic_form_is_q_plus_q_transpose() -> None:
    q = np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 1.0], [4.0, 0.0, 5.0]])
    src = "dot(x, [[1, 2, 0], [0, 3, 1], [4, 0, 5]] @ x)"
    got = check_against_interpreter(src, {"x": np.array([0.25, -2.0, 1.5])})
    assert np.array_equal(got, q + q.T)


def test_quadratic_form_with_q_an_input_has_the_cross_terms() -> None:
    """f = xᵀQx over (x, Q): ∂²/∂x² = Q + Qᵀ, ∂²f/∂xₖ∂Qᵢⱼ = δₖᵢxⱼ + xᵢδₖⱼ, ∂²/∂Q² = 0."""
    x, q = np.array([0.5, -1.0]), np.array([[1.0, 2.0], [-3.0, 0.25]])
    got = check_against_interpreter("def f(x, Q):\n    return transpose(x) @ (Q @ x)", {"x": x, "Q": q})
    want = np.zeros((6, 6))
    want[:2, :2] = q + q.T
    for k in range(2):
        for i in range(2):
            for j in range(2):
                want[k, 2 + 2 * i + j] = want[2 + 2 * i + j, k] = (k == i) * x[j] + x[i] * (k == j)
    assert np.array_equal(got, want)


def test_a_broadcast_scalar_input() -> None:
    """f(x, s) = Σ exp(s·xᵢ) + s²·Σ xᵢ: the scalar s is broadcast across x."""
    x, s = np.array([0.5, -1.0, 2.0]), 0.75
    got = check_against_interpreter("def f(x, s):\n    return sum(exp(s*x) + s^2*x)", {"x": x, "s": s})
    e = np.exp(s * x)
    want = np.zeros((4, 4))
    want[:3, :3] = np.diag(s * s * e)
    want[:3, 3] = want[3, :3] = e * (1 + s * x) + 2 * s
    want[3, 3] = np.sum(x * x * e) + 2 * np.sum(x)
    scale = np.zeros((4, 4))
    scale[:3, :3] = np.abs(want[:3, :3])
    scale[:3, 3] = scale[3, :3] = e * (1 + np.abs(s * x)) + 2 * s
    scale[3, 3] = np.sum(x * x * e) + 2 * np.sum(np.abs(x))
    assert close_to_scale(got, want, scale, 32)


SLICES = ("def f(x, y):\n    z = zeros(3)\n    z[0] = x[1] * y\n    z[1:] = x[:2]^2\n    w = [x[0], y, sum(x)]\n"
          "    m = transpose([x, x*y])\n    return dot(z, w) + norm(x)*y + sum(m[1]) * mean(x^3) + sum(m @ [y, 2])")


def test_slices_literals_index_assignment_transpose_and_norm() -> None:
    point = {"x": np.array([0.5, -1.5, 2.0]), "y": 0.75}
    got = check_against_interpreter(SLICES, point, seed=3)
    assert np.array_equal(got, got.T) or np.max(np.abs(got - got.T)) <= REL * np.max(np.abs(got))


def test_where_on_arrays_and_a_matrix_reduction_along_an_axis() -> None:
    src = ("def f(x, A):\n    return sum(where(x > 0.5, x^3, sin(x))) + sum(mean(A*A, axis=0) * x)"
           " + sum(sum(A, axis=1)^2)")
    check_against_interpreter(src, {"x": np.array([0.2, 1.0, -0.3]), "A": np.arange(6.0).reshape(2, 3) / 4})


def test_the_cli_hessian_agrees_with_the_compiled_one() -> None:
    x = np.array([0.5, -1.25, 1.0, 2.0])
    p = subprocess.run([sys.executable, "-m", "adcalc", "hessian", ROSEN, "--at", f"x={json.dumps(x.tolist())}",
                        "--json"], capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert p.returncode == 0, p.stderr
    want = np.array(json.loads(p.stdout)["hessian"])
    got = np.array(adcalc.compile(ROSEN).hessian(x))
    assert agrees(got, want, np.abs(want))


def test_max_and_min_split_ties_as_the_interpreter_does() -> None:
    """max/min as reductions (axis None and 0) and elementwise, at points with ties (A's last
    column, x's 2.0 against x² = 4 … and 1.0 against the literal 1.0)."""
    x, a = np.array([0.5, 2.0, 1.0]), np.array([[1.0, 2.0, 3.0], [3.0, 0.5, 3.0]])
    for src in ("sum(max(A, axis=0)*x)", "sum(min(A, axis=0)^2) + max(x)^3",
                "max(x, 1.0, x^2)[2]^2 + sum(min(x, 1.0)*x)", "max(A)*min(x)"):
        c = adcalc.compile(src)
        check_against_interpreter(src, {n: {"x": x, "A": a}[n] for n in c.inputs})
    # by hand: f = max(x)³ with x = (0.5, 2, 2): the tie gives each 2 half the derivative 3·4,
    # so the Hessian's 2×2 block is 6·2·(1/2)(1/2) = 3 in every entry
    got = np.array(adcalc.compile("max(x)^3").hessian(np.array([0.5, 2.0, 2.0])))
    assert np.array_equal(got, [[0.0, 0.0, 0.0], [0.0, 3.0, 3.0], [0.0, 3.0, 3.0]])


def test_the_zero_rule_holds_where_a_partial_is_infinite() -> None:
    """sqrt at 0 has an infinite partial: times an exact-zero direction entry it contributes 0,
    and a zero partial (3·sqrt(0)²) times the infinite tangent is 0 too, as in the interpreter's
    forward mode (rules/shapes.mul0) — no nan spreads into the other entries.  By hand, for
    f = s·Σ sqrt(xᵢ)³ = s·Σ xᵢ^1.5: ∂²f/∂xᵢ² = 0.75·s/sqrt(xᵢ), ∂²f/∂xᵢ∂s = 1.5·sqrt(xᵢ)."""
    src = "def f(x, s):\n    return sum(sqrt(x)^3 * s)"
    point = {"x": np.array([0.0, 1.0, 4.0]), "s": 1.5}
    got = check_against_interpreter(src, point)
    assert np.array_equal(got[1:3, 1:3], np.diag([1.125, 0.5625])) and np.array_equal(got[3], [0.0, 1.5, 3.0, 0.0])
    assert np.all(np.isfinite(got))
    got = check_against_interpreter("sum(sqrt(x)) + sum(x^2)", {"x": np.array([0.0, 1.0])})
    assert got[0, 0] == -np.inf and got[1, 1] == 2 - 0.25 and got[0, 1] == got[1, 0] == 0.0


@pytest.mark.parametrize(("src", "name"), [("prod(x)", "prod"), ("sum(max(A, axis=1))*x[0]", r"max\(…, axis=1\)"),
                                           ("min(A, axis=-1)[0]*x[1]", r"min\(…, axis=-1\)")])
def test_what_stays_refused_names_the_primitive_and_falls_back(src: str, name: str) -> None:
    c = adcalc.compile(src)
    assert not c.has_hessian()
    x, a = np.array([0.5, 2.0, 1.5]), np.array([[1.0, 2.0, 3.0], [3.0, 0.5, 3.0]])
    point = {n: {"x": x, "A": a}[n] for n in c.inputs}
    with pytest.raises(AdcalcError, match=name):
        c.hvp(list(point.values()), list(point.values()))
    f = adcalc.function(src, inputs=list(point), shapes={n: np.shape(v) for n, v in point.items()})
    flat_x = flat(point.values())
    f(flat_x)
    assert f._second() is None  # adcalc.function's hess falls back to the interpreter
    assert np.array_equal(f.hess(flat_x), interpreted_hessian(src, point))


def test_a_direction_of_the_wrong_shape_is_a_clear_error() -> None:
    c = adcalc.compile(ROSEN)
    for v, text in (([np.ones(2)], r"input's shape \(3,\), but its shape is \(2,\)"),
                    ([[1.0, [2.0]]], "not a rectangular array")):
        with pytest.raises(AdcalcError, match=text):
            c.hvp([np.ones(3)], v)


def test_threads_share_the_compiled_hessian_code() -> None:
    c = adcalc.compile(ROSEN)
    points = [np.linspace(-1, 1, 5) * (k + 1) / 3 for k in range(6)]
    got: dict[int, object] = {}

    def work(k: int) -> None:
        got[k] = np.array(c.hessian(points[k]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(6):
        h, s = rosen_hessian(points[k])
        assert close_to_scale(got[k], h, s, 16)


def test_function_hess_and_hessp_use_the_compiled_code_and_scipy_reaches_the_minimum() -> None:
    optimize = pytest.importorskip("scipy.optimize")
    f = adcalc.function(ROSEN)
    x0 = 1 + 0.3 * np.cos(np.arange(10.0))
    f(x0)
    assert f._second() is not None  # the compiled Hessian code, not the interpreter's fallback
    p = np.sin(np.arange(10.0))
    h, s = rosen_hessian(x0)
    assert close_to_scale(f.hess(x0), h, s, 16)
    assert close_to_scale(f.hessp(x0, p), h @ p, s @ np.abs(p), 16)
    for method, kw in (("trust-exact", {"hess": f.hess}), ("Newton-CG", {"hessp": f.hessp})):
        r = optimize.minimize(f, x0, method=method, jac=f.grad, **kw,
                              options={"gtol": 1e-12} if method == "trust-exact" else {"xtol": 1e-12})
        assert np.max(np.abs(r.x - 1.0)) <= 1e-8, (method, r)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(src=array_programs(), seed=st.integers(0, 2**16), n=st.integers(2, 4))
def test_random_array_programs_hessians_match_the_interpreter(src: str, seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    point = {"x": rng.uniform(-2, 2, n), "A": rng.uniform(-2, 2, (2, n)), "s": float(rng.uniform(0.5, 2))}
    c = adcalc.compile(src)
    if "prod(" in src:
        assert not c.has_hessian()
        return
    if not np.isfinite(adcalc.evaluate(src, point).value):
        # outside a domain (log1p(x) at x < −1): which Hessian entries are nan depends on the
        # sweep order (rows here, columns in forward-over-reverse); only the shape is compared
        n = sum(int(np.size(v)) for v in point.values())
        assert np.shape(c.hessian(*[point[k] for k in c.inputs])) == (n, n)
        return
    check_against_interpreter(src, point, seed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_the_fuzzers_array_programs_with_loops_match_the_interpreter(seed: int) -> None:
    """tests/fuzz_inputs.py's array programs: literals, a matrix, @, transpose, reductions along
    axes, and a loop assigning v[i] (the control-flow path of the NumPy generator)."""
    import random

    from fuzz_inputs import random_array_program

    rng = random.Random(seed)
    src = random_array_program(rng)
    values = {"x": rng.uniform(-2, 2), "y": rng.uniform(-2, 2)}
    point = {n: values[n] for n in adcalc.load(src).program.inputs}
    c = adcalc.compile(src)
    if "prod(" in src:
        with pytest.raises(AdcalcError, match=r"prod\(\)"):
            c.hessian(*[point[n] for n in c.inputs])
        return
    check_against_interpreter(src, point, seed % 1000)


def test_a_literal_matrix_gets_no_tangent_term() -> None:
    """The forward transformation leaves out Ȧ·x when A never depends on an input (its tangent is
    exactly zero): A @ x and A @ ẋ only; with A an input, Ȧ @ x as well."""
    from adcalc.ops.codegen.tangents import jvp_program

    def matmuls(src: str) -> list[tuple[str, ...]]:
        main = jvp_program(adcalc.load(src).program).main
        return [tuple(str(a) for a in ins.args) for ins in main.code if getattr(ins, "prim", None) == "matmul"]

    literal = matmuls("def f(x):\n    A = [[1, 2], [3, -1]]\n    return sum((A @ x)^2)")
    assert len(literal) == 2 and all(args[0] == "A" for args in literal)
    assert len(matmuls("def f(x, A):\n    return sum((A @ x)^2)")) == 3
