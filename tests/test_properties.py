"""Hypothesis: random expressions and small programs.

For each generated expression the test builds, side by side, the adcalc source text and an
independent evaluator (NumPy float64, which follows IEEE 754 for nan/inf).  Checks: the value equals
the direct evaluation; forward mode equals reverse mode; and, where the function is smooth and
finite, both agree with a high-precision central difference computed by mpmath.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
from conftest import close
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

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


@st.composite
def expressions(draw, depth: int = 0):
    """(source text, python evaluator, mpmath evaluator) of a random expression."""
    if depth >= 4 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            v = draw(st.sampled_from(VARS))
            return v, (lambda env, v=v: env[v]), (lambda env, v=v: env[v])
        c = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.25]))
        return repr(c), (lambda env, c=c: c), (lambda env, c=c: mp.mpf(c))
    kind = draw(st.sampled_from(["unary", "binary", "binary", "pow", "neg"]))
    a_src, a_py, a_mp = draw(expressions(depth + 1))
    if kind == "unary":
        name = draw(st.sampled_from(sorted(UNARY)))
        f, g = UNARY[name]
        return f"{name}({a_src})", (lambda env: _safe(f)(a_py(env))), (lambda env: g(a_mp(env)))
    if kind == "neg":
        return f"-({a_src})", (lambda env: _safe(np.negative)(a_py(env))), (lambda env: -a_mp(env))
    if kind == "pow":
        n = draw(st.integers(1, 3))
        return f"({a_src})^{n}", (lambda env: _safe(np.power)(a_py(env), float(n))), (lambda env: a_mp(env) ** n)
    op = draw(st.sampled_from(sorted(BINARY)))
    b_src, b_py, b_mp = draw(expressions(depth + 1))
    f, g = BINARY[op]
    return f"({a_src}) {op} ({b_src})", (lambda env: _safe(f)(a_py(env), b_py(env))), (
        lambda env: g(a_mp(env), b_mp(env)))


points = st.fixed_dictionaries({v: st.floats(0.1, 2.0) for v in VARS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), points)
def test_random_expressions(expr, point) -> None:
    src, py, mpf = expr
    used = {v: point[v] for v in VARS if v in adcalc.load(src).inputs}
    direct = py(point)
    r_ev = adcalc.evaluate(src, used)
    assert close(r_ev.value, direct, rel=1e-13), (src, r_ev.value, direct)
    if not used:
        return
    fwd = adcalc.grad(src, used, mode="forward")
    rev = adcalc.grad(src, used, mode="reverse")
    assert close(fwd.value, rev.value, rel=0)
    # Both modes compute the same local partials, so they report the same warnings ...
    assert [(w.kind, w.operation, w.span) for w in fwd.warnings] == [(w.kind, w.operation, w.span)
                                                                       for w in rev.warnings]
    # ... and agree wherever every local partial is finite (where one is not, both say where).
    if not any(w.kind == "nonfinite_derivative" for w in rev.warnings):
        for n in used:
            assert close(fwd.gradient[n], rev.gradient[n], rel=1e-12), (src, n, fwd.gradient[n], rev.gradient[n])
    # Independent derivative: mpmath central differences at 30 digits, where all is finite.
    assume(math.isfinite(direct) and all(math.isfinite(g) for g in rev.gradient.values()))
    mp.mp.dps = 30
    names = list(used)
    for i, n in enumerate(names):
        order = tuple(1 if k == i else 0 for k in range(len(names)))
        try:
            want = float(mp.diff(lambda *a: mpf(dict(zip(names, a))), tuple(mp.mpf(used[m]) for m in names), order))
        except (ValueError, ZeroDivisionError):
            continue
        assume(math.isfinite(want) and abs(want) < 1e12)
        assert close(rev.gradient[n], want, rel=1e-8, abs_=1e-9), (src, n, rev.gradient[n], want)


@st.composite
def programs(draw):
    """A loop program with a branch, and the same computation in Python."""
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

    def py(x: float, y: float) -> float:
        s = x
        for i in range(trips):
            if s > threshold:
                s = s + math.sin(y * i + c) if op == "+" else s * math.sin(y * i + c)
            elif s < -abs(threshold) - 1:
                s = s - y
            else:
                s = s * 0.5 + x * y
        return s

    return src, py


@settings(max_examples=80, deadline=None)
@given(programs(), st.floats(-3, 3), st.floats(-3, 3))
def test_random_programs(prog, x: float, y: float) -> None:
    src, py = prog
    point = {"x": x, "y": y}
    assert close(adcalc.evaluate(src, point).value, py(x, y), rel=1e-13)
    fwd = adcalc.grad(src, point, mode="forward")
    rev = adcalc.grad(src, point, mode="reverse")
    assert fwd.value == rev.value
    for n in point:
        assert close(fwd.gradient[n], rev.gradient[n], rel=1e-12)
    traced = adcalc.grad(src, point, trace=True)
    assert traced.gradient == rev.gradient  # the traced path gives identical numbers
