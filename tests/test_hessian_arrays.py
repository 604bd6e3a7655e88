"""Hessians and H·v of array programs (forward-over-reverse through the array rule nodes), one
Hessian per output of a vector-valued source, and the second-order terms of the array rules.

The truths: hand-derived Hessians (least squares 2AᵀA, the tridiagonal Hessian of Rosenbrock's
function, softmax cross-entropy diag(s) − ssᵀ, a quadratic form Q + Qᵀ), the scalar
forward-over-reverse path on the same function written without arrays, and central differences
of reverse-mode gradients."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import adcalc
from adcalc.errors import AdcalcError
from adcalc.ops import higher
from adcalc.rules.registry import REGISTRY
from adcalc.rules.second import ZERO, second, supported

ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"
ROSEN_LOOP = "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\nreturn s"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "250"})


def cli_json(*args: str) -> dict:
    p = cli(*args, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def text(v: np.ndarray) -> str:
    return json.dumps(v.tolist()).replace(" ", "")


def rosen_hessian(x: np.ndarray) -> np.ndarray:
    """By hand: f = Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²  →  tridiagonal."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def fd_hessian(src: str, point: dict, name: str) -> np.ndarray:
    """Central differences of reverse-mode gradients (step 1e-5: error O(h²·f'''') ≈ 1e-8 here)."""
    x = np.asarray(point[name], dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1e-5
        up = adcalc.grad(src, {**point, name: x + e.reshape(x.shape)}, wrt=name).gradient[name]
        down = adcalc.grad(src, {**point, name: x - e.reshape(x.shape)}, wrt=name).gradient[name]
        cols.append((np.ravel(up) - np.ravel(down)) / 2e-5)
    return np.array(cols).T


# ---- hand-derived Hessians, through the command line ---------------------------------------------

def test_least_squares_hessian_is_two_a_transpose_a() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out = cli_json("hessian", "sum((A @ x - b)^2)", "--at", f"A={text(a)},x=[1,-1],b=[1,2,3]", "--wrt", "x")
    assert out["hessian"] == (2 * a.T @ a).tolist()  # small integers: exact
    assert out["rows"] == out["columns"] == ["x[0]", "x[1]"] and out["inputs"] == ["x"]
    r = a @ [1.0, -1.0] - [1.0, 2.0, 3.0]
    assert out["gradient"] == {"x": (2 * a.T @ r).tolist()} and out["value"] == float(r @ r)


def test_least_squares_with_a_random_matrix() -> None:
    rng = np.random.default_rng(7)
    a, b, x = rng.normal(size=(6, 4)), rng.normal(size=6), rng.normal(size=4)
    r = higher.hessian("sum((A @ x - b)^2)", {"A": a, "x": x, "b": b}, wrt="x")
    assert np.allclose(r.hessian, 2 * a.T @ a, rtol=1e-14, atol=1e-13)  # sums of 6 products: a few ulps


@pytest.mark.parametrize("src", [ROSEN, ROSEN_LOOP], ids=["slices", "loop"])
def test_rosenbrock_in_array_form_has_the_tridiagonal_hessian(src: str) -> None:
    x = np.array([-1.2, 1.0, 0.5, 2.0, -0.3, 0.75])
    r = higher.hessian(src, {"x": x})
    assert np.array_equal(np.array(r.hessian), rosen_hessian(x)) or np.allclose(r.hessian, rosen_hessian(x),
                                                                                 rtol=1e-15, atol=1e-12)
    assert r.asymmetry == 0.0


def test_rosenbrock_through_the_cli_is_tridiagonal() -> None:
    x = np.array([0.5, -0.25, 1.5, 1.0])
    out = cli_json("hessian", ROSEN, "--at", f"x={text(x)}")
    assert np.allclose(out["hessian"], rosen_hessian(x), rtol=1e-15, atol=1e-12)
    assert out["columns"] == [f"x[{i}]" for i in range(4)]
    h = np.array(out["hessian"])
    assert not h[np.abs(np.subtract.outer(range(4), range(4))) > 1].any()  # exactly zero off the band


@pytest.mark.parametrize("src", ["-sum(y * log(exp(z) / sum(exp(z))))", "log(sum(exp(z))) - dot(y, z)"])
def test_softmax_cross_entropy_hessian_is_diag_s_minus_s_s_transpose(src: str) -> None:
    z, y = np.array([0.3, -1.0, 2.0, 0.5]), np.array([0.1, 0.2, 0.3, 0.4])
    out = cli_json("hessian", src, "--at", f"z={text(z)},y={text(y)}", "--wrt", "z")
    s = np.exp(z) / np.exp(z).sum()
    assert np.allclose(out["hessian"], np.diag(s) - np.outer(s, s), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("src", ["x @ Q @ x", "dot(x, Q @ x)", "sum(x * (Q @ x))"])
def test_a_quadratic_form_has_hessian_q_plus_q_transpose(src: str) -> None:
    q = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 4.0], [0.5, 0.0, 2.0]])  # not symmetric
    out = cli_json("hessian", src, "--at", f"Q={text(q)},x=[1,-2,3]", "--wrt", "x")
    assert out["hessian"] == (q + q.T).tolist()


