"""Generated NumPy code that reuses its scratch buffers (issue #16's vectorised-gradient speed).

A straight-line array function writes a step that has no dying argument into a buffer from
``_a_take``: one an array this call reads no more left (``_a_free``), else one an earlier call gave
back to the module's pool (``_a_give`` at each return), else a new one; only float64 results of at
least 2**15 elements.  The truth: the interpreter, which runs the same NumPy operations on fresh
arrays — values, tangents and adjoints equal bit for bit (nan equal to nan) on the in-place
programs, within the ulp bound on random programs — on the first call (an empty pool) and on
later calls (reused buffers holding the last call's numbers); results never share memory with
the pool or with each other, and the caller's arrays are never written nor pooled; threads share
a pool; the pool stays within its bounds; memory is counted with tracemalloc (not timed).
"""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric import NUMPY_VS_MATH_ULPS, ulp_close
from test_codegen_inplace import PROGRAMS, check_against_interpreter, equal

import adcalc
from adcalc.ops.codegen.arraymodule import array_module
from adcalc.ops.codegen.run import load_module

VECTORISED = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"
BIG = 40_000  # above _a_take's 2**15 elements


def big(point: dict) -> dict:
    """The point with each array resampled to about BIG elements (a (k, 1) or (1, k) array to k = 200)."""
    out = {}
    for name, v in point.items():
        if np.ndim(v) == 0 or np.size(v) == 1:
            out[name] = v
        elif np.ndim(v) == 1:
            out[name] = np.interp(np.linspace(0, len(v) - 1, BIG), np.arange(len(v)), v)
        else:
            col = np.interp(np.linspace(0, np.size(v) - 1, 200), np.arange(np.size(v)), np.ravel(v))
            out[name] = col.reshape(np.shape(v)[0] > 1 and (200, 1) or (1, 200))
    return out


def module(src: str) -> dict:
    """A fresh NumPy module of the source, forward and reverse code (its own, empty, pool)."""
    return load_module(array_module(adcalc.load(src).program, "both", "test"))


@pytest.mark.parametrize("src, point", PROGRAMS)
def test_pooled_buffers_give_the_interpreters_numbers_bit_for_bit(src: str, point: dict) -> None:
    code = adcalc.compile(src).code
    assert "_a_take(_ws" in code and "return _a_give(_ws, " in code  # the pool is exercised
    p = big(point)
    check_against_interpreter(src, p)  # the first call may fill the pool
    c = adcalc.compile(src)
    assert c._ns["_POOL"]  # noqa: SLF001 - the module's own pool, filled by the calls above
    check_against_interpreter(src, p)  # now every step's buffer may come from the pool
    shifted = {k: v * 0.75 + 0.1 if np.ndim(v) else v for k, v in p.items()}
    check_against_interpreter(src, shifted)  # buffers that hold another call's numbers


def test_the_rosenbrock_gradient_frees_and_reuses_within_one_call() -> None:
    """An empty pool: x̄ and four working arrays at the peak (one more than without the pool: a
    buffer read last by a call, here the sum's rule, is kept for the pool, not freed at once); a
    full pool: x̄ is the one new array, and the pool keeps the working arrays between calls."""
    n = 100_000
    x = np.linspace(-1.5, 1.5, n)
    ns = module(VECTORISED)
    assert "_a_free(_ws, " in adcalc.compile(VECTORISED).code
    want = adcalc.grad(VECTORISED, {"x": x}).gradient["x"]
    tracemalloc.start()
    try:
        cold = ns["f_grad"](x)[1][0]
        cold_peak = tracemalloc.get_traced_memory()[1]
        held = sum(b.nbytes for b in ns["_POOL"])
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        warm = ns["f_grad"](x)[1][0]
        warm_peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert equal(cold, want) and equal(warm, want)
    assert cold_peak < 5.1 * 8 * n
    assert 0 < held <= 4 * 8 * n  # what the pool keeps: the working arrays, not more
    assert warm_peak < 1.1 * 8 * n + 8 * 1024  # x̄ (returned) and the small change


