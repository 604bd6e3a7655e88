"""Generated NumPy code for whole-array programs (issue #16: "Arrays").

The truth: the interpreter (eval, forward and reverse mode), which applies the same NumPy rules —
generated values, tangents and adjoints must equal its within ``NUMPY_VS_MATH_ULPS`` (a value the
interpreter computes with ``math`` on a number, generated code may compute with NumPy on a 0-d
operand); hand-derived gradients (Rosenbrock, least squares, broadcasting); and Python's own
behaviour for the module (it compiles, runs without adcalc, passes ruff, is the same bytes twice).
"""

from __future__ import annotations

import os
import py_compile
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric import NUMPY_VS_MATH_ULPS, ulp_close

import adcalc
from adcalc.errors import AdcalcError
from adcalc.ops.codegen.arrays import whole_arrays
from adcalc.ops.codegen.module import generate
from adcalc.ops.codegen.run import check, load_module

ROOT = Path(__file__).resolve().parent.parent
VECTORISED = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "300"})


def same(a: object, b: object) -> bool:
    """Equal within the NumPy-vs-math bound, element by element, shapes equal (nan equals nan)."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return np.shape(a) == np.shape(b) and ulp_close(a, b, NUMPY_VS_MATH_ULPS)


def agrees_everywhere(src: str, point: dict[str, object], seed: int = 0) -> None:
    """value, grad, jvp (a random direction) and vjp of ``adcalc.compile`` against the interpreter."""
    rng = np.random.default_rng(seed)
    c = adcalc.compile(src)
    xs = [point[n] for n in c.inputs]
    assert same(c.value(*xs), adcalc.evaluate(src, point).value)
    value, grads = c.value_and_grad(*xs)
    want = adcalc.grad(src, point)
    assert same(value, want.value)
    for n, g in zip(c.inputs, grads):
        assert same(g, want.gradient[n]), (n, g, want.gradient[n])
    direction = {n: rng.standard_normal(np.shape(point[n])) if np.ndim(point[n]) else float(rng.standard_normal())
                 for n in c.inputs}
    _, tangent = c.jvp(xs, [direction[n] for n in c.inputs])
    assert same(tangent, adcalc.jvp(src, point, direction).tangent)
    w = float(rng.standard_normal())
    _, bars = c.vjp(xs, w)
    back = adcalc.vjp(src, point, [w]).cotangent_result
    for n, b in zip(c.inputs, bars):
        assert same(b, back[n]), (n, b, back[n])


# ---- the samples ------------------------------------------------------------------------------

def _whole_samples() -> list[tuple[str, list[str]]]:
    out = []
    for path in sorted((ROOT / "samples").glob("*.ad")):
        text = path.read_text(encoding="utf-8")
        program = adcalc.load(text).program
        if not whole_arrays(program):
            continue
        try:
            generate(program)
        except AdcalcError:
            continue
        ats = [re.split(r",\s+(?=[A-Za-z_]\w*=)", a) for a in re.findall(r"^# @at (.*)$", text, re.M)]
        out.extend((path.name, at) for at in ats)
    return out


SAMPLES = _whole_samples()


def test_the_straight_line_array_samples_are_all_generated() -> None:
    names = {name for name, _ in SAMPLES}
    assert {"rosenbrock_vector.ad", "bias_broadcast.ad", "least_squares.ad", "quadratic_form.ad",
            "softmax_cross_entropy.ad"} <= names, names


@pytest.mark.parametrize(("name", "at"), SAMPLES, ids=[f"{n}@{i}" for i, (n, _) in enumerate(SAMPLES)])
def test_every_array_sample_checks_against_the_interpreter(name: str, at: list[str]) -> None:
    args = [a for part in at for a in ("--at", part)]
    r = run_cli("codegen", str(ROOT / "samples" / name), "--check", *args)
    assert r.returncode == 0 and "agrees with the interpreter" in r.stdout, r.stderr
    from adcalc.front.cli import point_of  # the CLI's own reading of the same --at text

    agrees_everywhere((ROOT / "samples" / name).read_text(encoding="utf-8"), point_of(at))


# ---- hand-derived truths ----------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 5, 1000])
def test_vectorised_rosenbrock_gradient_is_the_formula(n: int) -> None:
    x = np.linspace(-1.3, 1.7, n)
    value, (g,) = adcalc.compile(VECTORISED).value_and_grad(x)
    a = x[1:] - x[:-1] ** 2
    want = np.zeros(n)
    want[:-1] = -400 * x[:-1] * a - 2 * (1 - x[:-1])
    want[1:] += 200 * a
    assert value == pytest.approx(float(np.sum(100 * a**2 + (1 - x[:-1]) ** 2)), rel=1e-13)
    assert g.shape == x.shape and np.allclose(g, want, rtol=1e-12, atol=1e-9)


def test_least_squares_gradients_are_the_normal_equations() -> None:
    src = "def loss(A, w, b):\n    r = A @ w - b\n    return 0.5 * sum(r^2)"
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    w, b = np.array([0.5, -1.0]), np.array([1.0, 0.0, 2.0])
    r = A @ w - b  # small integers and halves: every step is exact
    _, (gA, gw, gb) = adcalc.compile(src).value_and_grad(A, w, b)
    assert np.array_equal(gA, np.outer(r, w)) and np.array_equal(gw, A.T @ r) and np.array_equal(gb, -r)


def test_a_broadcast_argument_gets_its_cotangent_summed_over_the_broadcast_axes() -> None:
    src = "def f(A, b, c, W):\n    return sum(W * (A + b) * c)"
    A = np.arange(6.0).reshape(2, 3)
    b = np.array([[10.0], [20.0]])  # (2, 1): broadcast along the columns
    W = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])
    _, (gA, gb, gc, gW) = adcalc.compile(src).value_and_grad(A, b, 2.0, W)
    assert np.array_equal(gA, 2 * W) and np.array_equal(gW, 2 * (A + b))
    assert gb.shape == (2, 1) and np.array_equal(gb, 2 * W.sum(axis=1, keepdims=True))
    assert gc == float(np.sum(W * (A + b)))


def test_the_zero_rule_holds_where_a_partial_is_infinite() -> None:
    """(x > 0)·sqrt(x) at x = 0: the cotangent of sqrt is 0 and its partial +inf; 0·inf counts as
    0 (the interpreter's mul0), so the fast sweep's nan makes the exact sweep run."""
    src = "sum((x > 0) * sqrt(x))"
    x = np.array([0.0, 4.0, 9.0])
    _, (g,) = adcalc.compile(src).value_and_grad(x)
    assert g.tolist() == [0.0, 0.25, 1 / 6] and "_f_vjp_exact" in adcalc.compile(src).code
    _, t = adcalc.compile(src).jvp([x], [np.array([1.0, 1.0, 0.0])])
    assert t == 0.25
    agrees_everywhere(src, {"x": x})


def test_slices_indices_literals_and_index_assignment() -> None:
    src = ("def f(x, a):\n    y = [a, a * x[0], sum(x[1:3])]\n    y[1] = a^2\n    z = y * x[-3:]\n"
           "    return dot(z, x[::-1][:3]) + max(x) - mean(transpose([x, 2 * x])[1])")
    x = np.array([0.5, -1.25, 2.0, 3.0])
    agrees_everywhere(src, {"x": x, "a": 1.5})
    c = adcalc.compile(src)
    h = 1e-6  # and a central difference (a smooth point: no ties in max)
    (_, (gx, ga)) = c.value_and_grad(x, 1.5)
    fd = (c.value(x, 1.5 + h) - c.value(x, 1.5 - h)) / (2 * h)
    assert abs(ga - fd) <= 1e-6 * max(1.0, abs(fd))


def test_matrices_norm_prod_reductions_along_axes() -> None:
    src = ("def f(A, v):\n    B = A @ transpose(A) + 1\n    return norm(B @ v) + sum(prod(A, axis=1))"
           " + sum(max(A, axis=0)) * min(v) + sum(exp(-A) / (1 + A^2), axis=0)[1]")
    A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    agrees_everywhere(src, {"A": A, "v": np.array([1.0, -2.0])})


def test_vector_outputs_and_numbers_only() -> None:
    src = "def f(x, s):\n    return [sum(x * s), x[0] * s^2]"
    c = adcalc.compile(src)
    x = np.array([1.0, 2.0, 3.0])
    assert c.value(x, 2.0) == [12.0, 4.0]
    _, t = c.jvp([x, 2.0], [np.zeros(3), 1.0])
    assert t == [6.0, 4.0]
    _, (gx, gs) = c.vjp([x, 2.0], [1.0, 1.0])
    assert gx.tolist() == [2.0 + 4.0, 2.0, 2.0] and gs == 6.0 + 2 * 1.0 * 2.0  # s, plus s² at x[0]; Σx + 2·x0·s


# ---- loops, ifs, calls ------------------------------------------------------------------------

FLOW = [
    ("def cumsum(v):\n    s = zeros(len(v))\n    acc = 0\n    for i in range(len(v)):\n        acc += v[i]\n"
     "        s[i] = acc\n    return s\ndef f(x, w):\n    return sum(w * cumsum(x))",
     {"x": np.array([1.0, 2.0, 3.0]), "w": np.array([0.5, -1.0, 2.0])}),
    ("def f(x):\n    s = 0\n    while norm(x) > 1:\n        x = x * 0.5\n        s = s + 1\n    return sum(x^3) + s",
     {"x": np.array([3.0, 4.0])}),
    ("def g(v, k):\n    if k <= 0:\n        return v\n    return g(v * 2 + sin(v), k - 1)\n"
     "def f(x):\n    return sum(g(x, 3)^2)", {"x": np.array([0.5, -1.0])}),
    ("def f(A, x):\n    y = x\n    for i in range(3):\n        y = tanh(A @ y)\n        if sum(y) > 0:\n"
     "            y = y * 2\n        else:\n            y = y - 1\n    return dot(y, y)",
     {"A": np.array([[0.5, -0.2], [0.1, 0.3]]), "x": np.array([1.0, 2.0])}),
    ("def f(x):\n    y = x\n    z = y\n    for v in x:\n        z = z + v * y\n    return sum(z * y)",
     {"x": np.array([0.5, -1.0, 2.0])}),
    ("def h(a, b):\n    return a * b, sum(a)\ndef f(x, s):\n    p, q = h(x, s)\n    r, t = h(p, x)\n"
     "    return sum(r) + q * t", {"x": np.array([0.5, -1.0, 2.0]), "s": 1.5}),
    # the same array overwritten element by element: each old value pushed, restored on the way back
    ("def f(x):\n    y = x * 1\n    for i in range(len(x) - 1):\n        y[i] = y[i] * y[i + 1] + y[-1]\n"
     "    return sum(y * x)", {"x": np.array([0.5, -1.5, 2.0, 0.75])}),
]


@pytest.mark.parametrize(("src", "point"), FLOW, ids=[f"flow{k}" for k in range(len(FLOW))])
def test_loops_ifs_and_calls_over_arrays_match_the_interpreter(src: str, point: dict[str, object]) -> None:
    assert check(src, generate(adcalc.load(src).program), point) == []
    agrees_everywhere(src, point)


def test_the_cumulative_sum_loop_has_the_hand_derived_gradient() -> None:
    _, (gx, gw) = adcalc.compile(FLOW[0][0]).value_and_grad(np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0]))
    assert gx.tolist() == [0.5 - 1.0 + 2.0, -1.0 + 2.0, 2.0] and gw.tolist() == [1.0, 1.0 + 2.0, 1.0 + 2.0 + 3.0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_the_fuzzers_random_array_programs_match_the_interpreter(seed: int) -> None:
    """tests/fuzz_inputs.py's array programs (hypothesis draws the seed): literals, a matrix, @,
    transpose, reductions along axes, and a loop assigning v[i]."""
    import random

    from fuzz_inputs import random_array_program

    rng = random.Random(seed)
    src = random_array_program(rng)
    values = {"x": rng.uniform(-2, 2), "y": rng.uniform(-2, 2)}
    point = {n: values[n] for n in adcalc.load(src).program.inputs}  # a program may use only one of them
    assert check(src, generate(adcalc.load(src).program), point) == []
    agrees_everywhere(src, point, seed)


def test_an_array_loop_that_never_ends_is_a_limit_error() -> None:
    c = adcalc.compile("def f(x):\n    while sum(x) > 0:\n        x = x + 1\n    return sum(x)", max_steps=1000)
    with pytest.raises(AdcalcError, match="1,000 loop iterations"):
        c.grad(np.ones(2))


# ---- random programs --------------------------------------------------------------------------

_UNARY = ["sin", "cos", "exp", "tanh", "abs", "sigmoid", "softplus", "atan", "log1p"]


@st.composite
def array_programs(draw):  # noqa: ANN201 - a hypothesis strategy
    """A straight-line program over a vector x, a matrix A (2×len(x)) and a number s: elementwise
    functions, broadcasting, slices, reductions (with and without axis), @, transpose and norm."""
    terms = ["x", "s * x", "A[0]", "A[1, :]", "x[::-1]", "sum(A, axis=0)", "transpose(A)[:, 1]", "A[-1] - x"]
    lines = []
    for k in range(draw(st.integers(1, 4))):
        a = draw(st.sampled_from(terms))
        b = draw(st.sampled_from(terms + ["s", "1.5", "x^2"]))
        op = draw(st.sampled_from(["+", "-", "*"]))
        f = draw(st.sampled_from(_UNARY))
        lines.append(f"    t{k} = {f}({a}) {op} {b}")
        terms.append(f"t{k}")
    last = terms[-1]
    reduce = draw(st.sampled_from([f"sum({last})", f"mean({last}^2)", f"norm({last})", f"max({last})",
                                   f"dot({last}, x)", f"sum(A @ {last})", f"prod({last} * 0.5)"]))
    return "def f(x, A, s):\n" + "\n".join(lines) + f"\n    return {reduce} * s"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(src=array_programs(), seed=st.integers(0, 2**16), n=st.integers(2, 5))
def test_random_array_programs_match_the_interpreter(src: str, seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    point = {"x": rng.uniform(-2, 2, n), "A": rng.uniform(-2, 2, (2, n)), "s": float(rng.uniform(0.5, 2))}
    agrees_everywhere(src, point, seed)
    # the whole Jacobian (one row: a scalar output), column by column from the generated forward
    # code against the interpreter's forward mode along the same unit directions, and at once from
    # the generated reverse code against the interpreter's reverse-mode Jacobian (same operations
    # in each pair; the two modes' agreement with each other is the interpreter's, within the
    # policy's 2·γ(M)·S — its k-direction batches may sum in another order, so not compared here)
    c = adcalc.compile(src)
    xs = [point[k] for k in c.inputs]
    _, bars = c.vjp(xs, 1.0)
    for j, name in enumerate(c.inputs):
        for flat in range(int(np.size(point[name]))):
            d = [np.zeros(np.shape(point[k])) if np.ndim(point[k]) else 0.0 for k in c.inputs]
            if np.ndim(point[name]):
                d[j].flat[flat] = 1.0  # type: ignore[union-attr]
            else:
                d[j] = 1.0
            want = adcalc.jvp(src, point, dict(zip(c.inputs, d))).tangent
            assert same(c.jvp(xs, d)[1], want), (name, flat)
    reverse_row = np.concatenate([np.ravel(b) for b in bars])
    assert same(reverse_row, np.array(adcalc.jacobian(src, point, mode="reverse").jacobian[0]))


# ---- the module -------------------------------------------------------------------------------

def test_the_module_runs_without_adcalc_compiles_and_passes_ruff(tmp_path: Path) -> None:
    out = tmp_path / "vec_ad.py"
    r = run_cli("codegen", VECTORISED, "-o", str(out), "--check", "--at", "x=[0.5,1.2,-0.3,2]")
    assert r.returncode == 0 and "agrees" in r.stdout, r.stderr
    text = out.read_text(encoding="utf-8")
    assert re.findall(r"^import (\w+)", text, re.M) == ["numpy"] and "adcalc" not in text.split('"""', 2)[2]
    py_compile.compile(str(out), doraise=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import sys; sys.path.insert(0, '.'); import numpy as np, vec_ad; "
            "print(vec_ad.f_grad(np.array([0.5, 1.2, -0.3, 2.0]))[1][0].tolist()); print('adcalc' in sys.modules)")
    run = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    want = adcalc.grad(VECTORISED, {"x": np.array([0.5, 1.2, -0.3, 2.0])}).gradient["x"].tolist()
    assert run.stdout.splitlines() == [repr(want), "False"]
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout
    again = run_cli("codegen", VECTORISED)
    assert again.stdout.rstrip("\n") == text.rstrip("\n")  # the same source: the same bytes


def test_threads_share_a_compiled_array_function() -> None:
    c = adcalc.compile(VECTORISED)
    xs = [np.linspace(-1, 1, 50) * (k + 1) for k in range(8)]
    want = [adcalc.grad(VECTORISED, {"x": x}).gradient["x"] for x in xs]
    got: list[object] = [None] * len(xs)

    def work(k: int) -> None:
        for _ in range(20):
            got[k] = c.grad(xs[k])[0]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(same(g, w) for g, w in zip(got, want))


def test_scipy_function_uses_the_compiled_array_code() -> None:
    f = adcalc.function(VECTORISED)
    x = np.linspace(-1.0, 2.0, 7)
    f(x)
    assert f._compiled() is not None
    a = x[1:] - x[:-1] ** 2
    want = np.zeros(7)
    want[:-1] = -400 * x[:-1] * a - 2 * (1 - x[:-1])
    want[1:] += 200 * a
    assert np.allclose(f.grad(x), want, rtol=1e-13, atol=1e-10)


# ---- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "text"), [
    (lambda c: c.value(3.0), "must be an array"),
    (lambda c: c.value("abc"), "array of numbers"),
    (lambda c: c.jvp([np.ones(3)], [np.ones(2)]), "input's shape"),
    (lambda c: c.hvp([np.ones(3)], [np.ones(2)]), "input's shape"),
])
def test_bad_arguments_are_adcalc_errors(call: object, text: str) -> None:
    with pytest.raises(AdcalcError, match=text):
        call(adcalc.compile(VECTORISED))  # type: ignore[operator]


