"""One source per rule: everything that depends on a primitive's derivative rule agrees with it.

For every primitive of the registry (``adcalc.rules.registry``), at random points and at the hard
ones (±0, ties, domain edges, poles):

- the displayed partial (``partial_display``, what a trace shows: ``cos(v2)``), read back as an
  adcalc expression and evaluated, equals the rule ``partials[i]`` (within 8 ulps: the display
  writes ``a^2`` where the rule multiplies);
- forward mode, reverse mode, the rule on arrays (NumPy; within 8 ulps of ``math``, see
  tests/numeric.py) and Taylor mode's first coefficient all give the rule's derivative;
- Taylor mode's second coefficient equals the Hessian (forward-over-reverse: the rule evaluated
  on duals) wherever both are finite and no kink is hit;
- the one-sided rule at a kink (``directional``) is the one-sided limit of the value rule;
- every array primitive's ``jvp`` and ``vjp`` pass the dot-product test ⟨jvp(ẋ), ȳ⟩ = ⟨ẋ, vjp(ȳ)⟩,
  and the displayed pullback of the matrix products, read back as an expression, equals ``vjp``.
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
from numeric import ulp_close

import adcalc
from adcalc.ops import higher
from adcalc.rules.registry import ARRAY_PRIMITIVES, PRIMITIVES, REGISTRY

RNG = random.Random(15)
ELEMENTWISE = sorted(n for n, p in PRIMITIVES.items() if n != "step")
HARD = [-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0]


def _domain_point(name: str) -> list[float]:
    """A random point inside the primitive's domain."""
    p = PRIMITIVES[name]
    xs = [RNG.uniform(-3, 3) for _ in range(p.arity)]
    if name in ("log", "log2", "log10", "sqrt", "pow"):
        xs[0] = RNG.uniform(0.1, 3)
    if name in ("asin", "acos", "atanh"):
        xs[0] = RNG.uniform(-0.9, 0.9)
    if name == "acosh":
        xs[0] = RNG.uniform(1.1, 4)
    if name == "log1p":
        xs[0] = RNG.uniform(-0.9, 3)
    return xs


def _source(name: str, a: str = "a", b: str = "b", c: str = "c") -> str:
    """The language's way to write the primitive applied to a (and b, and c)."""
    p = PRIMITIVES[name]
    if p.symbol is not None:
        return f"-{a}" if p.arity == 1 else f"{a} {p.symbol} {b}"
    return f"{name}({', '.join([a, b, c][:p.arity])})"


def _names(arity: int) -> str:
    return "abc"[:arity]


_IVERSON = re.compile(r"\[(\w+) ([<>]) (\w+)\]")


def _as_expression(display: str) -> str:
    """A displayed partial as an adcalc expression (the notation's · and ln, Iverson brackets
    [a > b] as (sign(a - b) + 1)/2, which is the tie-splitting rule's value too)."""
    text = display.replace("·", "*").replace("ln 2", "log(2)").replace("ln 10", "log(10)")
    return _IVERSON.sub(lambda m: f"((sign({m.group(1)} - {m.group(3)}) + 1)/2)" if m.group(2) == ">"
                        else f"((sign({m.group(3)} - {m.group(1)}) + 1)/2)", text)


