"""Every primitive × in-domain points × {forward, reverse}, against an independent truth.

The truth is mpmath at 40 significant digits: its own implementation of each function for the
value, and its numerical differentiation (central differences at high precision) for the first
and second derivatives.  Nothing here reads adcalc's derivative rules.
"""

from __future__ import annotations

import math
import operator

import mpmath as mp
import pytest
from numeric import ulp_close

import adcalc
from adcalc.rules.registry import PRIMITIVES
from adcalc.transform.forward import Dual

mp.mp.dps = 40



def _as_number(op: object) -> object:
    """A comparison as Python's bool, as a number: 1 or 0."""
    return lambda x, y: mp.mpf(1) if op(x, y) else mp.mpf(0)  # type: ignore[operator]


# name → (mpmath function, language source, in-domain points)
ROWS: dict[str, tuple] = {
    "add": (lambda x, y: x + y, "x + y", [(0.3, -1.7), (2.0, 5.5)]),
    "sub": (lambda x, y: x - y, "x - y", [(0.3, -1.7), (-2.0, 5.5)]),
    "mul": (lambda x, y: x * y, "x * y", [(0.3, -1.7), (-2.0, 5.5)]),
    "div": (lambda x, y: x / y, "x / y", [(0.3, -1.7), (-2.0, 5.5)]),
    "neg": (lambda x: -x, "-x", [(0.3,), (-2.5,)]),
    "pow": (mp.power, "x ^ y", [(1.3, 2.5), (0.7, -1.2), (2.0, 3.0)]),
    "exp": (mp.exp, "exp(x)", [(0.3,), (-2.5,), (4.0,)]),
    "expm1": (mp.expm1, "expm1(x)", [(1e-3,), (-2.5,), (1.5,)]),
    "log": (mp.log, "log(x)", [(0.3,), (2.5,), (40.0,)]),
    "log2": (lambda x: mp.log(x, 2), "log2(x)", [(0.3,), (2.5,)]),
    "log10": (mp.log10, "log10(x)", [(0.3,), (2.5,)]),
    "log1p": (mp.log1p, "log1p(x)", [(1e-3,), (-0.5,), (3.0,)]),
    "sqrt": (mp.sqrt, "sqrt(x)", [(0.3,), (2.5,)]),
    "cbrt": (mp.cbrt, "cbrt(x)", [(0.3,), (27.5,)]),
    "sin": (mp.sin, "sin(x)", [(0.3,), (-2.5,), (10.0,)]),
    "cos": (mp.cos, "cos(x)", [(0.3,), (-2.5,), (10.0,)]),
    "tan": (mp.tan, "tan(x)", [(0.3,), (-2.5,)]),
    "asin": (mp.asin, "asin(x)", [(0.3,), (-0.8,)]),
    "acos": (mp.acos, "acos(x)", [(0.3,), (-0.8,)]),
    "atan": (mp.atan, "atan(x)", [(0.3,), (-2.5,)]),
    "atan2": (mp.atan2, "atan2(y, x)", [(0.3, -1.7), (-2.0, 5.5)]),  # points are (y, x)
    "sinh": (mp.sinh, "sinh(x)", [(0.3,), (-2.5,)]),
    "cosh": (mp.cosh, "cosh(x)", [(0.3,), (-2.5,)]),
    "tanh": (mp.tanh, "tanh(x)", [(0.3,), (-2.5,)]),
    "asinh": (mp.asinh, "asinh(x)", [(0.3,), (-2.5,)]),
    "acosh": (mp.acosh, "acosh(x)", [(1.3,), (12.5,)]),
    "atanh": (mp.atanh, "atanh(x)", [(0.3,), (-0.8,)]),
    "sigmoid": (lambda x: 1 / (1 + mp.exp(-x)), "sigmoid(x)", [(0.3,), (-2.5,), (30.0,)]),
    "softplus": (lambda x: mp.log(1 + mp.exp(x)), "softplus(x)", [(0.3,), (-2.5,), (30.0,)]),
    "erf": (mp.erf, "erf(x)", [(0.3,), (-1.5,)]),
    "erfc": (mp.erfc, "erfc(x)", [(0.3,), (-1.5,)]),
    "abs": (mp.fabs, "abs(x)", [(0.3,), (-2.5,)]),
    "max": (max, "max(x, y)", [(0.3, -1.7), (-2.0, 5.5)]),
    "min": (min, "min(x, y)", [(0.3, -1.7), (-2.0, 5.5)]),
    "hypot": (mp.hypot, "hypot(x, y)", [(0.3, -1.7), (-2.0, 5.5)]),
    "sign": (mp.sign, "sign(x)", [(0.3,), (-2.5,)]),
    "floor": (mp.floor, "floor(x)", [(0.3,), (-2.5,)]),
    "ceil": (mp.ceil, "ceil(x)", [(0.3,), (-2.5,)]),
    "step": (lambda x: mp.mpf(1) if x > 0 else mp.mpf(0), None, [(0.3,), (-2.5,)]),
    # Python's discrete operations: the truth is exact arithmetic (mpmath's floor of the exact quotient)
    **{name: (_as_number(op), f"x {sym} y",
              [(0.3, -1.7), (-2.0, 5.5), (1.0, 1.5)])
       for name, sym, op in (("lt", "<", operator.lt), ("le", "<=", operator.le), ("gt", ">", operator.gt),
                             ("ge", ">=", operator.ge), ("eq", "==", operator.eq), ("ne", "!=", operator.ne))},
    "where": (lambda c, x, y: x if c != 0 else y, "where(c, x, y)", [(1.0, 0.3, -1.7), (-2.0, 2.0, 5.5),
                                                                      (0.5, -1.25, 4.0)]),
    "mod": (lambda x, y: x - y * mp.floor(x / y), "x % y", [(7.5, 2.0), (-7.5, 2.0), (7.5, -2.0), (0.3, -1.7)]),
    "floordiv": (lambda x, y: mp.floor(x / y), "x // y", [(7.5, 2.0), (-7.5, 2.0), (0.3, -1.7)]),
    "int": (lambda x: mp.mpf(int(x)), "int(x)", [(2.7,), (-2.7,), (0.3,)]),
    "round": (lambda x: mp.nint(x), "round(x)", [(2.7,), (-2.3,), (1.2,)]),
}

