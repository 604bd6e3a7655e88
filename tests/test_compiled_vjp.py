"""``adcalc.compile(...).vjp`` with an array output: the cotangent is a number (weighting every
entry) or an array of the output's shape, as in ``adcalc.vjp``; a wrong shape or a non-number is
a clear ``AdcalcError``.  Checked against hand-derived pullbacks and the interpreter's ``adcalc.vjp``."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from numeric import NUMPY_VS_MATH_ULPS, ulp_close

import adcalc

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