def _close(a: float, b: float, ulps: int = 8) -> bool:
    return ulp_close(a, b, ulps) or abs(a - b) <= 1e-13 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_displayed_partials_evaluate_to_the_rule(name: str) -> None:
    p = PRIMITIVES[name]
    for _ in range(20):
        xs = _domain_point(name)
        point = dict(zip("abc", xs))
        for i in range(p.arity):
            text = _as_expression(p.show_partial(i, ["a", "b", "c"][:p.arity]))
            shown = adcalc.evaluate(text, {k: v for k, v in point.items() if k in adcalc.load(text).inputs}).value
            rule = p.partials[i](*xs)
            assert _close(shown, rule), (name, i, text, xs, shown, rule)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_path_gives_the_rule(name: str) -> None:
    """Forward, reverse, arrays and Taylor order 1 agree with partials[i], at random points."""
    p = PRIMITIVES[name]
    src = _source(name)
    for _ in range(15):
        xs = _domain_point(name)
        point = dict(zip("abc", xs))
        rev = adcalc.grad(src, point).gradient
        fwd = adcalc.grad(src, point, mode="forward").gradient
        arr = adcalc.grad(f"sum({_source(name, 'A', 'B', 'C')})",
                          {k.upper(): [x, x] for k, x in zip(_names(p.arity), xs)}).gradient
        for i, k in enumerate(_names(p.arity)):
            rule = p.partials[i](*xs)
            taylor = higher.deriv(src, point, wrt=k, order=1).derivatives[0]
            assert rev[k] == rule and fwd[k] == rule, (name, xs, rev, fwd, rule)  # the same float operations
            assert _close(float(arr[k.upper()][0]), rule), (name, xs, arr, rule)  # NumPy vs math
            assert _close(taylor, rule, ulps=64), (name, xs, taylor, rule)  # the recurrence is its own math


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_taylor_second_coefficient_is_the_hessian(name: str) -> None:
    """Taylor order 2 along v equals vᵀHv from forward-over-reverse: along each input (the
    diagonal) and, for two arguments, along (1, 1) and (1, −1) (the mixed entries), at random
    points, hard points and points where one argument is 0 or 1 and the other is not."""
    p = PRIMITIVES[name]
    src = _source(name)
    points = [_domain_point(name) for _ in range(10)] + [[x] * p.arity for x in HARD]
    directions: list[tuple[float, ...]] = [(1.0,)]
    if p.arity == 2:
        points += [[2.0, 0.0], [0.5, 0.0], [3.0, 1.0], [0.0, 2.0], [1.0, 2.5], [1.0, 0.0]]
        directions = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0)]
    if p.arity == 3:
        points += [[1.0, 2.0, -0.5], [0.0, 2.0, -0.5], [-0.0, 1.5, 3.0]]
        directions = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 1.0, -1.0)]
    for xs in points:
        point = dict(zip("abc", xs))
        h = higher.hessian(src, point)
        for v in directions:
            t = higher.deriv(src, point, direction=dict(zip("abc", v)), order=2)
            second = t.derivatives[1]
            hess = sum(v[i] * v[j] * h.hessian[i][j] for i in range(p.arity) for j in range(p.arity))
            flagged = any(w.kind in ("kink", "nonfinite", "nonfinite_derivative") for w in t.warnings + h.warnings)
            if flagged or not (math.isfinite(second) and math.isfinite(hess)):
                continue
            assert abs(second - hess) <= 1e-9 * max(1.0, abs(hess)), (name, xs, v, second, hess)


KINKS = {  # a kink of each primitive with a one-sided rule, and directions to approach it from
    "abs": [(0.0,)], "max": [(1.5, 1.5), (-0.0, 0.0)], "min": [(1.5, 1.5), (2.0, 2.0)], "hypot": [(0.0, 0.0)],
    "sqrt": [(0.0,)], "cbrt": [(0.0,)], "pow": [(0.0, 0.5), (0.0, 0.25), (0.0, 0.0)],
    "sign": [(0.0,)], "floor": [(2.0,)], "ceil": [(-1.0,)],
    **{c: [(1.0, 1.0), (-0.0, 0.0), (2.5, 2.5)] for c in ("lt", "le", "gt", "ge", "eq", "ne")},
    "floordiv": [(6.0, 2.0), (-3.0, 1.5), (0.0, 2.0), (-4.5, -1.5)], "mod": [(6.0, 2.0), (-3.0, 1.5), (0.0, -2.0)],
    "int": [(2.0,), (-3.0,)], "round": [(2.5,), (-0.5,), (1.5,)],
}


@pytest.mark.parametrize("name", sorted(n for n, p in PRIMITIVES.items() if p.directional is not None))
def test_one_sided_rule_is_the_one_sided_limit_at_a_kink(name: str) -> None:
    """directional(x, ṫ) = lim_{h→0+} (f(x + h·ṫ) − f(x))/h, checked against the value rule with a
    small h (finite limits), by sign (infinite ones); where the value jumps, ``side(x, ṫ)`` is the
    value just beside x along ṫ and directional the slope of the piece there."""
    p = PRIMITIVES[name]
    for xs in KINKS[name]:
        assert p.kink(*xs), (name, xs)
        for ts in ([1.0, 0.0], [-1.0, 0.0], [0.5, -2.0], [-1.5, 1.0], [0.0, 1.0])[: 5 if p.arity == 2 else 2]:
            ts = ts[: p.arity]
            if name == "pow" and ts[1] != 0.0:
                continue  # a moving exponent at 0 has no one-sided rule: nan, documented
            got = p.directional(*xs, ts)
            h = 1e-9
            if p.side is not None:  # the value jumps: its side rule is the value beside the point,
                near, nearer = ([x + s * h * t for x, t in zip(xs, ts)] for s in (2, 1))
                side = p.side(*xs, ts)
                assert abs(side - p.value(*nearer)) <= 1e-6 * max(1.0, abs(side)), (name, xs, ts, side)
                beside = (p.value(*near) - p.value(*nearer)) / h  # and the piece's slope there is directional
                assert abs(got - beside) <= 1e-6 * max(1.0, abs(got)), (name, xs, ts, got, beside)
                continue
            quotient = (p.value(*[x + h * t for x, t in zip(xs, ts)]) - p.value(*xs)) / h
            if math.isinf(got) or abs(quotient) > 1e4:
                assert math.isinf(got) and math.copysign(1, got) == math.copysign(1, quotient), (name, xs, ts, got)
            elif math.isnan(got):
                assert math.isnan(p.value(*[x + h * t for x, t in zip(xs, ts)])), (name, xs, ts)
            else:
                assert abs(got - quotient) <= 1e-6 * max(1.0, abs(got)), (name, xs, ts, got, quotient)


