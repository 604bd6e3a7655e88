"""Hypothesis: random expressions and small programs.

For each generated expression the test builds, side by side, the adcalc source text and three
independent evaluators: NumPy float64 (IEEE 754 for nan/inf), mpmath, and a float evaluator of the
error scales of the numeric policy (tests/numeric.py).  Checks: the value equals the direct
evaluation to within the kernels' bound propagated through the expression; forward mode equals
reverse mode to within the rounding of their different summation orders, measured against the
gradient with absolute local partials (not against the result, which may cancel to 0); and, where
the function is smooth and finite, both agree with a high-precision central difference by mpmath.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from conftest import close
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numeric import NUMPY_VS_MATH_ULPS, Scaled, ulp_close

import adcalc

VARS = ["x", "y", "z"]


def _safe(f):
    def g(*a):
        with np.errstate(all="ignore"):
            return float(f(*(np.float64(v) for v in a)))

    return g


UNARY = {  # name → (numpy, mpmath)
    "sin": (np.sin, mp.sin),
    "cos": (np.cos, mp.cos),
    "exp": (np.exp, mp.exp),
    "tanh": (np.tanh, mp.tanh),
    "atan": (np.arctan, mp.atan),
    "sqrt": (np.sqrt, mp.sqrt),
    "log": (np.log, mp.log),
}
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b),
    "-": (lambda a, b: a - b, lambda a, b: a - b),
    "*": (lambda a, b: a * b, lambda a, b: a * b),
    "/": (lambda a, b: a / b, lambda a, b: a / b),
}

# The error-scale evaluator (tests/numeric.py ``Scaled``): each node's |local partials| from its
# argument a and value v, and how many ulps adcalc's scalar rule (math) and the NumPy evaluator
# may differ by on equal arguments: 1 for a correctly rounded operation, NUMPY_VS_MATH_ULPS for a
# library kernel, 0 for negation.
ABS_PARTIAL = {
    "sin": lambda a, v: abs(np.cos(a)),
    "cos": lambda a, v: abs(np.sin(a)),
    "exp": lambda a, v: v,
    "tanh": lambda a, v: 1.0 - v * v,
    "atan": lambda a, v: 1.0 / (1.0 + a * a),
    "sqrt": lambda a, v: 0.5 / v,
    "log": lambda a, v: 1.0 / abs(a),
}
ABS_SECOND = {  # |d(partial)/da|
    "sin": lambda a, v: abs(np.sin(a)),
    "cos": lambda a, v: abs(np.cos(a)),
    "exp": lambda a, v: v,
    "tanh": lambda a, v: 2.0 * abs(v) * (1.0 - v * v),
    "atan": lambda a, v: 2.0 * abs(a) / (1.0 + a * a) ** 2,
    "sqrt": lambda a, v: 0.25 / (abs(a) * v),
    "log": lambda a, v: 1.0 / (a * a),
}
PARTIAL_SCALE = {**ABS_PARTIAL, "tanh": lambda a, v: 1.0 + v * v}  # the rule 1 - tanh² rounds at 1 + tanh²
KERNEL_ULPS = {name: (1 if name == "sqrt" else NUMPY_VS_MATH_ULPS) for name in UNARY}
BINARY_ABS_PARTIALS = {  # |partials|, |second partials| [i][j], the scales the partial rules round at
    "+": lambda a, b: ((1.0, 1.0), None, (0.0, 0.0)),
    "-": lambda a, b: ((1.0, 1.0), None, (0.0, 0.0)),
    "*": lambda a, b: ((abs(b), abs(a)), [[0.0, 1.0], [1.0, 0.0]], (0.0, 0.0)),
    "/": lambda a, b: ((1.0 / abs(b), abs(a) / (b * b)), [[0.0, 1.0 / (b * b)], [1.0 / (b * b), 2.0 * abs(a / b**3)]],
                       (1.0 / abs(b), abs(a) / (b * b))),
}


def _scaled_unary(name, a_sc):
    def sc(env):
        a = a_sc(env)
        with np.errstate(all="ignore"):
            v = UNARY[name][0](a.value)
            return Scaled.apply(v, [a], [ABS_PARTIAL[name](a.value, v)], KERNEL_ULPS[name],
                                [[ABS_SECOND[name](a.value, v)]], [PARTIAL_SCALE[name](a.value, v)])

    return sc


def _scaled_binary(op, a_sc, b_sc):
    def sc(env):
        a, b = a_sc(env), b_sc(env)
        with np.errstate(all="ignore"):
            v = BINARY[op][0](a.value, b.value)
            parts, second, scales = BINARY_ABS_PARTIALS[op](a.value, b.value)
            return Scaled.apply(v, [a, b], list(parts), 1, second, list(scales))

    return sc


def _scaled_pow(n, a_sc):
    def sc(env):
        a = a_sc(env)
        with np.errstate(all="ignore"):
            return Scaled.apply(np.power(a.value, float(n)), [a], [n * abs(a.value) ** (n - 1)], NUMPY_VS_MATH_ULPS,
                                [[n * (n - 1) * abs(a.value) ** max(n - 2, 0)]], [n * abs(a.value) ** (n - 1)])

    return sc


def _scaled_neg(a_sc):
    def sc(env):
        a = a_sc(env)
        return Scaled.apply(-a.value, [a], [1.0], 0, None, [0.0])

    return sc


@st.composite
def expressions(draw, depth: int = 0):
    """(source text, python evaluator, mpmath evaluator, error-scale evaluator, node count) of a
    random expression; the error-scale evaluator gives a ``Scaled``."""
    if depth >= 4 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            v = draw(st.sampled_from(VARS))
            return (v, (lambda env, v=v: env[v]), (lambda env, v=v: env[v]), (lambda env, v=v: Scaled.input(v, env[v])),
                    1)
        c = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.25]))
        return repr(c), (lambda env, c=c: c), (lambda env, c=c: mp.mpf(c)), (lambda env, c=c: Scaled(c)), 1
    kind = draw(st.sampled_from(["unary", "binary", "binary", "pow", "neg"]))
    a_src, a_py, a_mp, a_sc, a_n = draw(expressions(depth + 1))
    if kind == "unary":
        name = draw(st.sampled_from(sorted(UNARY)))
        f, g = UNARY[name]
        return (f"{name}({a_src})", (lambda env: _safe(f)(a_py(env))), (lambda env: g(a_mp(env))),
                _scaled_unary(name, a_sc), a_n + 1)
    if kind == "neg":
        return (f"-({a_src})", (lambda env: _safe(np.negative)(a_py(env))), (lambda env: -a_mp(env)),
                _scaled_neg(a_sc), a_n + 1)
    if kind == "pow":
        n = draw(st.integers(1, 3))
        return (f"({a_src})^{n}", (lambda env: _safe(np.power)(a_py(env), float(n))), (lambda env: a_mp(env) ** n),
                _scaled_pow(n, a_sc), a_n + 2)
    op = draw(st.sampled_from(sorted(BINARY)))
    b_src, b_py, b_mp, b_sc, b_n = draw(expressions(depth + 1))
    f, g = BINARY[op]
    return (f"({a_src}) {op} ({b_src})", (lambda env: _safe(f)(a_py(env), b_py(env))),
            (lambda env: g(a_mp(env), b_mp(env))), _scaled_binary(op, a_sc, b_sc), a_n + b_n + 1)


points = st.fixed_dictionaries({v: st.floats(0.1, 2.0) for v in VARS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), points)
def test_random_expressions(expr, point) -> None:
    src, py, mpf, scaled, nodes = expr
    used = {v: point[v] for v in VARS if v in adcalc.load(src).inputs}
    direct = py(point)
    bounds = scaled(point)
    r_ev = adcalc.evaluate(src, used)
    # math (adcalc) vs NumPy (the direct evaluator): each kernel within NUMPY_VS_MATH_ULPS, each
    # correctly rounded operation within 1 ulp of the other side's, propagated to first order.
    assert bounds.values_close(r_ev.value, direct), (src, r_ev.value, direct, bounds.drift)
    if not used:
        return
    fwd = adcalc.grad(src, used, mode="forward")
    rev = adcalc.grad(src, used, mode="reverse")
    assert ulp_close(fwd.value, rev.value, 0)  # the same primal operations in the same order
    # Both modes compute the same local partials, so they report the same warnings ...
    assert [(w.kind, w.operation, w.span) for w in fwd.warnings] == [(w.kind, w.operation, w.span)
                                                                       for w in rev.warnings]
    # ... and agree wherever every local partial is finite (where one is not, both say where).
    # Bound: 2·γ(M)·S, S the gradient with absolute local partials, M ≤ 2·nodes roundings on a path
    # (one product per edge, at most one addition per edge of the tree): see tests/numeric.py.
    if not any(w.kind == "nonfinite_derivative" for w in rev.warnings):
        for n in used:
            assert bounds.modes_close(fwd.gradient[n], rev.gradient[n], n, 2 * nodes), (
                src, n, fwd.gradient[n], rev.gradient[n], bounds.grad.get(n))
    # Independent derivative: mpmath central differences at 30 digits, where all is finite.  Not
    # through a pole: at x = 1, atan(0.5/(0.5/(1 - x))) passes 0.5/0 = inf and AD's finite 0 is
    # not the derivative -1 of the simplified function (adcalc warns: nonfinite, nonfinite_derivative).
    assume(math.isfinite(direct) and all(math.isfinite(g) for g in rev.gradient.values()))
    assume(not any(w.kind in ("nonfinite", "nonfinite_derivative") for w in rev.warnings))
    mp.mp.dps = 30
    names = list(used)
    for i, n in enumerate(names):
        order = tuple(1 if k == i else 0 for k in range(len(names)))
        try:
            want = float(mp.diff(lambda *a: mpf(dict(zip(names, a))), tuple(mp.mpf(used[m]) for m in names), order))
        except (ValueError, ZeroDivisionError):
            continue
        assume(math.isfinite(want) and abs(want) < 1e12)
        # 1e-8 where the expression is well conditioned; more only where the arithmetic says the
        # computed derivative cannot be closer (cos((0.5/x^3)^3) at x = 0.1: cos of 1.25e8 whose
        # last bit is rounding, 3e-8 relative): the forward-error bound of tests/numeric.py.
        assert close(rev.gradient[n], want, rel=1e-8, abs_=1e-9) or bounds.derivative_close(
            rev.gradient[n], want, n, 2 * nodes), (src, n, rev.gradient[n], want, bounds.deriv_drift.get(n))


def test_cancelling_gradient_of_issue_13() -> None:
    """Hypothesis's example (issue #13 item 24): ∂/∂z of z·(0.5/z)/((x·x)^1)^1 is exactly 0, the sum
    of two terms of size 0.5/(z·x²) ≈ 90; the modes add them in different orders (forward 0.0,
    reverse 2.84e-14): within 2·γ(M)·S of each other, S ≈ 181, not within 1e-12 of the result."""
    src = "((z) * ((0.5) / (z))) / ((((x) * (x))^1)^1)"
    x, z = 0.15625, 0.2265625
    fwd = adcalc.grad(src, {"x": x, "z": z}, mode="forward").gradient
    rev = adcalc.grad(src, {"x": x, "z": z}, mode="reverse").gradient
    x_, z_ = Scaled.input("x", x), Scaled.input("z", z)
    q_ = Scaled.apply(0.5 / z, [Scaled(0.5), z_], [1 / z, 0.5 / (z * z)], 1)
    num_ = Scaled.apply(z * (0.5 / z), [z_, q_], [0.5 / z, z], 1)
    den_ = Scaled.apply(x * x, [x_, x_], [x, x], 1)
    for _ in range(2):  # ^1, twice: ∂(d^1)/∂d = 1
        den_ = Scaled.apply(den_.value, [den_, Scaled(1.0)], [1.0, 0.0], NUMPY_VS_MATH_ULPS)
    f_ = Scaled.apply(num_.value / den_.value, [num_, den_], [1 / den_.value, num_.value / den_.value**2], 1)
    assert f_.grad["z"] == pytest.approx(2 * 0.5 / (z * x * x), rel=1e-15)
    for n in ("x", "z"):
        assert f_.modes_close(fwd[n], rev[n], n, 2 * 13), (n, fwd[n], rev[n])  # 13 nodes


@st.composite
def programs(draw):
    """A loop program with a branch; the same computation in Python, which also builds its
    ``Scaled`` (the scales of the numeric policy); the number of primitive operations it may run."""
    trips = draw(st.integers(0, 6))
    c = draw(st.sampled_from([0.5, 1.0, 1.5]))
    op = draw(st.sampled_from(["+", "*"]))
    threshold = draw(st.floats(-2, 2))
    src = f"""
