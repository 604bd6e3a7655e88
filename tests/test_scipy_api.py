"""``adcalc.function`` the way SciPy users call it (issue #19): one flat NumPy vector x, and
``grad``/``hess``/``hessp``/``jac`` handed straight to ``scipy.optimize``.

The truth is SciPy's own hand-written Rosenbrock derivatives (``rosen_der``, ``rosen_hess``,
``rosen_hess_prod``) and hand-derived Jacobians: the optimisers must take the same number of
iterations with adcalc's derivatives as with SciPy's, and reach the minimum."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import close

import adcalc
from adcalc import AdcalcError

optimize = pytest.importorskip("scipy.optimize")


def rosen_source(n: int) -> str:
    """Rosenbrock over n scalar parameters of a def (so x's order is the def's)."""
    names = [f"x{i}" for i in range(1, n + 1)]
    lines = [f"def rosen({', '.join(names)}):", "    s = 0"]
    for i in range(n - 1):
        lines.append(f"    s = s + 100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2")
    return "\n".join(lines + ["    return s"])


ARRAY_ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"
METHODS = {  # method → (adcalc's keywords, SciPy's own, options reaching 1e-8)
    "BFGS": (lambda f: {"jac": f.grad}, {"jac": optimize.rosen_der}, {"gtol": 1e-11}),
    "trust-exact": (lambda f: {"jac": f.grad, "hess": f.hess},
                    {"jac": optimize.rosen_der, "hess": optimize.rosen_hess}, {"gtol": 1e-11}),
    "Newton-CG": (lambda f: {"jac": f.grad, "hessp": f.hessp},
                  {"jac": optimize.rosen_der, "hessp": optimize.rosen_hess_prod}, {"xtol": 1e-12}),
}


@pytest.mark.parametrize("n", [2, 10, 100])
@pytest.mark.parametrize("method", list(METHODS))
def test_minimize_rosenbrock_as_with_scipys_own_derivatives(method: str, n: int) -> None:
    f = adcalc.function(rosen_source(n))
    ours, theirs, options = METHODS[method]
    x0 = np.array([-1.2, 1.0]) if n == 2 else 1 + 0.3 * np.cos(np.arange(n))  # the classic start for n = 2
    mine = optimize.minimize(f, x0, method=method, options=options, **ours(f))
    ref = optimize.minimize(optimize.rosen, x0, method=method, options=options, **theirs)
    assert mine.success and ref.success
    assert np.max(np.abs(mine.x - 1.0)) <= 1e-8
    assert mine.nit == ref.nit and mine.njev == ref.njev


def test_the_compiled_code_serves_scalar_programs_and_matches_scipy() -> None:
    f = adcalc.function(rosen_source(10))
    x = np.linspace(-1.0, 2.0, 10)
    assert close(f(x), optimize.rosen(x))  # the first call: the interpreter
    assert f._compiled() is not None  # from the second call on: compiled
    assert close(f(x), optimize.rosen(x))
    assert np.allclose(f.grad(x), optimize.rosen_der(x), rtol=1e-13, atol=0)
    assert np.allclose(f.hess(x), optimize.rosen_hess(x), rtol=1e-13, atol=0)
    p = np.cos(np.arange(10.0))
    assert np.allclose(f.hessp(x, p), optimize.rosen_hess_prod(x, p), rtol=1e-13, atol=1e-12)
    value, g = f.value_and_grad(x)
    assert value == f(x) and np.array_equal(g, f.grad(x))


def test_hess_and_hessp_run_the_compiled_hessian_code(monkeypatch: pytest.MonkeyPatch) -> None:
    from adcalc.ops import higher

    f = adcalc.function(rosen_source(6))
    x = np.linspace(-1.0, 2.0, 6)
    f(x)
    f(x)  # the backend is chosen
    monkeypatch.setattr(higher, "hessian", lambda *a, **k: pytest.fail("the interpreter's Hessian ran"))
    monkeypatch.setattr(higher, "hvp", lambda *a, **k: pytest.fail("the interpreter's hvp ran"))
    assert np.allclose(f.hess(x), optimize.rosen_hess(x), rtol=1e-13, atol=0)
    p = np.sin(np.arange(6.0))
    assert np.allclose(f.hessp(x, p), optimize.rosen_hess_prod(x, p), rtol=1e-13, atol=1e-12)


def test_array_inputs_flat_row_major_match_scipy() -> None:
    f = adcalc.function(ARRAY_ROSEN)  # one input: x is that array
    x = np.linspace(-1.0, 2.0, 7)
    assert close(f(x), optimize.rosen(x))
    assert f._compiled() is not None  # arrays: the compiled NumPy code too (issue #16)
    assert np.allclose(f.grad(x), optimize.rosen_der(x), rtol=1e-13, atol=0)
    assert f.jac(x).shape == (1, 7) and np.allclose(f.jac(x)[0], optimize.rosen_der(x), rtol=1e-13, atol=0)
    r = optimize.minimize(f, x, method="BFGS", jac=f.grad, options={"gtol": 1e-11})
    assert np.max(np.abs(r.x - 1.0)) <= 1e-8


def test_a_matrix_and_a_scalar_in_x_row_major() -> None:
    f = adcalc.function("sum((A @ v) * c)", inputs=["c", "A", "v"], shapes={"A": (2, 3), "v": (3,)})
    c, A, v = 2.0, np.arange(6.0).reshape(2, 3) + 1, np.array([0.5, -1.0, 3.0])
    x = np.concatenate([[c], A.reshape(-1), v])
    assert close(f(x), float(np.sum(A @ v) * c))
    g = f.grad(x)
    # by hand: ∂/∂c = Σ(A v), ∂/∂A[i, j] = c·v[j], ∂/∂v[j] = c·Σᵢ A[i, j]
    expect = np.concatenate([[np.sum(A @ v)], (c * np.outer(np.ones(2), v)).reshape(-1), c * A.sum(axis=0)])
    assert np.allclose(g, expect, rtol=1e-15, atol=0)
    with pytest.raises(AdcalcError) as e:
        f(x[:-1])
    assert "expected 10 values (c, A: 2×3, v: 3), got 9" in e.value.message


def test_least_squares_curve_fit_with_jac() -> None:
    t = np.linspace(0.0, 3.0, 12)
    truth = (2.5, 1.3, 0.5)
    y = truth[0] * np.exp(-truth[1] * t) + truth[2]
    names = [f"t{i}" for i in range(len(t))]
    src = "def residuals(a, b, c):\n    return " + ", ".join(
        f"a*exp(-b*{float(ti)!r}) + c - {float(yi)!r}" for ti, yi in zip(t, y))
    f = adcalc.function(src)

    def hand_jac(p: np.ndarray) -> np.ndarray:
        a, b, _ = p
        e = np.exp(-b * t)
        return np.stack([e, -a * t * e, np.ones_like(t)], axis=1)

    p0 = np.array([1.0, 0.5, 0.0])
    assert len(names) == 12 and np.allclose(f.jac(p0), hand_jac(p0), rtol=1e-14, atol=1e-15)
    mine = optimize.least_squares(f, p0, jac=f.jac)
    ref = optimize.least_squares(lambda p: p[0] * np.exp(-p[1] * t) + p[2] - y, p0, jac=hand_jac)
    assert mine.success and np.allclose(mine.x, truth, rtol=0, atol=1e-8)
    assert mine.nfev == ref.nfev and mine.njev == ref.njev


def test_root_of_a_nonlinear_system_with_jac() -> None:
    # x² + y² = 4, eˣ + y = 1: the hand Jacobian [[2x, 2y], [eˣ, 1]]
    f = adcalc.function("[x^2 + y^2 - 4, exp(x) + y - 1]", inputs=["x", "y"])
    sol = optimize.root(f, [1.0, -1.0], jac=f.jac)
    x, y = sol.x
    assert sol.success and abs(x * x + y * y - 4) < 1e-12 and abs(np.exp(x) + y - 1) < 1e-12
    assert np.allclose(f.jac(sol.x), [[2 * x, 2 * y], [np.exp(x), 1.0]], rtol=1e-15, atol=0)
    ref = optimize.root(lambda v: [v[0] ** 2 + v[1] ** 2 - 4, np.exp(v[0]) + v[1] - 1], [1.0, -1.0],
                        jac=lambda v: [[2 * v[0], 2 * v[1]], [np.exp(v[0]), 1.0]])
    assert sol.nfev == ref.nfev and np.allclose(sol.x, ref.x, rtol=1e-12, atol=0)


def test_the_order_is_never_guessed() -> None:
    with pytest.raises(AdcalcError) as e:
        adcalc.function("100*(y - x^2)^2 + (1 - x)^2")
    assert e.value.kind == "input" and "inputs=['x', 'y']" in e.value.hint
    f = adcalc.function("def g(y, x):\n    return y - 2*x\n")  # a def: its parameters' order
    assert f.inputs == ["y", "x"] and f.grad([1.0, 1.0]).tolist() == [1.0, -2.0]
    assert adcalc.function("x^3").grad([2.0]).tolist() == [12.0]  # one input needs no order


def test_vector_outputs_and_types() -> None:
    f = adcalc.function("[x*y, sin(x)]", inputs=["x", "y"])
    out = f([1.0, 2.0])
    assert isinstance(out, np.ndarray) and out.shape == (2,) and close(out[1], np.sin(1.0))
    assert np.allclose(f.jac([1.0, 2.0]), [[2.0, 1.0], [np.cos(1.0), 0.0]], rtol=1e-15, atol=0)
    assert isinstance(adcalc.function("x*y", inputs=["x", "y"])([1.0, 2.0]), float)
    with pytest.raises(AdcalcError):
        f.grad([1.0, 2.0])  # a vector source has no gradient
    with pytest.raises(AdcalcError) as e:
        adcalc.function("x*y", inputs=["x", "y"]).hessp([1.0, 2.0], [1.0])
    assert "p has 1 values but x has 2" in e.value.message


def test_threads_share_one_function() -> None:
    f = adcalc.function(rosen_source(5))
    points = [np.linspace(-1, 1, 5) + k for k in range(8)]
    want = [optimize.rosen_der(p) for p in points]
    got: list = [None] * 8
    errors: list = []

    def work(k: int) -> None:
        try:
            for _ in range(20):
                got[k] = f.grad(points[k])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    for g, w in zip(got, want):
        assert np.allclose(g, w, rtol=1e-13, atol=0)