CASES = [(name, pt) for name, row in ROWS.items() for pt in row[2]]


def _names(name: str) -> list[str]:
    if name == "atan2":
        return ["y", "x"]
    return {1: ["x"], 2: ["x", "y"], 3: ["c", "x", "y"]}[PRIMITIVES[name].arity]


def _true_partials(name: str, pt: tuple) -> list[float]:
    f = ROWS[name][0]
    out = []
    for i in range(len(pt)):
        order = [0] * len(pt)
        order[i] = 1
        out.append(float(mp.diff(f, tuple(mp.mpf(v) for v in pt), tuple(order))))
    return out


def close(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-14) -> bool:
    return a == b or abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


def test_every_primitive_has_a_test_row() -> None:
    assert set(ROWS) == set(PRIMITIVES)


def test_every_public_function_is_callable_in_the_language() -> None:
    for name, p in PRIMITIVES.items():
        if p.public:
            args = ", ".join(["0.5"] * p.arity)
            assert math.isfinite(adcalc.evaluate(f"{name}({args})").value) or name in ("log", "acosh")


@pytest.mark.parametrize("name,pt", CASES)
def test_value_matches_mpmath(name: str, pt: tuple) -> None:
    want = float(ROWS[name][0](*[mp.mpf(v) for v in pt]))
    got = PRIMITIVES[name].value(*pt)
    assert close(got, want, rel=4e-15, abs_=1e-300), (got, want)


@pytest.mark.parametrize("name,pt", CASES)
def test_partials_match_high_precision_differences(name: str, pt: tuple) -> None:
    truth = _true_partials(name, pt)
    p = PRIMITIVES[name]
    for i, want in enumerate(truth):
        assert close(float(p.partials[i](*pt)), want, rel=1e-12), (i, want)


@pytest.mark.parametrize("name,pt", [c for c in CASES if ROWS[c[0]][1]])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_gradient_through_the_language(name: str, pt: tuple, mode: str) -> None:
    source = ROWS[name][1]
    point = dict(zip(_names(name), pt))
    r = adcalc.grad(source, point, mode=mode)
    truth = dict(zip(_names(name), _true_partials(name, pt)))
    for n, want in truth.items():
        assert close(r.gradient[n], want, rel=1e-12), (n, r.gradient[n], want)


@pytest.mark.parametrize("name,pt", [c for c in CASES if ROWS[c[0]][1]])
def test_forward_equals_reverse(name: str, pt: tuple) -> None:
    # One primitive: both modes compute the same partial and multiply it by a unit seed (forward
    # ṫ = ∂·1, reverse x̄ = 1·∂), with nothing to sum in different orders: the same float.
    point = dict(zip(_names(name), pt))
    fwd = adcalc.grad(ROWS[name][1], point, mode="forward").gradient
    rev = adcalc.grad(ROWS[name][1], point, mode="reverse").gradient
    for n in point:
        assert ulp_close(fwd[n], rev[n], 0), (n, fwd[n], rev[n])


@pytest.mark.parametrize("name,pt", CASES)
def test_rules_differentiate_again(name: str, pt: tuple) -> None:
    """The partial rules are written with primitives, so duals give second derivatives."""
    f = ROWS[name][0]
    p = PRIMITIVES[name]
    n = len(pt)
    for i in range(n):
        for j in range(n):
            args = [Dual(v, (1.0,)) if k == j else v for k, v in enumerate(pt)]
            d = p.partials[i](*args)
            got = d.tangent[0] if isinstance(d, Dual) else 0.0
            order = [0] * n
            order[i] += 1
            order[j] += 1
            want = float(mp.diff(f, tuple(mp.mpf(v) for v in pt), tuple(order)))
            assert close(got, want, rel=1e-9, abs_=1e-12), (i, j, got, want)