s = x
for i in range({trips}):
    if s > {threshold!r}:
        s = s {op} sin(y * i + {c})
    elif s < -{abs(threshold)!r} - 1:
        s = s - y
    else:
        s = s * 0.5 + x * y
return s
"""

    def py(x: float, y: float) -> tuple[float, Scaled]:
        s = x
        x_, y_ = Scaled.input("x", x), Scaled.input("y", y)
        s_ = x_  # s's node, with |local partials| for the scales (ulps: unused here)
        for i in range(trips):
            if s > threshold:
                u = y * i + c
                u_ = Scaled.apply(u, [Scaled.apply(y * i, [y_], [float(i)], 1)], [1.0], 1)
                sin_ = Scaled.apply(math.sin(u), [u_], [abs(math.cos(u))], 1)
                if op == "+":
                    s_ = Scaled.apply(s + math.sin(u), [s_, sin_], [1.0, 1.0], 1)
                    s = s + math.sin(u)
                else:
                    s_ = Scaled.apply(s * math.sin(u), [s_, sin_], [abs(math.sin(u)), abs(s)], 1)
                    s = s * math.sin(u)
            elif s < -abs(threshold) - 1:
                s_ = Scaled.apply(s - y, [s_, y_], [1.0, 1.0], 1)
                s = s - y
            else:
                half_, xy_ = Scaled.apply(s * 0.5, [s_], [0.5], 1), Scaled.apply(x * y, [x_, y_], [abs(y), abs(x)], 1)
                s_ = Scaled.apply(s * 0.5 + x * y, [half_, xy_], [1.0, 1.0], 1)
                s = s * 0.5 + x * y
        return s, s_

    return src, py, 4 * trips  # at most 4 operations a trip (y*i, + c, sin, s op ...)


@settings(max_examples=80, deadline=None)
@given(programs(), st.floats(-3, 3), st.floats(-3, 3))
def test_random_programs(prog, x: float, y: float) -> None:
    src, py, ops = prog
    point = {"x": x, "y": y}
    value, bounds = py(x, y)
    # the same math functions and operations in the same order as the Python loop: the same float
    assert ulp_close(adcalc.evaluate(src, point).value, value, 0)
    fwd = adcalc.grad(src, point, mode="forward")
    rev = adcalc.grad(src, point, mode="reverse")
    assert fwd.value == rev.value
    # 2·γ(M)·S with M ≤ 3·ops: a path has at most ops products, forward mode adds at most once per
    # node on it, reverse mode at most (uses - 1) times per node, ≤ 2·ops edges in all.
    for n in point:
        assert bounds.modes_close(fwd.gradient[n], rev.gradient[n], n, 3 * ops), (
            n, fwd.gradient[n], rev.gradient[n], bounds.grad.get(n))
    traced = adcalc.grad(src, point, trace=True)
    assert traced.gradient == rev.gradient  # the traced path gives identical numbers
