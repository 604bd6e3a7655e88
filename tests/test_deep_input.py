"""Deep and large input: no recursion over user-sized data, in both modes."""

from __future__ import annotations

import pytest

import adcalc

MODES = ["forward", "reverse"]


@pytest.mark.parametrize("mode", MODES)
def test_ten_thousand_nested_parentheses(mode: str) -> None:
    src = "(" * 10_000 + "x * 3" + ")" * 10_000
    assert adcalc.grad(src, {"x": 2.0}, mode=mode).gradient["x"] == 3.0


@pytest.mark.parametrize("mode", MODES)
def test_ten_thousand_unary_minuses(mode: str) -> None:
    r = adcalc.grad("-" * 10_001 + "x", {"x": 2.0}, mode=mode)
    assert (r.value, r.gradient["x"]) == (-2.0, -1.0)


@pytest.mark.parametrize("mode", MODES)
def test_nested_calls_ten_thousand_deep(mode: str) -> None:
    src = "sin(" * 5_000 + "x" + ")" * 5_000
    r = adcalc.grad(src, {"x": 0.0}, mode=mode)
    assert r.gradient["x"] == 1.0  # sin'(0) = 1 at every level, since sin(0) = 0


@pytest.mark.parametrize("mode", MODES)
def test_five_thousand_deep_power_chain(mode: str) -> None:
    r = adcalc.grad("^".join(["x"] * 5_000), {"x": 1.0}, mode=mode)
    assert (r.value, r.gradient["x"]) == (1.0, 1.0)  # d/dx x^(x^…) at 1 is 1


def test_hundred_thousand_term_sum_both_modes() -> None:
    src = " + ".join(("x", "2", "y")[k % 3] for k in range(100_000))
    want = float(len(range(0, 100_000, 3)))
    loaded = adcalc.load(src)
    for mode in MODES:
        r = adcalc.grad(loaded, {"x": 1.0, "y": 0.5}, mode=mode)
        assert r.gradient["x"] == want and r.gradient["y"] == float(len(range(2, 100_000, 3)))


@pytest.mark.parametrize("mode", MODES)
def test_loop_of_a_million_primitive_operations(mode: str) -> None:
    src = "s = 0\nfor i in range(250000):\n    s = s + x * i\n    s = s - x\n    s = s * 1\nreturn s"
    r = adcalc.grad(src, {"x": 1.0}, mode=mode)
    want = sum(range(250_000)) - 250_000
    assert r.gradient["x"] == want and r.value == want


def test_deep_recursion_up_to_the_depth_limit() -> None:
    src = ("def f(x, n):\n    if n == 0:\n        return x\n    return f(x, n - 1) * 1.0\n\n"
           "def g(x):\n    return f(x, 900)\n")
    assert adcalc.grad(src, {"x": 3.0}).gradient["x"] == 1.0
