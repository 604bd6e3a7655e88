"""Programs: loops, early return, elif chains, recursion, reuse — against closed forms."""

from __future__ import annotations

import math

import pytest
from conftest import close

import adcalc
from adcalc import AdcalcError
from adcalc.present.traces import context_text

MODES = ["forward", "reverse"]


def both(source: str, point: dict) -> tuple[adcalc.GradResult, adcalc.GradResult]:
    return adcalc.grad(source, point, mode="forward"), adcalc.grad(source, point, mode="reverse")


@pytest.mark.parametrize("mode", MODES)
def test_for_loop_power_by_repeated_multiplication(mode: str) -> None:
    src = """
p = 1
for i in range(n):
    p *= x
return p
"""
    r = adcalc.grad(src, {"x": 1.3, "n": 7.0}, mode=mode)
    assert close(r.value, 1.3**7) and close(r.gradient["x"], 7 * 1.3**6)
    assert r.gradient["n"] == 0.0  # a trip count has no derivative


@pytest.mark.parametrize("mode", MODES)
def test_newton_square_root_while_loop(mode: str) -> None:
    src = """
y = a
while abs(y*y - a) > 1e-12 * a:
    y = (y + a/y) / 2
return y
"""
    r = adcalc.grad(src, {"a": 2.0}, mode=mode)
    assert close(r.value, math.sqrt(2.0)) and close(r.gradient["a"], 0.5 / math.sqrt(2.0), rel=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_range_with_start_stop_step(mode: str) -> None:
    src = """
s = 0
for k in range(10, 1, -3):
    s += k * x
return s
"""
    r = adcalc.grad(src, {"x": 2.0}, mode=mode)
    assert r.gradient["x"] == 10 + 7 + 4 and r.value == 2.0 * 21


@pytest.mark.parametrize("mode", MODES)
def test_early_return_and_elif_chain(mode: str) -> None:
    src = """
def g(x):
    if x < -1:
        return -x
    elif x < 0:
        return x * x
    elif x < 1:
        return sin(x)
    else:
        return exp(x)
    return 0
"""
    for x, value, slope in [(-2.0, 2.0, -1.0), (-0.5, 0.25, -1.0), (0.5, math.sin(0.5), math.cos(0.5)),
                            (2.0, math.exp(2.0), math.exp(2.0))]:
        r = adcalc.grad(src, {"x": x}, mode=mode)
        assert close(r.value, value) and close(r.gradient["x"], slope)


@pytest.mark.parametrize("mode", MODES)
def test_recursion(mode: str) -> None:
    src = """
def p(x, n):
    if n == 0:
        return 1
    return x * p(x, n - 1)

def main(x):
    return p(x, 5)
"""
    r = adcalc.grad(src, {"x": 1.5}, mode=mode)
    assert close(r.value, 1.5**5) and close(r.gradient["x"], 5 * 1.5**4)


@pytest.mark.parametrize("mode", MODES)
def test_variable_reused_many_times(mode: str) -> None:
    # y = x·x·…·x·x (x used 50 times) → 50 x^49; and a value used twice gets both contributions
    src = "t = x\nfor i in range(49):\n    t = t * x\nreturn t + t"
    r = adcalc.grad(src, {"x": 1.01}, mode=mode)
    assert close(r.gradient["x"], 2 * 50 * 1.01**49)


def test_reverse_sweep_twice_does_not_double() -> None:
    from adcalc.transform.reverse import ReverseMode

    loaded = adcalc.load("x*x + x")
    from adcalc.transform.interpreter import run

    mode = ReverseMode()
    outs = run(loaded.compiled, mode, [mode.input(0, "x", 3.0)])
    first = mode.gradient(outs, [1.0])[0]
    second = mode.gradient(outs, [1.0])[0]
    assert first == second == 7.0


@pytest.mark.parametrize("mode", MODES)
def test_break_continue_and_nested_loops(mode: str) -> None:
    src = """
s = 0
for i in range(5):
    if i == 1:
        continue
    for j in range(5):
        if j > i:
            break
        s += x^j
return s
"""
    # i in {0,2,3,4}; j from 0..i  → Σ_i Σ_{j≤i} x^j
    x = 1.1
    js = [j for i in (0, 2, 3, 4) for j in range(i + 1)]
    r = adcalc.grad(src, {"x": x}, mode=mode)
    assert close(r.value, sum(x**j for j in js))
    assert close(r.gradient["x"], sum(j * x ** (j - 1) for j in js if j))


@pytest.mark.parametrize("mode", MODES)
def test_multiple_assignment_swap_and_vector_returning_function(mode: str) -> None:
    src = """
def polar(r, t):
    return r * cos(t), r * sin(t)

a, b = polar(r, t)
a, b = b, a
return a * 2 + b
"""
    r, t = 2.0, 0.3
    g = adcalc.grad(src, {"r": r, "t": t}, mode=mode).gradient
    # value = 2 r sin t + r cos t
    assert close(g["r"], 2 * math.sin(t) + math.cos(t))
    assert close(g["t"], 2 * r * math.cos(t) - r * math.sin(t))


def test_vector_output_jacobian_both_modes() -> None:
    src = "def arm(a, b):\n    return cos(a) + cos(a + b), sin(a) + sin(a + b)\n"
    a, b = 0.3, 0.9
    truth = [[-math.sin(a) - math.sin(a + b), -math.sin(a + b)], [math.cos(a) + math.cos(a + b), math.cos(a + b)]]
    for mode in MODES:
        j = adcalc.jacobian(src, {"a": a, "b": b}, mode=mode)
        assert j.mode == mode
        assert all(close(j.jacobian[i][k], truth[i][k]) for i in range(2) for k in range(2))
    auto = adcalc.jacobian(src, {"a": a, "b": b})
    assert auto.mode == "forward" and auto.sweeps == 2


def test_jacobian_picks_reverse_for_many_inputs() -> None:
    j = adcalc.jacobian("[x + y + z, x * y * z]", {"x": 1.0, "y": 2.0, "z": 3.0})
    assert j.mode == "reverse" and j.sweeps == 2
    assert j.jacobian == [[1.0, 1.0, 1.0], [6.0, 3.0, 2.0]]


def test_jvp_and_vjp_satisfy_the_dot_product_identity() -> None:
    src = "[x*y + sin(z), exp(x) - z^2, x/y]"
    pt = {"x": 0.3, "y": 1.7, "z": -0.4}
    v = {"x": 0.5, "y": -1.0, "z": 2.0}
    w = [1.5, -0.25, 3.0]
    jv = adcalc.jvp(src, pt, v).tangent
    wj = adcalc.vjp(src, pt, w).cotangent_result
    assert close(sum(a * b for a, b in zip(jv, w)), sum(wj[n] * v[n] for n in pt))


def test_function_only_file_means_the_last_function() -> None:
    src = "def sq(x):\n    return x*x\n\ndef f(a, b):\n    return sq(a) * b\n"
    loaded = adcalc.load(src)
    assert loaded.inputs == ("a", "b")
    assert adcalc.grad(src, {"a": 3.0, "b": 2.0}).gradient == {"a": 12.0, "b": 9.0}


def test_inputs_follow_the_point_order_and_unused_binding_warns() -> None:
    r = adcalc.grad("x*y", {"y": 2.0, "x": 3.0, "zz": 1.0})
    assert list(r.gradient) == ["y", "x", "zz"] and r.gradient == {"y": 3.0, "x": 2.0, "zz": 0.0}
    assert [w.kind for w in r.warnings] == ["unused"] and "zz" in r.warnings[0].message


def test_program_reading_an_input_then_reassigning_it() -> None:
    r = adcalc.grad("x = x / 2\nreturn x * x", {"x": 3.0})
    assert r.gradient["x"] == 1.5  # (x/2)^2 → x/2


def test_trace_context_shows_loop_iteration_and_call() -> None:
    src = "def sq(t):\n    return t*t\ns = 0\nfor i in range(2):\n    s += sq(x)\nreturn s"
    r = adcalc.grad(src, {"x": 2.0}, trace=True)
    contexts = [context_text(row.context) for row in r.trace.nodes if row.op == "mul"]
    assert contexts == ["sq#1", "sq#2"]
    adds = [context_text(row.context) for row in r.trace.nodes if row.op == "add"]
    assert adds == ["i=0", "i=1"]


def test_function_without_return_on_some_path_is_an_error() -> None:
    src = "def f(x):\n    if x > 0:\n        return x\n    y = 1\n"
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate(src, {"x": -1.0})
    assert e.value.kind == "type" and "without a return" in e.value.message


def test_variable_unbound_on_the_path_taken() -> None:
    src = "if x > 0:\n    y = 1\nreturn y * x"
    assert adcalc.evaluate(src, {"x": 2.0}).value == 2.0
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate(src, {"x": -2.0})
    assert e.value.kind == "name" and "'y'" in e.value.message and e.value.span.line == 3


def test_python_api_works_as_a_scipy_style_jacobian() -> None:
    f = adcalc.function("100*(y - x^2)^2 + (1 - x)^2", inputs=["x", "y"])
    assert f([1.0, 1.0]) == 0.0
    assert f.grad([1.0, 1.0]).tolist() == [0.0, 0.0]
    x, y = -1.2, 1.0
    assert close(f.grad([x, y])[0], -400 * x * (y - x * x) - 2 * (1 - x))
