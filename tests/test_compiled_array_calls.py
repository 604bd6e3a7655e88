"""Compiled functions called with arrays.

``adcalc.compile(...).vjp`` with an array output: the cotangent is a number (weighting every entry)
or an array of the output's shape, as in ``adcalc.vjp``; a wrong shape or a non-number is a clear
``AdcalcError``.  ``hvp``/``hessian`` of a program that reads an array element by element, and of
a program of numbers given arrays (its NumPy twin's Hessian code); an array output is refused, as
the CLI's ``hvp`` refuses it, instead of silently giving the Hessian of its sum.  Checked against
hand-derived results and the interpreter (``adcalc.higher``)."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from numeric import NUMPY_VS_MATH_ULPS, ulp_close

import adcalc
from adcalc.ops import higher

SQUARE = "def f(x):\n    return x^2"
MIXED = "def f(x, s):\n    return [s * x, sum(x^2)]"


def test_an_array_cotangent_weights_each_entry() -> None:
    c = adcalc.compile(SQUARE, inputs=["x"])
    x = np.array([1.0, -2.0, 3.0])
    w = np.array([0.5, 0.0, -2.0])
    value, (xbar,) = c.vjp([x], w)
    assert value.tolist() == [1.0, 4.0, 9.0]
    assert xbar.tolist() == (2 * x * w).tolist()  # d(x²)/dx = 2x, entry by entry (exact)
    same = c.vjp([x], [0.5, 0.0, -2.0])[1][0]  # a list of the entries is the same cotangent
    assert same.tolist() == xbar.tolist()
    assert c.vjp([x], 1.0)[1][0].tolist() == (2 * x).tolist()  # a number weights every entry


def test_each_output_has_its_own_cotangent_and_matches_the_interpreter() -> None:
    c = adcalc.compile(MIXED, inputs=["x", "s"])
    x, s = np.array([1.0, 2.0, -0.5]), 3.0
    wa, wb = np.array([1.0, -1.0, 2.0]), 0.25
    value, (xbar, sbar) = c.vjp([x, s], [wa, wb])
    assert value[0].tolist() == (s * x).tolist() and value[1] == float(np.sum(x ** 2))
    want_x = s * wa + wb * 2 * x  # hand-derived: ∂(s·x)ᵀwa/∂x + wb·∂Σx²/∂x (dyadic values: exact)
    want_s = float(np.dot(x, wa))
    assert ulp_close(xbar, want_x, 0) and ulp_close(sbar, want_s, 0)
    interp = adcalc.vjp(MIXED, {"x": x, "s": s}, [*wa.tolist(), wb]).cotangent_result
    assert ulp_close(xbar, interp["x"], NUMPY_VS_MATH_ULPS) and ulp_close(sbar, interp["s"], NUMPY_VS_MATH_ULPS)


@pytest.mark.parametrize("bad, kind, words", [
    ([1.0, 2.0], "shape", "has shape (2,), but the output's shape is (3,)"),
    (np.ones((3, 1)), "shape", "has shape (3, 1)"),
    (["a", "b", "c"], "type", "real numbers"),
    ([1.0, None, 2.0], "type", "real numbers"),
    ([[1.0, 2.0], [3.0]], "type", "rectangular"),
    ([1j, 2.0, 3.0], "type", "real numbers"),
])
def test_a_wrong_cotangent_is_a_clear_error(bad: object, kind: str, words: str) -> None:
    c = adcalc.compile(SQUARE, inputs=["x"])
    with pytest.raises(adcalc.AdcalcError) as err:
        c.vjp([np.array([1.0, 2.0, 3.0])], bad)
    assert err.value.kind == kind and words in str(err.value)


def test_the_second_output_is_named_when_its_cotangent_has_the_wrong_shape() -> None:
    c = adcalc.compile(MIXED, inputs=["x", "s"])
    with pytest.raises(adcalc.AdcalcError, match="output 1 has shape"):
        c.vjp([np.array([1.0, 2.0, 3.0]), 2.0], [np.ones(2), 1.0])


def test_threads_with_different_cotangents_get_their_own_pullbacks() -> None:
    c = adcalc.compile(SQUARE, inputs=["x"])
    x = np.linspace(-1.0, 1.0, 50)
    bad: list[object] = []

    def work(k: int) -> None:
        w = np.full(50, float(k))
        for _ in range(20):
            got = c.vjp([x], w)[1][0]
            if got.tolist() != (2 * x * w).tolist():
                bad.append((k, got))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad


LOOPED_ROSEN = ("def rosen(x):\n    s = 0\n    for i in range(len(x) - 1):\n"
                "        s += 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\n    return s")


def rosen_hessian(x: np.ndarray) -> np.ndarray:
    """Rosenbrock's tridiagonal Hessian, by hand."""
    n = x.size
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
        h[i + 1, i + 1] += 200
    return h