def test_what_is_refused_is_named_without_a_traceback() -> None:
    r = run_cli("codegen", VECTORISED, "--check", "--at", "x=5")
    assert r.returncode == 1 and "only arrays can be indexed" in r.stderr and "^" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli("codegen", "sum(x @ x)", "--check", "--at", "x=[[1,2,3]]")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "error" in r.stderr, r.stderr
    assert check(VECTORISED, generate(adcalc.load(VECTORISED).program), {"x": np.array([1.0, 2.0])}) == []
    assert load_module(generate(adcalc.load(VECTORISED).program))["N_OUTPUTS"] == 1


# ---- the traced rules and the helpers, against the registry -----------------------------------

def _elementwise() -> list[str]:
    from adcalc.rules.registry import REGISTRY

    return sorted(n for n, p in REGISTRY.items() if p.elementwise)


@pytest.mark.parametrize("name", _elementwise())
def test_traced_array_rules_are_the_registrys_on_arrays(name: str) -> None:
    """Each elementwise primitive's traced value and partials, run on arrays, give exactly what the
    registry's array rule and array partials give (the same NumPy calls)."""
    from adcalc.ops.codegen import arrayrules as R
    from adcalc.rules.registry import REGISTRY, array_rule

    p = REGISTRY[name]
    rng = np.random.default_rng(7)
    arrays = [np.concatenate([rng.uniform(-3, 3, 12), [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5]])
              for _ in range(p.arity)]
    arrays = [np.roll(a, k) for k, a in enumerate(arrays)]  # every pair of specials meets somewhere
    names = [f"a{k}" for k in range(p.arity)]
    value = R.elementwise_value(name, names)  # erf, erfc: np.vectorize(math.erf), the rule written out
    env = {"np": np, **dict(zip(names, arrays))}
    import math

    env["math"] = math
    with np.errstate(all="ignore"):
        got = eval(value, env)  # noqa: S307 - the generator's own NumPy text over the test's arrays
        assert ulp_close(got, array_rule(p)(*arrays), 0), name
        rules = p.array_partials or p.partials
        for i in range(p.arity):
            text = R.elementwise_partial(name, i, names)
            got = text if isinstance(text, float) else eval(text, env)  # noqa: S307 - as above
            want = rules[i](*arrays)
            assert ulp_close(np.broadcast_to(got, arrays[0].shape), np.broadcast_to(want, arrays[0].shape), 0), \
                (name, i, text)


