"""Derivatives at hard points where the paths used to part ways (found by a review of the house
change): each case states its truth — a hand-derived formula, reverse mode, or finite differences —
and goes through the public API (and the command line where the failure was a crash).

- forward-over-reverse reads a ``range`` bound that depends on an input as the float under the dual;
- an elementwise primitive whose partial is non-finite on broadcast shapes (``M / v``) notes it;
- ``max``/``min`` with a nan argument have a nan series (value, partials and Taylor agree);
- ``x^y`` in Taylor mode: an exponent of nan or inf, and a base at 0 with a moving exponent;
- the mixed second derivative of ``x^y`` at ``y = 0`` is ``1/x`` (the partial keeps y's tangent);
- the one-sided sweep at a kink never fails the command it annotates;
- the gradient of a Hessian run equals reverse mode's, non-finite partials noted alike.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import adcalc
from adcalc.ops import higher

PROGRAM_RANGE = "s = 0\nfor i in range(n):\n    s = s + x^2 * i\nreturn s"


def cli(*args: str) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    return p


@pytest.mark.parametrize("n", [0, 1, 3, 5])
def test_hessian_through_a_loop_whose_bound_is_an_input(n: int) -> None:
    # s = x² · n(n−1)/2: ∂s/∂x = x·n(n−1), ∂²s/∂x² = n(n−1); n only sets the trip count (∂/∂n = 0).
    x, tri = 1.5, n * (n - 1) / 2
    h = higher.hessian(PROGRAM_RANGE, {"x": x, "n": float(n)})
    assert h.gradient == {"x": 2 * x * tri, "n": 0.0}
    assert h.hessian == [[2 * tri, 0.0], [0.0, 0.0]]
    v = higher.hvp(PROGRAM_RANGE, {"x": x, "n": float(n)}, {"x": 1.0, "n": 0.0})
    assert v.hvp == {"x": 2 * tri, "n": 0.0}


def test_non_finite_partials_on_broadcast_shapes_are_noted_not_a_crash() -> None:
    # f = Σᵢⱼ Mᵢⱼ / vⱼ: ∂f/∂Mᵢⱼ = 1/vⱼ, ∂f/∂vⱼ = −Σᵢ Mᵢⱼ / vⱼ².
    r = adcalc.grad("sum(M/v)", {"M": [[1.0, 2.0], [3.0, 4.0]], "v": [0.0, 1.0]})
    assert r.gradient["M"].tolist() == [[math.inf, 1.0], [math.inf, 1.0]]
    assert r.gradient["v"].tolist() == [-math.inf, -6.0]
    assert [w.kind for w in r.warnings] == ["nonfinite", "nonfinite_derivative"]
    assert "at [0, 0]" in r.warnings[1].message
    r = adcalc.grad("sum(v/y)", {"v": [2.0, 3.0], "y": 0.0})
    assert r.gradient["y"] == -math.inf and r.gradient["v"].tolist() == [math.inf, math.inf]
    assert cli("grad", "sum(v/y)", "--at", "v=[2,3],y=0").returncode == 0


@pytest.mark.parametrize("src", ["max(sqrt(x), 1)", "min(1, sqrt(x), 3)", "max(x, sqrt(x - 5))"])
def test_an_extreme_with_a_nan_argument_is_nan_in_every_mode(src: str) -> None:
    point = {"x": -1.0} if "x - 5" not in src else {"x": 2.0}
    assert math.isnan(adcalc.evaluate(src, point).value)
    assert math.isnan(adcalc.grad(src, point).gradient["x"])
    t = higher.deriv(src, point, wrt="x", order=3)
    assert all(math.isnan(d) for d in t.derivatives)
    p = cli("deriv", src, "--at", ",".join(f"{k}={v}" for k, v in point.items()), "--wrt", "x", "--order", "2",
            "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["derivatives"] == ["nan", "nan"]


@pytest.mark.parametrize("y", ["nan", "inf", "-inf"])
def test_a_non_finite_exponent_gives_nan_derivatives_not_a_crash(y: str) -> None:
    grad = adcalc.grad("x^y", {"x": 0.0, "y": float(y)}).gradient["x"]
    t = higher.deriv("x^y", {"x": 0.0, "y": float(y)}, wrt="x", order=2)
    assert not math.isfinite(grad) and all(math.isnan(d) for d in t.derivatives)  # y·0^(y−1): nan, or −inf·inf
    assert cli("deriv", "x^y", "--at", f"x=0,y={y}", "--wrt", "x", "--order", "1").returncode == 0


@pytest.mark.parametrize("b0", [1.0, 2.0, 3.0, 2.5])
def test_a_base_at_zero_with_a_moving_exponent(b0: float) -> None:
    """f(t) = t^(b₀ + t) = t^b₀ · (1 + t·log t + …): the derivatives of order k < b₀ + 1 are those
    of t^b₀ (0 below b₀, k! at k = b₀, +inf above a fractional b₀); from order b₀ + 1 on they do
    not exist — nan.  A warning names the first order that is not finite.  Order 1 equals forward
    mode's J·v."""
    t = higher.deriv("x^y", {"x": 0.0, "y": b0}, direction={"x": 1.0, "y": 1.0}, order=4)
    for k, d in enumerate(t.derivatives, start=1):
        if k < b0 + 1:
            assert d == (0.0 if k < b0 else math.factorial(k) if k == b0 else math.inf), (k, d)
        else:
            assert math.isnan(d), (k, d)
    first_missing = math.floor(b0) + 1
    assert [w.details.get("order") for w in t.warnings if w.kind == "nonfinite_derivative"] == [first_missing]
    jv = adcalc.jvp("x^y", {"x": 0.0, "y": b0}, {"x": 1.0, "y": 1.0}).tangent
    assert t.derivatives[0] == jv