# ---- array primitives ------------------------------------------------------------------------------

CASES = {
    "sum": ([np.arange(6.0).reshape(2, 3) - 2.5], (None,)),
    "mean": ([np.arange(6.0).reshape(2, 3) - 2.5], (1,)),
    "prod": ([np.array([1.5, -2.0, 0.5, 3.0])], (None,)),
    "amax": ([np.array([[1.0, 4.0, -2.0], [3.0, 0.5, 2.5]])], (0,)),
    "amin": ([np.array([[1.0, 4.0, -2.0], [3.0, 0.5, 2.5]])], (None,)),
    "matmul": ([np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 2.0]]), np.array([[2.0, -1.0, 1.0], [0.5, 3.0, -2.0]])], ()),
    "dot": ([np.array([1.0, 2.0, -3.0]), np.array([0.5, -1.0, 2.0])], ()),
    "transpose": ([np.arange(6.0).reshape(2, 3)], ()),
    "norm": ([np.array([3.0, -4.0, 1.0])], ()),
    "array": ([np.array([1.0, 2.0]), np.array([3.0, -1.0])], ()),
    "index": ([np.arange(12.0).reshape(3, 4), 1.0], ("i",)),
    "setitem": ([np.arange(4.0), 7.0, 2.0], ("i",)),
}


@pytest.mark.parametrize("name", sorted(n for n, p in ARRAY_PRIMITIVES.items() if p.jvp is not None))
def test_array_jvp_and_vjp_pass_the_dot_product_test(name: str) -> None:
    p = REGISTRY[name]
    args, params = CASES[name]
    rng = np.random.default_rng(15)
    out = p.value(args, params)
    tangents = [rng.normal(size=(1,) + np.shape(a)) if i in p.differentiable else None for i, a in enumerate(args)]
    ybar = rng.normal(size=np.shape(out))
    jv = np.asarray(p.jvp(args, tangents, params, out))[0]
    cots = p.vjp(args, params, out, ybar if np.ndim(out) else float(ybar))
    left = float(np.sum(jv * ybar))
    right = 0.0
    for t, c in zip(tangents, cots):
        if t is not None and c is not None:
            c = c.dense() if hasattr(c, "dense") else c
            right += float(np.sum(t[0] * c))
    assert abs(left - right) <= 1e-12 * max(1.0, abs(left)), (name, left, right)


def test_displayed_pullbacks_of_products_evaluate_to_the_vjp() -> None:
    a = CASES["matmul"][0][0]
    b = CASES["matmul"][0][1]
    g = np.array([[1.0, -2.0, 0.5], [2.0, 1.0, -1.0], [0.0, 3.0, 1.0]])
    p = REGISTRY["matmul"]
    abar, bbar = p.vjp([a, b], (), a @ b, g)
    for i, expected in enumerate((abar, bbar)):
        text = p.pullback[i].format("A", "B", g="G").replace("Aᵀ", "transpose(A)").replace("Bᵀ", "transpose(B)")
        got = adcalc.evaluate(text, {"A": a, "B": b, "G": g}).value
        np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_the_squares_partial_is_two_x_and_the_general_formula() -> None:
    """d(x^2)/dx is written 2·(x + 0) without a pow call; it must be the hand-derived 2x and, bit for
    bit, the general formula y·pow(x + 0, y − 1) at y = 2 (IEEE pow(t, 1) is t exactly), on random
    bit patterns of every magnitude, subnormals, ±0, ±inf and nan."""
    import struct

    rng = random.Random(2411)
    xs = [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(20000)]
    xs += [0.0, -0.0, 5e-324, -5e-324, 1e308, -1e308, math.inf, -math.inf, math.nan, 1.5, -3.25]
    partial = REGISTRY["pow"].partials[0]
    for x in xs:
        got = partial(x, 2.0)
        general = 2.0 * math.pow(x + 0.0, 1.0)
        assert struct.pack("<d", got) == struct.pack("<d", general) or (got != got and general != general), x
        if x == x and abs(x) < 1e300:
            assert got == 2 * x + 0.0  # the hand-derived 2x (exact: doubling a float), +0 at ±0