def test_the_helpers_are_the_rules_helpers() -> None:
    from adcalc.ops.codegen import arrayhelpers as H
    from adcalc.rules import shapes

    rng = np.random.default_rng(3)
    g = rng.standard_normal((4, 3))
    for shape in [(4, 3), (3,), (1, 3), (4, 1), (), (1,)]:
        assert np.array_equal(H._a_unbroadcast(g, shape), shapes.unbroadcast(g, shape))
    p = np.array([0.0, np.inf, 2.0, np.nan, 0.0])
    t = np.array([np.inf, 0.0, 3.0, 0.0, 1.0])
    with np.errstate(all="ignore"):  # as inside a generated entry point
        assert ulp_close(H._a_mul0(p, t), shapes.mul0(p, t), 0) and ulp_close(H._a_mul0(t, p), shapes.mul0(t, p), 0)
        for a in [np.ones(3), np.array([1.0, np.inf]), np.array([np.nan]), np.array([1e308, 1e308])]:
            assert H._a_finite(a) == shapes.all_finite(a)
    assert H._a_sc(np.float64(2.5)) == shapes.scalar_result(np.float64(2.5)) and type(H._a_sc(np.sum(g))) is float


def test_check_lets_numpy_stand_for_math_within_the_bound() -> None:
    """``a`` may be an array, so the module computes exp(a) with NumPy where the interpreter, given
    a number, calls math.exp: --check allows the policy's 8 ulps, and this point passes."""
    src = "def f(x, a):\n    return sum(x * exp(a)) + sin(a) * tanh(a)"
    text = generate(adcalc.load(src).program)
    assert "np.exp(a)" in text and "np.sin(a)" in text
    for a in (0.7, -3.25, 11.5):
        assert check(src, text, {"x": np.array([1.0, -2.0, 0.5]), "a": a}) == []