def test_the_other_array_primitives_against_hand_derived_hessians() -> None:
    v = np.array([1.0, -2.0, 3.0])
    assert higher.hessian("prod(x)", {"x": v}).hessian == [[0.0, 3.0, -2.0], [3.0, 0.0, 1.0], [-2.0, 1.0, 0.0]]
    n = np.linalg.norm(v)
    assert np.allclose(higher.hessian("norm(x)", {"x": v}).hessian, np.eye(3) / n - np.outer(v, v) / n**3,
                       rtol=1e-14, atol=1e-16)
    assert higher.hessian("max(x*x)", {"x": v}).hessian == [[0.0] * 3, [0.0] * 3, [0.0, 0.0, 2.0]]
    assert higher.hessian("mean(x^3)", {"x": v}).hessian == np.diag(2 * v).tolist()  # 6x/3
    a = np.array([[1.0, 2.0], [3.0, -1.0]])
    h = np.array(higher.hessian("sum(transpose(A) @ A)", {"A": a}).hessian)  # Σ_jk Σ_i a_ij a_ik = Σ_i (Σ_j a_ij)²
    assert np.array_equal(h, np.kron(np.eye(2), 2 * np.ones((2, 2))))


def test_where_on_arrays_has_the_chosen_branchs_hessian_through_the_cli() -> None:
    # f = Σ where(x > 1.5, x²·y, x·y³) at x = (1, 2, 3), y = 2: x₀ takes the second branch, so
    # f = x₀y³ + x₁²y + x₂²y — ∂²f/∂x₀∂y = 3y², ∂²f/∂xᵢ² = 2y and ∂²f/∂xᵢ∂y = 2xᵢ (i = 1, 2),
    # ∂²f/∂y² = 6x₀y.  (where's partials on boxes of arrays raised an internal error before.)
    out = cli_json("hessian", "sum(where(x > 1.5, x^2*y, x*y^3))", "--at", "x=[1,2,3],y=2")
    assert out["hessian"] == [[0.0, 0.0, 0.0, 12.0], [0.0, 4.0, 0.0, 4.0], [0.0, 0.0, 4.0, 6.0],
                              [12.0, 4.0, 6.0, 12.0]]
    sparse = cli_json("hessian", "sum(where(x > 1.5, x^2, x))", "--at", "x=[1,2,3]", "--sparse", "--dense")
    assert sparse["hessian"] == [[0.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]


# ---- cross-checks: the scalar path, finite differences --------------------------------------------

def test_the_array_path_equals_the_scalar_path_on_the_same_function() -> None:
    x = [0.7, -1.1, 0.4]
    scalar = higher.hessian("100*(x1 - x0^2)^2 + (1 - x0)^2 + 100*(x2 - x1^2)^2 + (1 - x1)^2 + sin(x0*x2)",
                            {"x0": x[0], "x1": x[1], "x2": x[2]})
    arrays = higher.hessian(ROSEN + " + sin(x[0]*x[2])", {"x": x})
    assert np.allclose(arrays.hessian, scalar.hessian, rtol=1e-14, atol=1e-12)
    assert np.allclose(arrays.gradient["x"], [scalar.gradient[n] for n in ("x0", "x1", "x2")], rtol=1e-14)


@pytest.mark.parametrize("src, point", [
    ("sum(exp(A @ x) * sin(x[0]))", {"A": [[0.5, -0.2], [0.1, 0.3], [-0.4, 0.2]], "x": [0.3, -0.7]}),
    ("norm(x)^3 + prod(x)", {"x": [0.5, -1.5, 2.0]}),
    ("sum(tanh(x * x[1]) / (1 + x^2))", {"x": [0.2, 0.9, -0.4]}),
])
def test_forward_over_reverse_equals_finite_differences_of_reverse_gradients(src: str, point: dict) -> None:
    name = "x"
    h = np.array(higher.hessian(src, point, wrt=name).hessian)
    assert np.allclose(h, fd_hessian(src, point, name), rtol=1e-7, atol=1e-7)
    assert np.allclose(h, h.T, rtol=1e-14, atol=1e-14)


def test_hvp_is_the_hessian_times_v() -> None:
    x, v = np.array([-1.2, 1.0, 0.5, 2.0]), np.array([1.0, -0.5, 0.25, 2.0])
    r = higher.hvp(ROSEN, {"x": x}, {"x": v})
    assert np.allclose(r.hvp["x"], rosen_hessian(x) @ v, rtol=1e-14, atol=1e-12)
    out = cli_json("hvp", "sum((A @ x - b)^2)", "--at", "A=[[1,2],[3,4],[5,6]],x=[1,1],b=[1,2,3]", "--wrt", "x",
                   "--dir", "x=[1,0]")
    assert out["hvp"] == {"x": [70.0, 88.0]}  # the first column of 2AᵀA


def test_hvp_refuses_a_direction_of_the_wrong_shape() -> None:
    p = cli("hvp", ROSEN, "--at", "x=[1,2,3]", "--dir", "x=[1,0]")
    assert p.returncode == 1 and "the direction for 'x' must have its shape (3,), got (2,)" in p.stderr
    with pytest.raises(AdcalcError, match="must be a number"):
        higher.hvp("sum(x)*y", {"x": [1.0, 2.0], "y": 3.0}, {"x": [1.0, 0.0], "y": [1.0]})


# ---- vector-valued sources: one Hessian per output ------------------------------------------------

def test_a_vector_source_gives_one_hessian_per_output() -> None:
    out = cli_json("hessian", "[x*y, x^2*y]", "--at", "x=2,y=3")
    assert out["outputs"] == ["f1", "f2"] and out["value"] == [6.0, 12.0]
    assert out["hessians"] == [[[0.0, 1.0], [1.0, 0.0]], [[6.0, 4.0], [4.0, 0.0]]]  # (x²y)_xx = 2y, _xy = 2x
    assert out["gradients"] == [{"x": 3.0, "y": 2.0}, {"x": 12.0, "y": 4.0}]


def test_an_array_output_gives_one_hessian_per_entry() -> None:
    out = cli_json("hessian", "A @ (x^2)", "--at", "A=[[1,2],[3,4]],x=[1,-2]", "--wrt", "x")
    assert out["outputs"] == ["f[0]", "f[1]"] and out["rows"] == ["x[0]", "x[1]"]
    # f_i = Σ_j A_ij x_j²: ∂²f_i/∂x_j² = 2 A_ij, no cross terms
    assert out["hessians"] == [[[2.0, 0.0], [0.0, 4.0]], [[6.0, 0.0], [0.0, 8.0]]]


def test_the_table_shows_one_block_per_output() -> None:
    p = cli("hessian", "x^3", "--at", "x=[1,2]")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "f[0] = 1" in lines and "f[1] = 8" in lines
    assert sum("Hessian ∂²f[" in line for line in lines) == 2
    assert ["x[1]", "12", "0", "12"] in [line.split() for line in lines]  # ∂f[1]/∂x[1] = 12, ∂²/∂x[1]² = 6·2


def test_a_big_hessian_is_summarised_in_the_table_and_whole_in_json() -> None:
    p = cli("hessian", "sum(x^2)", "--at", "x=" + text(np.arange(250.0)))
    assert p.returncode == 0 and "250 × 250 entries: too many to show" in p.stdout


def test_the_hessian_respects_the_memory_budget() -> None:
    p = cli("hessian", "sum(x^2)", "--at", "x=" + text(np.zeros(3000)), "--max-memory", "16M")
    assert p.returncode == 1 and "Traceback" not in p.stderr and "3,000" in p.stderr


# ---- the second-order terms of the array rules ----------------------------------------------------

def _cases() -> list[tuple[str, list, tuple, list]]:
    rng = np.random.default_rng(3)
    m, v, w = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=3)
    return [("matmul", [m, v], (), [0, 1]), ("dot", [w, w * 2], (), [0, 1]), ("norm", [w], (), [0]),
            ("prod", [w], (None,), [0]), ("prod", [m], (0,), [0]), ("prod", [m], (1,), [0]),
            ("sum", [m], (1,), [0]), ("mean", [m], (None,), [0]), ("transpose", [m], (), [0]),
            ("amax", [w], (None,), [0]), ("amin", [m], (0,), [0])]


