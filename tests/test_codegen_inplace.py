"""Generated NumPy code that writes a step into an array nothing reads any more (issue #16's speed).

``arrayinplace`` rewrites ``v4 = (v1 - v3)`` as ``np.subtract(v1, v3, out=v3)`` where ``v3`` is an
array the function made and reads no more, and the fast reverse sweep carries a negation to where
its cotangent is added (``x̄[:-1] -= g`` for ``x̄[:-1] += (-g)``).  The truth: the interpreter, which runs the same NumPy
operations on fresh arrays, so every value, tangent and adjoint must equal its bit for bit (nan
equal to nan) — for arithmetic and squares a ufunc's element does not depend on where it is
written.  The rewrite must never write into the caller's arrays or into a smaller (broadcast)
argument, and it must keep the Rosenbrock gradient's memory down (tracemalloc's peak, a count of
arrays, not a timing).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import adcalc

VECTORISED = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"

PROGRAMS = [
    (VECTORISED, {"x": np.linspace(-1.3, 1.7, 7)}),
    # a value read again after a step that could have overwritten it
    ("def f(x):\n    a = x*2 - 1\n    b = a*a + 3\n    c = -b\n    return sum(c*a + b/a)",
     {"x": np.linspace(0.1, 2, 6)}),
    # a (1,) argument broadcast against (n,): nothing may be written into it
    ("def f(x, c):\n    t = c*3 + 1\n    u = (x - t)^2\n    return sum(u*x)",
     {"x": np.linspace(-1, 1, 5), "c": np.array([0.5])}),
    # (n, 1) against (1, m): the result is larger than either argument
    ("def f(a, b):\n    p = a*2\n    q = b - 1\n    return sum((p + q)^2 / (p*p + 1))",
     {"a": np.array([[1.0], [2.0], [-3.0]]), "b": np.array([[0.5, -1.5, 2.0, 4.0]])}),
    # negations carried to where they are added: into a slice's scatter, a sum, an owned adjoint
    ("def f(x):\n    a = -x[1:]\n    b = 1 - x[:-1]\n    c = -(a*b)\n    return sum(c*c - a) - sum(x[1:] - 2*x[:-1])",
     {"x": np.linspace(-1.2, 0.9, 6)}),
    # a number among the arrays
    ("def f(x, s):\n    y = (x*s - s)^2\n    return sum(-(y*s) + y/s)", {"x": np.linspace(-2, 2, 4), "s": 1.5}),
]


def equal(a: object, b: object) -> bool:
    return np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def check_against_interpreter(src: str, point: dict) -> None:
    c = adcalc.compile(src)
    xs = [point[n] for n in c.inputs]
    assert equal(c.value(*xs), adcalc.evaluate(src, point).value)
    value, grads = c.value_and_grad(*xs)
    want = adcalc.grad(src, point)
    assert equal(value, want.value)
    for n, g in zip(c.inputs, grads):
        assert equal(g, want.gradient[n]), (n, g, want.gradient[n])
    rng = np.random.default_rng(5)
    direction = {n: rng.standard_normal(np.shape(point[n])) if np.ndim(point[n]) else 0.75 for n in c.inputs}
    _, tangent = c.jvp(xs, [direction[n] for n in c.inputs])
    assert equal(tangent, adcalc.jvp(src, point, direction).tangent)
    _, bars = c.vjp(xs, -2.5)
    back = adcalc.vjp(src, point, [-2.5]).cotangent_result
    for n, b in zip(c.inputs, bars):
        assert equal(b, back[n]), (n, b, back[n])


@pytest.mark.parametrize("src, point", PROGRAMS)
def test_in_place_steps_give_the_interpreters_numbers_bit_for_bit(src: str, point: dict) -> None:
    assert "out=_d" in adcalc.compile(src).code  # the rewrite is exercised, not bypassed
    check_against_interpreter(src, point)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, 1e200])
def test_non_finite_values_take_the_exact_sweep_with_the_same_numbers(bad: float) -> None:
    x = np.linspace(-1.3, 1.7, 6)
    x[2] = bad  # 1e200: its square overflows, so the fast sweep's products are not finite
    check_against_interpreter(VECTORISED, {"x": x})


def test_the_callers_arrays_are_never_written() -> None:
    src = "def f(x, y):\n    a = x*y\n    return sum(a*a - y)"
    x, y, dx, dy = (np.linspace(-1, 1, 5) + k for k in range(4))
    keep = [v.copy() for v in (x, y, dx, dy)]
    c = adcalc.compile(src)
    c.value(x, y)
    c.grad(x, y)
    c.jvp([x, y], [dx, dy])
    ybar = np.array(2.0)
    c.vjp([x, y], ybar)
    assert all(np.array_equal(v, k) for v, k in zip((x, y, dx, dy), keep)) and ybar == 2.0


def test_the_rosenbrock_gradient_holds_at_most_four_arrays_at_once() -> None:
    """Before the rewrite its peak was five arrays of x's size (the value's three); NumPy's own
    expression for the value holds two."""
    n = 100_000
    x = np.linspace(-1.5, 1.5, n)
    c = adcalc.compile(VECTORISED)
    c.grad(x)  # compiled and warmed up
    tracemalloc.start()
    try:
        c.grad(x)
        grad_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        c.value(x)
        value_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert grad_peak < 4.1 * 8 * n  # x̄ and three working arrays
    assert value_peak < 2.1 * 8 * n