def test_results_never_share_memory_with_the_pool_or_each_other() -> None:
    src = "def f(x, y):\n    a = x*y - 1\n    b = -a\n    return b*b + x"  # an array result made by arithmetic
    ns = module(src)
    x, y = np.linspace(-1, 1, BIG), np.linspace(2, 3, BIG)
    keep = x.copy(), y.copy()
    results = [ns["f"](x, y), *ns["f_jvp"](x, y, y, x), *ns["f_vjp"](x, y, x)[1], ns["f"](x * 2, y)]
    wanted = adcalc.evaluate(src, {"x": x, "y": y}).value
    assert equal(results[0], wanted)  # not overwritten by the later calls
    for k, r in enumerate(results):
        assert not any(np.may_share_memory(r, b) for b in ns["_POOL"]), k
        assert not any(np.may_share_memory(r, s) for s in results[k + 1:]), k
    assert all(not np.may_share_memory(v, b) for v in (x, y) for b in ns["_POOL"])
    assert equal(x, keep[0]) and equal(y, keep[1])


def test_threads_share_the_pool() -> None:
    ns = module(VECTORISED)
    xs = [np.linspace(-1, 1, BIG) * (k + 1) for k in range(6)]
    want = [adcalc.grad(VECTORISED, {"x": x}).gradient["x"] for x in xs]
    got: list[list] = [[] for _ in xs]

    def work(k: int) -> None:
        for _ in range(15):
            got[k].append(ns["f_grad"](xs[k])[1][0])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(equal(g, w) for gs, w in zip(got, want) for g in gs)
    assert len(ns["_POOL"]) <= 8


def test_the_pool_keeps_at_most_64_mib_and_small_arrays_take_no_buffer() -> None:
    ns = module(VECTORISED)
    for n in (3_000_000, 1_000_000, 50_000):  # 24 MB working arrays, then smaller ones
        x = np.linspace(-1.5, 1.5, n)
        assert equal(ns["f_grad"](x)[1][0], adcalc.grad(VECTORISED, {"x": x}).gradient["x"])
        assert len(ns["_POOL"]) <= 8 and sum(b.size for b in ns["_POOL"]) <= 2**23
    small = module(VECTORISED)
    small["f_grad"](np.linspace(-1.5, 1.5, 1000))
    assert small["_POOL"] == []


@st.composite
def elementwise_programs(draw):  # noqa: ANN201 - a hypothesis strategy
    """A straight-line program over vectors x, y and a number s: arithmetic, squares, negations,
    elementwise functions, slices, an array or a sum as its result."""
    terms = ["x", "y", "x[::-1]"]  # arrays; the second operand may be a number
    lines = []
    for k in range(draw(st.integers(2, 6))):
        a = draw(st.sampled_from(terms))
        b = draw(st.sampled_from(terms + ["s", "2.5", "-1.0"]))
        form = draw(st.sampled_from(["{a} {op} {b}", "({a} {op} {b})^2", "-({a} {op} {b})", "{f}({a}) {op} {b}",
                                     "{a} / ({b}^2 + 1)"]))
        op = draw(st.sampled_from(["+", "-", "*"]))
        f = draw(st.sampled_from(["sin", "exp", "tanh", "abs"]))
        lines.append(f"    t{k} = " + form.format(a=a, b=b, op=op, f=f))
        terms.append(f"t{k}")
    last = terms[-1]
    result = draw(st.sampled_from([f"sum({last} * x)", f"sum({last}) * s", f"{last} * x"]))
    return "def f(x, y, s):\n" + "\n".join(lines) + f"\n    return {result}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(src=elementwise_programs(), seed=st.integers(0, 2**16))