@pytest.mark.parametrize("name, args, params, moving", _cases(), ids=lambda c: str(c)[:12])
def test_second_order_terms_equal_central_differences_of_the_vjp(name: str, args: list, params: tuple,
                                                                  moving: list) -> None:
    prim = REGISTRY[name]
    assert supported(prim)
    rng = np.random.default_rng(11)
    tangents = [rng.normal(size=np.shape(a)) if i in moving else None for i, a in enumerate(args)]
    out = prim.value(args, params)
    g = rng.normal(size=np.shape(out)) if np.ndim(out) else 0.7
    got = second(prim, args, tangents, params, out, g)
    h = 1e-6

    def vjp_at(eps: float) -> list:
        moved = [a + eps * t if t is not None else a for a, t in zip(args, tangents)]
        return prim.vjp(moved, params, prim.value(moved, params), g)

    for i in moving:
        fd = (np.asarray(vjp_at(h)[i]) - np.asarray(vjp_at(-h)[i])) / (2 * h)
        term = np.zeros(np.shape(args[i])) if got[i] is None else got[i]
        assert np.allclose(term, fd, rtol=1e-6, atol=1e-7), (name, i)
        if name in ZERO:
            assert got[i] is None


def test_every_differentiable_array_primitive_has_a_second_order_rule() -> None:
    from adcalc.rules.registry import ARRAY_PRIMITIVES

    assert [n for n, p in ARRAY_PRIMITIVES.items() if p.vjp is not None and not supported(p)] == []


