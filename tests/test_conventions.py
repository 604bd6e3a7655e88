"""One convention at hard points, whatever the path (issue #13 items 3, 4, 20).

- A zero's sign never changes a derivative: every primitive is differentiated at +0 and -0, in
  forward mode, reverse mode, on arrays and in Taylor mode, and the results agree (where the
  *value* itself differs with the zero's sign — 1/±0 = ±inf — the derivative may follow it).
- Taylor mode agrees with grad and hessian wherever they are defined (finite, no kink), and where
  it cannot give a finite answer it says so with a warning — never a silent wrong number.
- NumPy never prints its own RuntimeWarning to the user.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from numeric import NUMPY_VS_MATH_ULPS, ulp_close

import adcalc
from adcalc.ops import higher
from adcalc.rules.registry import FUNCTIONS

UNARY = sorted(n for n, p in FUNCTIONS.items() if p.arity == 1)
BINARY = sorted(n for n, p in FUNCTIONS.items() if p.arity == 2)


def same(a: float, b: float) -> bool:
    """Equal as real numbers (+0 == -0), nan equal to nan."""
    return a == b or (a != a and b != b)


def derivatives_at(template: str, x: float) -> dict[str, float]:
    """∂f/∂x by every path: reverse, forward, an array of two copies (reverse), Taylor order 1;
    ``template`` writes the input as {x}."""
    src = template.format(x="x")
    out = {"reverse": adcalc.grad(src, {"x": x}).gradient["x"],
           "forward": adcalc.grad(src, {"x": x}, mode="forward").gradient["x"]}
    arr = adcalc.grad(f"sum({template.format(x='v')})", {"v": [x, x]}).gradient["v"]
    out["array"], out["array2"] = float(arr[0]), float(arr[1])
    out["taylor"] = higher.deriv(src, {"x": x}, wrt="x", order=1).derivatives[0]
    return out


@pytest.mark.parametrize("name", UNARY)
def test_unary_primitive_at_both_zeros(name: str) -> None:
    src = f"{name}({{x}})"
    plus, minus = derivatives_at(src, 0.0), derivatives_at(src, -0.0)
    for d in (plus, minus):
        values = list(d.values())
        assert all(same(v, values[0]) for v in values), (name, d)  # every path agrees
    assert same(plus["reverse"], minus["reverse"]), (name, plus, minus)  # the zero's sign does not matter


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("other", [-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("position", [0, 1])
def test_binary_primitive_at_both_zeros(name: str, other: float, position: int) -> None:
    template = f"{name}({{x}}, c)" if position == 0 else f"{name}(c, {{x}})"
    src = template.format(x="x")
    results = []
    for z in (0.0, -0.0):
        point = {"x": z, "c": other}
        rev = adcalc.grad(src, point).gradient["x"]
        fwd = adcalc.grad(src, point, mode="forward").gradient["x"]
        tay = higher.deriv(src, point, wrt="x", order=1).derivatives[0]
        arr = adcalc.grad(f"sum({template.format(x='v')})", {"v": [z, z], "c": other}).gradient["v"]
        assert same(rev, fwd) and same(rev, tay), (src, point, rev, fwd, tay)
        # the array path evaluates the partial with NumPy, the others with math: ∂(c^x)/∂x = c^x·log(c)
        # is log(c) at x = ±0 (c^0 = 1 exactly), NumPy's log against math.log; the other partials at a zero
        # are exact arithmetic (or values C99 Annex F fixes), the same float on every CPU
        ulps = NUMPY_VS_MATH_ULPS if (name, position) == ("pow", 1) and other not in (0.0, 1.0) else 0
        assert ulp_close(rev, float(arr[0]), ulps), (src, point, rev, arr)
        results.append((adcalc.evaluate(src, point).value, rev))
    (_, d_plus), (_, d_minus) = results
    assert same(d_plus, d_minus), (src, other, results)  # derivatives at a zero are taken at +0


@pytest.mark.parametrize("src", ["sqrt(-{x})", "sqrt(0-{x})", "(-{x})^0.5", "-sqrt({x})", "sqrt(-{x})*1"])
def test_square_root_at_zero_has_one_convention(src: str) -> None:
    """sqrt'(0) = +inf (README), so every way of writing -sqrt'(0) gives -inf, at +0 and -0."""
    for z in (0.0, -0.0):
        d = derivatives_at(src, z)
        assert all(v == -math.inf for v in d.values()), (src, z, d)


def test_square_root_of_array_with_both_zeros() -> None:
    g = adcalc.grad("sum(sqrt(v))", {"v": [0.0, -0.0, 1.0]}).gradient["v"]
    assert list(g) == [math.inf, math.inf, 0.5]


# ---- Taylor mode against grad and hessian -------------------------------------------------------

HARD = [-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 1e-300, -1e-300, 1e300]


def _finite(*xs: float) -> bool:
    return all(x - x == 0.0 for x in xs)


def _taylor_against_others(src: str, x: float) -> None:
    point = {"x": x}
    g = adcalc.grad(src, point, mode="forward")
    h = higher.hessian(src, point)
    t = higher.deriv(src, point, wrt="x", order=2)
    d1, d2 = t.derivatives
    flagged_other = any(w.kind in ("kink", "nonfinite_derivative") for w in g.warnings + h.warnings)
    flagged_taylor = any(w.kind in ("kink", "nonfinite_derivative", "nonfinite") for w in t.warnings)
    if not flagged_other and _finite(g.value, g.gradient["x"], h.hessian[0][0]):
        assert _close(d1, g.gradient["x"]) and _close(d2, h.hessian[0][0]), (src, x, t.derivatives,
                                                                             g.gradient, h.hessian)
    elif not (same(d1, g.gradient["x"]) and same(d2, h.hessian[0][0])):
        assert flagged_taylor, (src, x, t.derivatives, g.gradient, h.hessian, t.warnings)


def _close(a: float, b: float) -> bool:
    """Taylor recurrences and nested duals round differently: 64 ulps of the larger, or 1e-300."""
    return same(a, b) or abs(a - b) <= 64 * 2.0**-52 * max(abs(a), abs(b), 1e-300 / 2.0**-46)


@pytest.mark.parametrize("name", UNARY)
def test_taylor_agrees_with_grad_and_hessian_unary(name: str) -> None:
    for x in HARD:
        _taylor_against_others(f"{name}(x)", x)
        _taylor_against_others(f"{name}(2*x - x)", x)


@pytest.mark.parametrize("name", BINARY)
def test_taylor_agrees_with_grad_and_hessian_binary(name: str) -> None:
    for c in (-2.0, -0.5, 0.0, 0.5, 1.0, 2.5):
        for x in HARD:
            _taylor_against_others(f"{name}(x, {c})", x)
            _taylor_against_others(f"{name}({c}, x)", x)


def test_power_2_5_at_zero_and_at_a_tiny_number() -> None:
    """x^2.5: f' = 2.5x^1.5, f'' = 3.75x^0.5, f''' = 1.875x^-0.5."""
    r = higher.deriv("x^2.5", {"x": 0.0}, wrt="x", order=3)
    assert r.derivatives == [0.0, 0.0, math.inf]
    assert [w.kind for w in r.warnings] == ["nonfinite_derivative"] and "3rd derivative" in r.warnings[0].message
    assert higher.deriv("x^2.5", {"x": 0.0}, wrt="x", order=2).warnings == []
    x = 1e-300
    r = higher.deriv("x^2.5", {"x": x}, wrt="x", order=3)
    exact = [2.5 * x**1.5, 3.75 * x**0.5, 1.875 * x**-0.5]
    assert r.derivatives[0] == 0.0 and _close(r.derivatives[1], exact[1]) and _close(r.derivatives[2], exact[2])


def test_numpy_never_warns_the_user() -> None:
    src = "sum(x/zeros(3)) + sum(log(x - x)) + sum(x * 1e308 * 10)"
    p = subprocess.run([sys.executable, "-m", "adcalc", "grad", src, "--at", "x=[1,2,3]"], capture_output=True,
                       text=True, timeout=60,
                       env={**os.environ, "PYTHONWARNINGS": "default"})
    assert p.returncode == 0, p.stderr
    assert "RuntimeWarning" not in p.stderr and "numpy" not in p.stderr.lower()


# ---- ties: one convention for max and min, scalars and arrays (issue #13 item 5) -------------------

@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_a_tie_splits_evenly_among_the_tied_whatever_the_path(name: str, k: int) -> None:
    names = [f"x{i}" for i in range(k)]
    point = {n: 1.5 for n in names}
    src = f"{name}({', '.join(names)})"
    for mode in ("reverse", "forward"):
        g = adcalc.grad(src, point, mode=mode)
        assert all(g.gradient[n] == 1.0 / k for n in names), (mode, g.gradient)
        assert any(w.kind == "kink" and "evenly" in w.message for w in g.warnings)
    array = adcalc.grad(f"{name}(v)", {"v": [1.5] * k}).gradient["v"]
    assert list(array) == [1.0 / k] * k  # the array reduction: the same convention
    elementwise = adcalc.grad(f"sum({name}({', '.join(names)}))", {n: [1.5, 0.0] for n in names}).gradient
    assert all(list(elementwise[n]) == [1.0 / k, 1.0 / k] for n in names)
    taylor = higher.deriv(src, point, direction={n: 1.0 if n == "x0" else 0.0 for n in names}, order=1)
    assert taylor.derivatives == [1.0 / k]
    h = higher.hessian(f"{src}^2", point)
    assert all(abs(h.gradient[n] - 2 * 1.5 / k) <= 1e-15 for n in names)


def test_a_partial_tie_splits_among_the_tied_only() -> None:
    g = adcalc.grad("max(x, y, z)", {"x": 2.0, "y": 2.0, "z": 1.0}).gradient
    assert g == {"x": 0.5, "y": 0.5, "z": 0.0}
    g = adcalc.grad("min(x, y, z)", {"x": 2.0, "y": 1.0, "z": 1.0}, mode="forward").gradient
    assert g == {"x": 0.0, "y": 0.5, "z": 0.5}
    one_sided = [w for w in adcalc.grad("max(x, y, z)", {"x": 2.0, "y": 2.0, "z": 1.0}).warnings if w.kind == "kink"]
    assert one_sided[0].details["one_sided"] == {"x": {"left": 0.0, "right": 1.0}, "y": {"left": 0.0, "right": 1.0},
                                                 "z": {"left": 0.0, "right": 0.0}}