def test_random_programs_with_pooled_buffers_match_the_interpreter(src: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ns = module(src)
    assert "_a_take(_ws" in array_module(adcalc.load(src).program, "both", "test")
    for call in range(3):  # an empty pool, then buffers from the earlier calls
        point = {"x": rng.uniform(-2, 2, BIG), "y": rng.uniform(-2, 2, BIG), "s": float(rng.uniform(0.5, 2))}
        xs = [point[k] for k in ns["INPUTS"]]
        want = adcalc.evaluate(src, point).value
        assert ulp_close(ns["f"](*xs), want, NUMPY_VS_MATH_ULPS), call
        d = [rng.standard_normal(np.shape(point[k])) if np.ndim(point[k]) else 0.5 for k in ns["INPUTS"]]
        _, tangent = ns["f_jvp"](*xs, *d)
        assert ulp_close(tangent, adcalc.jvp(src, point, dict(zip(ns["INPUTS"], d))).tangent, NUMPY_VS_MATH_ULPS)
        if np.ndim(want) == 0:
            _, bars = ns["f_vjp"](*xs, -1.5)
            back = adcalc.vjp(src, point, [-1.5]).cotangent_result
            for k, b in zip(ns["INPUTS"], bars):
                assert ulp_close(b, back[k], NUMPY_VS_MATH_ULPS), (call, k)


# ---- sum's cotangent kept as a number; products by 1.0 skipped ---------------------------------

UNIFORM = [
    # ȳ of sum(v) reaches v's arguments as a number while shapes agree (the Rosenbrock)
    (VECTORISED, {"x": np.linspace(-1.3, 1.7, BIG)}),
    # a broadcast argument: the number is broadcast and summed over the broadcast axis (also negated)
    ("def f(A, x, c):\n    return sum(A + x - c) + sum(-(A*2) - x)",
     {"A": np.linspace(-1, 1, 600).reshape(3, 200), "x": np.linspace(0, 2, 200), "c": np.array([0.5])}),
    # the number scattered into a slice's adjoint, before and after a dense contribution
    ("def f(x):\n    return sum(x[1:]) + sum(x*3) - sum(x[:-2]*0.5)", {"x": np.linspace(-1, 1, BIG)}),
    ("def f(x):\n    return sum(x*3) - sum(x[::2]) + sum(x)", {"x": np.linspace(-1, 1, BIG)}),
    # a number among the arrays, a product by a runtime number that may be 1.0
    ("def f(x, s):\n    y = (x*s - 1)^2\n    return sum(y*s)", {"x": np.linspace(-2, 2, BIG), "s": 1.0}),
    # a constant partial that is not finite (1/0): the zero rule on the broadcast ȳ, in the exact sweep
    ("def f(x):\n    return sum(x/0.0) + sum(x*2)", {"x": np.linspace(-1, 1, BIG)}),
    # a partial that is a number computed at run time (1/7.25, s + 1): ȳ·∂ is a number standing for
    # the array (found by hypothesis: it was handed to _a_unbroadcast as if it were the array)
    ("def f(x, y, s):\n    t0 = x + x\n    t1 = t0 / (2.5^2 + 1)\n    return sum(t1) * s",
     {"x": np.linspace(-2, 2, BIG), "y": np.linspace(0, 1, BIG), "s": 1.2}),
    ("def f(x, s):\n    return sum(x * (s + 1)) + sum(-x / s)", {"x": np.linspace(-2, 2, BIG), "s": 0.7}),
    # … and one that is not finite (1/0 at run time): the exact sweep's mul0 gives a 0-d array there
    ("def f(x, y, s):\n    t0 = x + x\n    t1 = t0 / (-1.0^2 + 1)\n    return sum(t1) * s",
     {"x": np.linspace(-2, 2, BIG), "y": np.linspace(0, 1, BIG), "s": 1.2}),
]


@pytest.mark.parametrize("src, point", UNIFORM)
def test_sums_cotangent_kept_as_a_number_gives_the_interpreters_numbers(src: str, point: dict) -> None:
    code = array_module(adcalc.load(src).program, "reverse", "test")
    assert "_r_sum_vjp" not in code  # ȳ of every sum is kept as the number
    check_against_interpreter(src, point)  # ȳ = 1.0 (grad: the products by it skipped) and -2.5
    check_against_interpreter(src, point)  # pooled buffers


def test_products_by_one_are_skipped_and_gradients_are_arrays_of_their_own() -> None:
    code = array_module(adcalc.load(VECTORISED).program, "reverse", "test")
    assert "(_d if _a_one(v9_bar) else np.multiply(v9_bar, _e1, out=_d))" in code
    c = adcalc.compile("sum(x)")
    x = np.linspace(0, 1, BIG)
    g = c.grad(x)[0]
    assert g.flags.writeable and g.shape == x.shape and np.all(g == 1.0)
    g[0] = 7.0  # the caller's own array: the next gradient is not changed by it
    assert np.all(c.grad(x)[0] == 1.0)


@pytest.mark.parametrize("bad", [np.inf, np.nan, 1e200])
def test_a_non_finite_sum_takes_the_exact_sweep_with_the_interpreters_numbers(bad: float) -> None:
    src = "def f(x, s):\n    y = (x*s - 1)^2\n    return sum(y*s) + sum(x[1:]*y[:-1])"
    x = np.linspace(-2, 2, BIG)
    x[7] = bad
    check_against_interpreter(src, {"x": x, "s": 1.0})


@pytest.mark.parametrize("src, point", UNIFORM[:4])
@pytest.mark.parametrize("w", [0.0, -0.0])
def test_zero_weights_give_the_interpreters_zeros_with_their_signs(src: str, point: dict, w: float) -> None:
    """A weight of ±0 makes every cotangent a signed zero: kept as a number, skipped products by
    1.0 and scatters through a view must give each zero the interpreter's sign.  (Not the fifth
    program: there the fast sweep's plain product ȳ·∂ keeps the sign of 0·∂ where the zero rule
    gives +0 — so it did before this stop's changes too.)"""
    c = adcalc.compile(src)
    _, bars = c.vjp([point[n] for n in c.inputs], w)
    back = adcalc.vjp(src, point, [w]).cotangent_result
    for n, b in zip(c.inputs, bars):
        assert equal(b, back[n]) and np.array_equal(np.signbit(b), np.signbit(back[n])), n


def test_compiled_modules_share_one_bounded_pool() -> None:
    """adcalc.compile gives every NumPy module the process's one pool: after large gradients of
    several sources it holds at most 8 buffers and 64 MiB in all, and each result is right."""
    from adcalc.ops.codegen import compiled

    sources = [VECTORISED, "sum(exp(x) * x^2)", "sum(sin(x[1:]) * x[:-1])", "sum((x - 1)^2 * 3)"]
    x = np.linspace(-1.5, 1.5, 2_000_000)  # 16 MB working arrays: each source could keep 64 MiB alone
    for src in sources:
        c = adcalc.compile(src)
        assert equal(c.grad(x)[0], adcalc.grad(src, {"x": x}).gradient["x"])
        pool = compiled._SHARED_POOL  # noqa: SLF001 - the bound under test
        assert len(pool) <= 8 and sum(b.size for b in pool) <= 2**23
    assert compiled._SHARED_POOL  # the large calls did give buffers back  # noqa: SLF001


def test_a_full_shared_pool_gives_way_to_the_latest_buffers() -> None:
    """Buffers of other sources' shapes fill the shared pool; the next module's buffers replace the
    oldest, so its later calls find their own again (and the bound still holds)."""
    from adcalc.ops.codegen import compiled

    big = np.linspace(-1.5, 1.5, 2_700_000)  # three such buffers nearly fill the 2**23 elements
    for src in ("sum(exp(x) * x^2)", "sum((x - 1)^2 * 3)"):
        adcalc.compile(src).grad(big)
    pool = compiled._SHARED_POOL  # noqa: SLF001 - the policy under test
    assert sum(b.size for b in pool) > 2**23 - 4 * 99_999  # no room left for the next module's buffers
    c = adcalc.compile(VECTORISED)
    x = np.linspace(-1.5, 1.5, 100_000)
    c.grad(x)
    assert any(b.shape == (99_999,) for b in pool)  # its working arrays: x[1:] and x[:-1]'s shape
    assert len(pool) <= 8 and sum(b.size for b in pool) <= 2**23
    assert equal(c.grad(x)[0], adcalc.grad(VECTORISED, {"x": x}).gradient["x"])