def test_a_program_of_numbers_given_arrays_runs_as_numpy_code() -> None:
    """No array operation in the text, arrays at run time: the interpreter broadcasts, and so do
    the compiled functions (they switch to the NumPy module) and --check (it generates it)."""
    src = "def f(x, s):\n    y = x\n    for i in range(2):\n        y = y * x + s\n    return y"
    c = adcalc.compile(src)
    assert c.value(1.5, 2.0) == (1.5 * 1.5 + 2.0) * 1.5 + 2.0  # numbers: the scalar module, exact
    x = np.array([1.0, 2.0, -0.5])
    assert same(c.value(x, 2.0), adcalc.evaluate(src, {"x": x, "s": 2.0}).value)
    _, t = c.jvp([x, 2.0], [np.ones(3), 0.5])
    assert same(t, adcalc.jvp(src, {"x": x, "s": 2.0}, {"x": np.ones(3), "s": 0.5}).tangent)
    _, (gx, gs) = c.vjp([x, 2.0], 1.0)  # one weight for the array output: every entry weighted 1
    back = adcalc.vjp(src, {"x": x, "s": 2.0}, [1.0, 1.0, 1.0]).cotangent_result
    assert same(gx, back["x"]) and same(gs, back["s"])
    assert gx.tolist() == (3 * x**2 + 2.0).tolist()  # d/dx (x³ + s·x + s) = 3x² + s, exact here
    r = run_cli("codegen", src, "--check", "--at", "x=[1,2,-0.5]", "--at", "s=2")
    assert r.returncode == 0 and "agrees" in r.stdout and "import numpy as np" in r.stdout, r.stderr