def test_an_element_read_program_has_a_compiled_hessian() -> None:
    x = np.array([1.0, 2.0, 3.0, -0.5])  # small integers and a half: every product and sum exact
    c = adcalc.compile(LOOPED_ROSEN)
    got = np.array(c.hessian(x))
    assert np.array_equal(got, rosen_hessian(x))
    assert np.array_equal(got, np.array(higher.hessian(LOOPED_ROSEN, {"x": x}).hessian, dtype=float))
    v = np.array([0.5, -1.0, 0.0, 2.0])
    assert np.array_equal(c.hvp([x], [v])[0], rosen_hessian(x) @ v)


def test_a_program_of_numbers_given_arrays_has_a_compiled_hvp_and_hessian() -> None:
    src = "def f(x, y):\n    return sum(sin(x) * y^2)"
    x, y = np.array([0.3, -1.2, 2.0]), 1.5
    c = adcalc.compile(src, inputs=["x", "y"])
    want = np.zeros((4, 4))  # hand-derived: ∂²/∂xᵢ² = −sin(xᵢ)y², ∂²/∂xᵢ∂y = 2y·cos(xᵢ), ∂²/∂y² = 2Σsin(xᵢ)
    want[:3, :3] = np.diag(-np.sin(x) * y ** 2)
    want[:3, 3] = want[3, :3] = 2 * y * np.cos(x)
    want[3, 3] = 2 * np.sum(np.sin(x))
    got = np.array(c.hessian(x, y))
    scale = np.abs(want) + 1.0
    assert np.all(np.abs(got - want) <= 16 * 2.0 ** -52 * scale)  # NumPy's sin/cos vs the hand formula
    interp = np.array(higher.hessian(src, {"x": x, "y": y}).hessian, dtype=float)
    assert np.all(np.abs(got - interp) <= 16 * 2.0 ** -52 * scale)
    hx, hy = c.hvp([x, y], [np.array([1.0, 0.0, -1.0]), 0.5])
    flat = np.concatenate([hx, [hy]])
    assert np.all(np.abs(flat - got @ np.array([1.0, 0.0, -1.0, 0.5])) <= 64 * 2.0 ** -52 * (np.abs(got).sum(1) + 1))
    # numbers only: the scalar code, with math's sin and cos as the hand formula's (a few roundings apart)
    assert c.hvp([0.3, y], [1.0, 0.0]) == pytest.approx((-math.sin(0.3) * y ** 2, 2 * y * math.cos(0.3)), rel=1e-15)


@pytest.mark.parametrize("src, point", [
    ("def f(x):\n    return x^2", [np.array([1.0, 2.0])]),  # a whole-array program with an array result
    ("def f(x, y):\n    return sin(x) * y^2", [np.array([1.0, 2.0]), 3.0]),  # numbers given an array
])
def test_an_array_output_has_no_hessian(src: str, point: list) -> None:
    c = adcalc.compile(src, inputs=["x", "y"][: len(point)])
    dirs = [np.ones_like(p) if isinstance(p, np.ndarray) else 0.0 for p in point]
    for call in (lambda: c.hvp(point, dirs), lambda: c.hessian(*point)):
        with pytest.raises(adcalc.AdcalcError, match=r"needs a scalar function, but this one returns an array of "
                                                      r"shape \(2,\)"):
            call()
