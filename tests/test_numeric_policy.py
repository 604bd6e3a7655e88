"""The numeric policy: IEEE results, where the first non-finite value appeared, strict mode,
and the kink conventions (identical in both modes, every kink reported)."""

from __future__ import annotations

import math

import pytest

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
    assert adcalc.evaluate("cbrt(x)", {"x": -8.0}).value == -2.0
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