def test_hessians_of_array_programs_from_threads() -> None:
    import threading

    points = [np.array([-1.2 + 0.1 * k, 1.0, 0.5 - 0.2 * k, 2.0]) for k in range(6)]
    got: dict[int, bool] = {}

    def work(k: int) -> None:
        r = higher.hessian(ROSEN, {"x": points[k]})
        got[k] = bool(np.allclose(r.hessian, rosen_hessian(points[k]), rtol=1e-15, atol=1e-12))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {k: True for k in range(6)}


def test_kinks_and_non_finite_values_are_reported_as_in_the_scalar_path() -> None:
    r = higher.hessian("sum(abs(x) * x)", {"x": [0.0, 1.0]})
    assert r.hessian == [[0.0, 0.0], [0.0, 2.0]] and [w.kind for w in r.warnings] == ["kink"]  # (|x|x)'' = 2 sign x
    p = cli("hessian", "sum(sqrt(x))", "--at", "x=[0,1]")
    assert p.returncode == 0 and "RuntimeWarning" not in p.stderr and "sqrt is not differentiable here" in p.stderr
    assert ["x[0]", "inf", "-inf", "0"] in [line.split() for line in p.stdout.splitlines()]


def test_element_reads_mixed_with_whole_array_cotangents() -> None:
    """x is read element by element and as a whole, in both orders (the sweep adds element
    cotangents in place into an adjoint it owns, never into a rule's array)."""
    x = np.array([0.5, -1.0, 2.0])
    for src in ("x[0] * sum(x^2) + x[2] * x[1]", "s = sum(exp(x))\nfor i in range(3):\n    s += x[i] * x[2 - i]\n"
                "return s * x[1]"):
        h = np.array(higher.hessian(src, {"x": x}).hessian)
        assert np.allclose(h, fd_hessian(src, {"x": x}, "x"), rtol=1e-7, atol=1e-7)
    # f = x0·Σxᵢ² + x2·x1: H = 2·x0·I + 2(e0 xᵀ + x e0ᵀ) + (e1e2ᵀ + e2e1ᵀ)
    want = 2 * x[0] * np.eye(3) + 2 * (np.outer(np.eye(3)[0], x) + np.outer(x, np.eye(3)[0]))
    want[1, 2] += 1
    want[2, 1] += 1
    assert np.array_equal(np.array(higher.hessian("x[0] * sum(x^2) + x[2] * x[1]", {"x": x}).hessian), want)