def test_a_base_that_stays_at_zero() -> None:
    # 0^(2 + t) = 0 for t near 0: every derivative 0.  0^(0 + t) jumps (1 at t = 0, 0 for t > 0):
    # order 1 is the first-order rule's 0^0·log 0 = −inf (as forward and reverse mode), then nan.
    assert higher.deriv("x^y", {"x": 0.0, "y": 2.0}, direction={"x": 0.0, "y": 1.0}, order=3).derivatives == [0.0] * 3
    t = higher.deriv("x^y", {"x": 0.0, "y": 0.0}, direction={"x": 0.0, "y": 1.0}, order=2)
    assert t.derivatives[0] == -math.inf == adcalc.grad("x^y", {"x": 0.0, "y": 0.0}).gradient["y"]
    assert math.isnan(t.derivatives[1]) and any(w.kind == "nonfinite_derivative" for w in t.warnings)


@pytest.mark.parametrize("x", [2.0, 0.5, 7.0])
def test_mixed_second_derivative_of_a_power_at_exponent_zero(x: float) -> None:
    # f = x^y: ∂²f/∂x∂y = x^(y−1)·(1 + y·log x) = 1/x at y = 0; ∂²f/∂x² = y(y−1)x^(y−2) = 0.
    h = higher.hessian("x^y", {"x": x, "y": 0.0})
    assert h.hessian[0][0] == 0.0
    assert h.hessian[0][1] == pytest.approx(1 / x, rel=1e-15) and h.hessian[1][0] == pytest.approx(1 / x, rel=1e-15)
    v = higher.hvp("x^y", {"x": x, "y": 0.0}, {"x": 0.0, "y": 1.0})
    assert v.hvp["x"] == pytest.approx(1 / x, rel=1e-15)
    # finite differences of reverse mode's ∂f/∂x along y
    e = 1e-6
    def dfdx(y: float) -> float:
        return adcalc.grad("x^y", {"x": x, "y": y}).gradient["x"]

    fd = (dfdx(e) - dfdx(-e)) / (2 * e)
    assert h.hessian[0][1] == pytest.approx(fd, rel=1e-6)


ONE_SIDED_FAILS = "if x <= 0:\n    y = 2\nreturn abs(x) * y"


def test_a_failing_one_sided_sweep_never_fails_the_gradient(tmp_path) -> None:
    # At x = 0 the program runs (y = 2, |x|·2 has derivative 0 by abs'(0) = 0); just right of 0 it
    # fails (y unbound).  The gradient stands; the kink warnings say why there are no one-sided values.
    for mode in ("reverse", "forward"):
        r = adcalc.grad(ONE_SIDED_FAILS, {"x": 0.0}, mode=mode)
        assert r.value == 0.0 and r.gradient == {"x": 0.0}
        kinks = [w for w in r.warnings if w.kind == "kink"]
        assert kinks and all(w.details["one_sided"] == {} and "no one-sided derivatives" in w.message
                             and "'y' has no value here" in w.message for w in kinks)
    assert adcalc.jacobian(ONE_SIDED_FAILS, {"x": 0.0}).jacobian == [[0.0]]
    f = tmp_path / "p.ad"
    f.write_text(ONE_SIDED_FAILS + "\n")
    assert cli("grad", str(f), "--at", "x=0").returncode == 0
    # the same kink where both sides run: the one-sided values are there
    r = adcalc.grad("if x <= 0:\n    y = 2\nelse:\n    y = 3\nreturn abs(x) * y", {"x": 0.0})
    abs_kink = next(w for w in r.warnings if w.operation == "abs")
    assert abs_kink.details["one_sided"] == {"x": {"left": -2.0, "right": 3.0}}


@pytest.mark.parametrize("src, point", [
    ("acos(x^y)", {"x": 1.0, "y": 2.0}),  # ∂y: acos'(1) = −inf times ∂(x^y)/∂y = log 1 = 0
    ("sqrt(x*y)", {"x": 0.0, "y": 3.0}),
    ("x*y + log(y)", {"x": 2.0, "y": 0.0}),
])
def test_the_gradient_of_a_hessian_run_is_reverse_modes(src: str, point: dict[str, float]) -> None:
    g = adcalc.grad(src, point)
    h = higher.hessian(src, point)
    for k in point:
        assert h.gradient[k] == g.gradient[k] or (math.isnan(h.gradient[k]) and math.isnan(g.gradient[k])), (k, h, g)
    kinds = lambda ws: sorted({w.kind for w in ws})  # noqa: E731
    assert kinds(h.warnings) == kinds(g.warnings)