@pytest.mark.parametrize("smuggled", [
    "import os",
    "def f(x):\n    return open('/etc/passwd')",
    "def f(x):\n    with open('/etc/passwd') as h:\n        return h",
    "def f(x):\n    return np.load('/tmp/x.npy', allow_pickle=True)",
    "def f(x):\n    return x.__class__",
    "class A:\n    pass",
])
def test_a_numpy_module_still_runs_nothing_but_what_the_generator_writes(smuggled: str) -> None:
    """The safety check of generated code lets a whole-array module call NumPy's ufuncs, a few
    NumPy functions and enter np.errstate — nothing else."""
    text = "import numpy as np\n\n\n" + smuggled + "\n"
    with pytest.raises(ValueError, match="top level|uses|imports|defines"):  # safety.check_module's refusal
        load_module(text)


def test_the_copied_rules_call_no_type() -> None:
    """``type`` can build a class, so a generated module may not call it: the copied mul0's
    ``type(c) is float`` becomes the same test with isinstance (np.float64 is a float subclass)."""
    from adcalc.ops.codegen.arrayrules import copied

    text = copied({"_r_extreme_vjp", "_r_prod_jvp", "_r_norm_vjp", "_r_matmul_vjp"})
    assert "type(" not in text and "isinstance(c, float) and (not isinstance(c, np.generic))" in text
    with pytest.raises(ValueError, match="uses"):
        load_module("import numpy as np\n\n\ndef f(x):\n    return type('A', (), {})\n")