def test_a_vector_sources_hessian_with_respect_to_an_input_it_never_reads_is_zero() -> None:
    """Found by the fuzz: --wrt naming only an unread input gave empty Hessians and the table an
    internal error (no direction was seeded, so the tangents had width 0)."""
    from adcalc.ops import higher

    r = higher.hessian("[x*y, sin(x)]", {"x": 0.5, "y": 1.5, "z": -2.0}, wrt="z")
    assert r.hessians == [[[0.0]], [[0.0]]] and r.gradients == [{"z": 0.0}, {"z": 0.0}]
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "adcalc", "hessian", "[x*y, sin(x)]", "--at", "x=0.5,y=1.5,z=-2",
                        "--wrt", "z"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "internal error" not in p.stderr and "∂²f2" in p.stdout


def test_pow_with_array_exponents_by_hand() -> None:
    """Found by the fuzz (max(v ** v) over an array escaped as an AttributeError): pow's partials
    decide their special cases elementwise on arrays.  f = Σ xᵢ^yᵢ: ∂²/∂xᵢ² = yᵢ(yᵢ−1)xᵢ^(yᵢ−2),
    ∂²/∂xᵢ∂yᵢ = xᵢ^(yᵢ−1)(1 + yᵢ ln xᵢ), ∂²/∂yᵢ² = xᵢ^yᵢ (ln xᵢ)²."""
    import numpy as np

    from adcalc.ops import higher

    x, y = np.array([1.5, 0.7]), np.array([2.0, 3.0])
    h = np.array(higher.hessian("sum(x^y)", {"x": x, "y": y}).hessian)
    want = np.zeros((4, 4))
    for i in range(2):
        want[i, i] = y[i] * (y[i] - 1) * x[i] ** (y[i] - 2)
        want[i, 2 + i] = want[2 + i, i] = x[i] ** (y[i] - 1) * (1 + y[i] * np.log(x[i]))
        want[2 + i, 2 + i] = x[i] ** y[i] * np.log(x[i]) ** 2
    assert np.allclose(h, want, rtol=1e-13, atol=1e-15)
    v = np.array([1.0, 2.0, 0.5])
    hv = np.array(higher.hessian("max(v ** v)", {"v": v}).hessian)  # d²(v^v)/dv² = v^v((ln v + 1)² + 1/v) at the max
    assert np.isclose(hv[1, 1], 4.0 * ((np.log(2.0) + 1.0) ** 2 + 0.5), rtol=1e-13) and np.count_nonzero(hv) == 1
