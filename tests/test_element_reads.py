"""Reading one element of an array, ``x[i]`` / ``A[i, j]`` (issue #16): the scalar path.

Eval, forward and reverse mode read an element of a float array as a float (reverse mode records
a scalar element node, whose cotangent the sweep adds into the array's adjoint at the end) instead
of running the ``index`` array rule per read.  A traced run still takes the rule (its trace shows
the ``index`` node and its scatter), so "traced = untraced, bit for bit" compares the new path with
the rule's.  Truths: hand-derived gradients, central differences of adcalc's values, forward
against reverse, and Python's own indexing (negative indices, copy-on-write of ``x[i] = v``).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from test_arrays import check_both_modes

import adcalc
from adcalc import AdcalcError, higher

RNG = np.random.default_rng(16)

ROSENBROCK = "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2\nreturn s"


def rosenbrock_gradient(x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    r = x[1:] - x[:-1] ** 2
    g[:-1] = -400 * x[:-1] * r - 2 * (1 - x[:-1])
    g[1:] += 200 * r
    return g


def same_numbers(source: str, point: dict) -> adcalc.GradResult:
    """grad untraced (the scalar path) and traced (the index rule): identical floats, both modes."""
    for mode in ("reverse", "forward"):
        plain = adcalc.grad(source, point, mode=mode)
        traced = adcalc.grad(source, point, mode=mode, trace=True)
        assert plain.value == traced.value or (plain.value != plain.value and traced.value != traced.value)
        for n in point:
            assert np.array_equal(plain.gradient[n], traced.gradient[n], equal_nan=True), (mode, n)
        assert [(w.kind, w.message) for w in plain.warnings] == [(w.kind, w.message) for w in traced.warnings]
    return adcalc.grad(source, point)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_looped_rosenbrock_reading_x_i_has_the_hand_derived_gradient(mode: str) -> None:
    x = RNG.uniform(-1.5, 1.5, 40)
    r = adcalc.grad(ROSENBROCK, {"x": x}, mode=mode)
    expected = np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    assert r.value == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(r.gradient["x"], rosenbrock_gradient(x), rtol=1e-12, atol=1e-12)
    assert isinstance(r.gradient["x"], np.ndarray) and r.gradient["x"].shape == x.shape
    same_numbers(ROSENBROCK, {"x": x})


def test_negative_indices_read_from_the_end() -> None:
    src = "s = 0\nfor i in range(1, len(x) + 1):\n    s += x[-i] * i^2\nreturn s"
    x = RNG.normal(size=6)
    r = same_numbers(src, {"x": x})
    n = len(x)
    assert r.value == pytest.approx(sum(x[-i] * i**2 for i in range(1, n + 1)), rel=1e-14)
    assert r.gradient["x"].tolist() == [float((n - j) ** 2) for j in range(n)]  # ∂/∂x[j] = (n − j)²
    check_both_modes(src, {"x": x})


def test_repeated_reads_of_one_element_accumulate() -> None:
    src = "return x[0]*x[0]*x[2] + sin(x[0]) + x[-3]"
    x = np.array([0.7, -1.2, 2.5])
    r = same_numbers(src, {"x": x})
    a, _, c = x
    assert r.gradient["x"][0] == pytest.approx(2 * a * c + np.cos(a) + 1.0, rel=1e-15)
    assert r.gradient["x"][1] == 0.0
    assert r.gradient["x"][2] == pytest.approx(a * a, rel=1e-15)
    check_both_modes(src, {"x": x})


def test_reads_after_writes_see_the_new_values() -> None:
    # x[i] = x[i-1]*x[i]: the running product; the last entry is the product of all.
    src = "for i in range(1, len(x)):\n    x[i] = x[i-1] * x[i]\nreturn x[len(x) - 1] + x[0]"
    x = np.array([1.5, -0.5, 2.0, 0.75, 1.25])
    r = same_numbers(src, {"x": x})
    prod = float(np.prod(x))
    assert r.value == pytest.approx(prod + x[0], rel=1e-15)
    np.testing.assert_allclose(r.gradient["x"], prod / x + np.array([1.0, 0, 0, 0, 0]), rtol=1e-14)
    check_both_modes(src, {"x": x})


def test_writes_copy_the_array_as_before() -> None:
    # y = x; y[0] = 5: x keeps its value (copy-on-write), and the caller's array is untouched.
    src = "y = x\ny[0] = 5 * y[1]\nreturn x[0] + y[0] + sum(y)"
    x = np.array([2.0, 3.0, 4.0])
    before = x.copy()
    r = same_numbers(src, {"x": x})
    assert r.value == 2.0 + 15.0 + (15.0 + 3.0 + 4.0)
    # f = x0 + 5·x1 + (5·x1 + x1 + x2): y[0] no longer holds x0, so ∂f/∂x = (1, 5 + 5 + 1, 1)
    assert r.gradient["x"].tolist() == [1.0, 11.0, 1.0]
    assert np.array_equal(x, before)


def test_two_dimensional_reads() -> None:
    src = ("s = 0\nfor i in range(2):\n    for j in range(3):\n"
           "        s += A[i, j]^2 * (i + 1) + A[i, -1] * A[0, j]\nreturn s")
    A = RNG.normal(size=(2, 3))
    r = same_numbers(src, {"A": A})
    g = np.zeros((2, 3))
    for i in range(2):
        for j in range(3):
            g[i, j] += 2 * A[i, j] * (i + 1)
            g[i, 2] += A[0, j]
            g[0, j] += A[i, 2]
    np.testing.assert_allclose(r.gradient["A"], g, rtol=1e-14)
    check_both_modes(src, {"A": A})


@pytest.mark.parametrize("src", [
    "return sum(x * x) + x[1] * x[2]",  # a dense cotangent first in the sweep, element reads after
    "s = x[1] * 3\nreturn s + sum(exp(x)) + x[1]",  # element reads on both sides of a dense use
    "y = x * 2\nreturn y[0] * y[2] + x[2]",  # reads of a computed array
    "y = x[1:]\nreturn y[0] * x[1] + y[-1]",  # reads of a slice (a view)
    "A = [[x[0], x[1]], [x[2], x[0]]]\nreturn A[1, 0] * A[0, 1] + sum(A @ x[:2])",  # literal built from reads
])
def test_element_reads_mixed_with_array_operations(src: str) -> None:
    x = RNG.normal(size=3)
    same_numbers(src, {"x": x})
    check_both_modes(src, {"x": x})


def test_vector_outputs_jacobian_and_vjp() -> None:
    src = "return [x[0] * x[1], x[-1]^2, sum(x) * x[1]]"
    x = np.array([1.5, -2.0, 0.5])
    check_both_modes(src, {"x": x})
    w = [1.0, -2.0, 0.5]
    v = adcalc.vjp(src, {"x": x}, w).cotangent_result["x"]
    jac = np.array(adcalc.jacobian(src, {"x": x}, mode="forward").jacobian)
    np.testing.assert_allclose(v, np.array(w) @ jac, rtol=1e-15)
    traced = adcalc.vjp(src, {"x": x}, w, trace=True).cotangent_result["x"]
    assert np.array_equal(v, traced)


def test_reads_of_constant_arrays_and_with_input_dependent_indices() -> None:
    src = "a = [1, 2, 4]\ns = 0\nfor i in range(3):\n    s += a[i] * t^i\nreturn s + x[n - 1]"
    x = np.array([3.0, 5.0])
    r = same_numbers(src, {"t": 2.0, "x": x, "n": 2.0})
    assert r.value == 1 + 2 * 2 + 4 * 4 + 5.0
    assert r.gradient["t"] == 2 + 4 * 2 * 2.0 and r.gradient["n"] == 0.0
    assert r.gradient["x"].tolist() == [0.0, 1.0]


def test_kink_and_nonfinite_notes_are_still_reported() -> None:
    x = np.array([1.0, -3.0, 0.0])
    r = same_numbers("s = 0\nfor i in range(len(x)):\n    s += abs(x[i]) + sqrt(x[i]^2)\nreturn s", {"x": x})
    kinks = [w.message for w in r.warnings if w.kind == "kink"]
    assert kinks == ["|0|: abs is not differentiable here; abs'(0) = 0",
                     "sqrt(0): sqrt is not differentiable here; sqrt'(0) = +inf"]
    assert any(w.kind == "nonfinite_derivative" for w in r.warnings)
    r = same_numbers("s = 0\nfor i in range(len(x)):\n    s += log(x[i] + 3)\nreturn s", {"x": x})
    assert [w.kind for w in r.warnings] == ["nonfinite", "nonfinite_derivative"] and r.value == -np.inf  # log(0)
    ev = adcalc.evaluate("s = 0\nfor i in range(len(x)):\n    s += x[i]\nreturn s", {"x": [1.0, np.inf, 2.0]})
    assert ev.value == np.inf and [w.kind for w in ev.warnings] == ["nonfinite"]  # the element itself
    with pytest.raises(AdcalcError) as e:
        adcalc.grad("return log(x[2])", {"x": x}, strict=True)
    assert e.value.kind == "domain"


@pytest.mark.parametrize("src,kind,words", [
    ("return x[3]", "index", "index 3 is out of range for axis 0 of length 3"),
    ("return x[-4]", "index", "index -4 is out of range for axis 0 of length 3"),
    ("return x[1.5]", "type", "an index must be a whole number, got 1.5"),
    ("return x[0, 1]", "index", "2 subscripts for an array of shape (3,)"),
    ("return t[0]", "type", "only arrays can be indexed, but this is a number"),
    ("return x[t / 0]", "type", "an index must be a whole number, got inf"),
])
def test_bad_reads_are_the_rules_errors_at_the_read(src: str, kind: str, words: str) -> None:
    for mode in ("reverse", "forward"):
        with pytest.raises(AdcalcError) as e:
            adcalc.grad(src, {"x": [1.0, 2.0, 3.0], "t": 1.0}, mode=mode)
        assert e.value.kind == kind and words in e.value.message
        assert (e.value.span.line, e.value.span.column) == (1, 8)


def test_cli_bad_read_points_at_it() -> None:
    p = subprocess.run([sys.executable, "-m", "adcalc", "grad", "s = 0\nfor i in range(4):\n    s += x[i]\nreturn s",
                        "--at", "x=[1,2,3]"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "3:10" in p.stderr and "index 3 is out of range for axis 0 of length 3" in p.stderr


def test_an_element_read_is_one_step_not_one_per_thousand_elements() -> None:
    # 3,000 reads of a 10⁶-element array: ~3·10⁴ instructions.  As an array rule each read cost
    # a step per 1,000 elements of x (3·10⁶ steps); an element read reads one element.
    src = "s = 0\nfor i in range(3000):\n    s += x[i]\nreturn s"
    x = np.ones(1_000_000)
    r = adcalc.grad(src, {"x": x}, max_steps=50_000)
    assert r.value == 3000.0 and r.gradient["x"][:3000].tolist() == [1.0] * 3000 and r.gradient["x"][3000:].sum() == 0
    with pytest.raises(AdcalcError) as e:
        adcalc.grad(src, {"x": x}, max_steps=5_000)
    assert e.value.kind == "limit"


def test_element_reads_in_hessian_and_deriv() -> None:
    """hessian and deriv take arrays now: an element read of an array is differentiated (a[0]·t²:
    f_tt = 2·a[0]), and indexing a number is the same error as in every other command."""
    src = "a = [1, 2]\nreturn a[0] * t^2"
    assert higher.hessian(src, {"t": 1.0}).hessian == [[2.0]]
    assert higher.deriv(src, {"t": 1.0}, wrt="t", order=2).derivatives == [2.0, 2.0]
    for run in (lambda: higher.hessian("return x[0] * t^2", {"t": 1.0, "x": 2.0}),
                lambda: higher.deriv("return x[0] * t^2", {"t": 1.0, "x": 2.0}, wrt="t", order=2),
                lambda: adcalc.grad("return x[0] * t^2", {"t": 1.0, "x": 2.0})):
        with pytest.raises(AdcalcError) as e:
            run()
        assert e.value.kind == "type" and "only arrays can be indexed, but this is a number" in e.value.message


def test_the_tape_keeps_no_array_per_read() -> None:
    from adcalc.ops.driver import limits_of, load, run_reverse

    x = RNG.uniform(-1.5, 1.5, 200)
    r = run_reverse(load(ROSENBROCK), ["x"], {"x": x}, False, False, limits_of(None, None))
    tape = r.mode.tape
    assert list(tape.rules) == [0]  # the input array is the only rule node: 3 reads per iteration are scalar nodes
    assert tape.shapes == {0: (200,)}
    assert r.mode.kept() == (40 * len(tape), 0)  # 40 bytes per recorded operation, reads included
    g = r.pull([1.0])[0]
    np.testing.assert_allclose(g, rosenbrock_gradient(x), rtol=1e-12, atol=1e-12)
