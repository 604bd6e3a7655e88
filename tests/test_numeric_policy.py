"""The numeric policy: IEEE results, where the first non-finite value appeared, strict mode,
and the kink conventions (identical in both modes, every kink reported); and the helpers with which
the tests compare floats (tests/numeric.py)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from numeric import NUMPY_VS_MATH_ULPS, Scaled, close_to_scale, gamma, ulp_close, ulp_distance

import adcalc
from adcalc import AdcalcError

MODES = ["forward", "reverse"]


def test_outside_the_domain_gives_ieee_values_and_says_where() -> None:
    r = adcalc.evaluate("y + log(x)", {"x": -1.0, "y": 1.0})
    assert math.isnan(r.value)
    (w,) = r.warnings
    assert w.kind == "nonfinite" and w.operation == "log" and (w.span.line, w.span.column) == (1, 5)
    assert "x > 0" in w.message and w.details["arguments"] == [-1.0]


def test_division_by_zero_is_inf_not_an_exception() -> None:
    assert adcalc.evaluate("1/x", {"x": 0.0}).value == math.inf
    assert adcalc.evaluate("1/x", {"x": -0.0}).value == -math.inf
    assert math.isnan(adcalc.evaluate("x/x", {"x": 0.0}).value)


def test_only_the_first_non_finite_value_is_reported() -> None:
    r = adcalc.evaluate("exp(1000*x) - exp(1000*x) + sqrt(-x)", {"x": 1.0})
    assert math.isnan(r.value)
    assert [w.operation for w in r.warnings] == ["exp"]


def test_strict_mode_turns_non_finite_into_an_error() -> None:
    with pytest.raises(AdcalcError) as e:
        adcalc.grad("sqrt(x) + log(x)", {"x": -2.0}, strict=True)
    assert e.value.kind == "domain" and e.value.span.column == 1


def test_never_complex_and_never_a_huge_exact_power() -> None:
    assert math.isnan(adcalc.evaluate("x^(1/3)", {"x": -8.0}).value)
    # the real cube root, not nan; C leaves cbrt's last bits to the library (glibc: within 4 ulps)
    assert ulp_close(adcalc.evaluate("cbrt(x)", {"x": -8.0}).value, -2.0, 4)
    huge = adcalc.evaluate("9^9^9").value  # an exact integer would never finish (pytest-timeout)
    assert type(huge) is float and huge == math.inf
    assert adcalc.evaluate("0^-1").value == math.inf
    assert adcalc.evaluate("(-2)^3").value == -8.0
    assert adcalc.evaluate("(-10)^401").value == -math.inf


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "source,point,name,slope,op",
    [
        ("abs(x)", {"x": 0.0}, "x", 0.0, "abs"),  # abs'(0) = 0
        ("max(x, y)", {"x": 1.0, "y": 1.0}, "x", 0.5, "max"),  # ties split 0.5/0.5
        ("max(x, y)", {"x": 1.0, "y": 1.0}, "y", 0.5, "max"),
        ("min(x, y)", {"x": 2.0, "y": 2.0}, "y", 0.5, "min"),
        ("x^0", {"x": 0.0}, "x", 0.0, "pow"),  # d(x^0)/dx = 0 at 0
        ("0^y", {"y": 2.0}, "y", 0.0, None),  # d(0^y)/dy = 0 for y > 0 (0 is a constant: no kink)
        ("x^y", {"x": 0.0, "y": 0.5}, "y", 0.0, "pow"),
        ("sqrt(x)", {"x": 0.0}, "x", math.inf, "sqrt"),  # sqrt'(0) = +inf
    ],
)
def test_kink_conventions(mode: str, source: str, point: dict, name: str, slope: float, op: str | None) -> None:
    r = adcalc.grad(source, point, mode=mode)
    assert r.gradient[name] == slope
    kinks = [w for w in r.warnings if w.kind == "kink"]
    assert [w.operation for w in kinks] == ([op] if op else [])
    if op:
        assert kinks[0].convention and kinks[0].span is not None


def test_zero_factor_contributes_nothing_in_both_modes() -> None:
    # d/dx (0 * sqrt(x)) at 0: the product rule meets 0 · inf; both modes give 0, not nan
    for mode in MODES:
        assert adcalc.grad("0 * sqrt(x) + x", {"x": 0.0}, mode=mode).gradient["x"] == 1.0


def test_kink_in_a_loop_is_reported_once_with_a_count() -> None:
    r = adcalc.grad("s = 0\nfor i in range(3):\n    s += abs(x)\nreturn s", {"x": 0.0})
    (w,) = [w for w in r.warnings if w.kind == "kink"]
    assert w.count == 3


def test_kink_of_a_constant_is_not_reported() -> None:
    r = adcalc.grad("abs(0) + x", {"x": 1.0})
    assert r.warnings == []


def test_inputs_can_be_nan_or_inf() -> None:
    r = adcalc.grad("x + 1", {"x": math.inf})
    assert r.value == math.inf and r.gradient["x"] == 1.0


# ---- the comparison helpers (tests/numeric.py) -------------------------------------------------

def test_ulp_distance_counts_the_doubles_between() -> None:
    assert ulp_distance(1.0, math.nextafter(1.0, 2.0)) == 1 and ulp_distance(1.0, 1.0) == 0
    assert ulp_distance(2.0, math.nextafter(2.0, 0.0)) == 1  # across a binade: still one double
    assert ulp_distance(-5e-324, 5e-324) == 2  # across zero: -tiny, ±0, +tiny
    assert ulp_distance(-0.0, 0.0) == 0 and ulp_close(-0.0, 0.0, 0)
    assert ulp_distance(math.nan, math.nan) == 0 and ulp_distance(math.nan, 1.0) == math.inf
    assert ulp_distance(math.inf, math.inf) == 0 and ulp_distance(-math.inf, math.inf) == math.inf
    assert ulp_distance(math.inf, sys.float_info.max) == math.inf  # not 1: inf equals only itself
    assert ulp_distance(np.array([1.0, 2.0, math.nan]), 1.0).tolist() == [0.0, 2.0**52, math.inf]
    assert ulp_close([1.0, math.nan], [math.nextafter(1.0, 0.0), math.nan], 1)
    assert not ulp_close([1.0, 1.0], [1.0, math.nextafter(1.0, 2.0)], 0)


def test_numpy_against_math_within_the_kernel_bound() -> None:
    # issue #13 item 24: NumPy's AVX-512 arcsin and glibc's asin at 0.3, one ulp apart
    numpy_asin, math_asin = 0.30469265401539747, 0.3046926540153975
    assert ulp_distance(numpy_asin, math_asin) == 1 and ulp_close(numpy_asin, math_asin, NUMPY_VS_MATH_ULPS)
    assert NUMPY_VS_MATH_ULPS == 4 + 4  # NumPy's SVML kernels (≤ 4 ulps) + glibc's libm (≤ 4 ulps)


def test_close_to_scale_bounds_a_cancelling_sum_by_its_terms() -> None:
    # issue #13 item 24: ∂/∂z of z·(0.5/z)/x² at x = 0.15625, z = 0.2265625 is exactly 0, the sum of
    # two terms of size 0.5/(z·x²) ≈ 90; forward mode gave 0.0, reverse 2.84e-14.
    x, z = 0.15625, 0.2265625
    terms = 2 * 0.5 / (z * x * x)
    m = 2 * 13  # 13 nodes in the expression tree
    assert close_to_scale(0.0, 2.842170943040401e-14, terms, 2 * gamma(m) / 2.0**-52)
    assert not close_to_scale(0.0, 2e-12, terms, 2 * gamma(m) / 2.0**-52)  # the bound is 1.04e-12
    assert close_to_scale(math.inf, math.inf, 1.0, 1) and close_to_scale(math.nan, math.nan, 1.0, 1)
    assert not close_to_scale(math.inf, sys.float_info.max, math.inf, 1)  # inf equals only itself
    assert close_to_scale(5e-324, 1e-323, 0.0, 0, tiny=5e-324)  # the underflow allowance


def test_scaled_evaluator_sums_absolute_terms() -> None:
    # f = z·(0.5/z) at z = 1/4: S_z = |0.5/z| + |z|·0.5/z² = 2 + 2; drift: 1 ulp at q = 0.5/z = 2,
    # carried by ∂f/∂q = z, plus 1 ulp at f = 0.5: 0.25·2 + 0.5
    z_ = Scaled.input("z", 0.25)
    q_ = Scaled.apply(0.5 / 0.25, [Scaled(0.5), z_], [1 / 0.25, 0.5 / 0.25**2], 1)
    f_ = Scaled.apply(0.25 * 2.0, [z_, q_], [2.0, 0.25], 1)
    assert f_.grad == {"z": 4.0} and f_.drift == 0.25 * 2.0 + 0.5
    assert f_.modes_close(0.0, 4 * 2 * gamma(4) * (1 + gamma(4)), "z", 4)
    assert not f_.modes_close(0.0, 1e-12, "z", 4)
