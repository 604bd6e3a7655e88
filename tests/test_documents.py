"""The worked examples of the seed documents, exactly (hand-derived truths)."""

from __future__ import annotations

import math

import pytest
from conftest import close

import adcalc
from adcalc.present.traces import definition, partial_of

MODES = ["forward", "reverse"]
RUNNING = "exp(2*x1) + x1*x2^2 + cos(x2)"


@pytest.mark.parametrize("mode", MODES)
def test_running_example_gradient(mode: str) -> None:
    # 001: dy/dx1 = 2e^{2x1} + x2^2, dy/dx2 = 2 x1 x2 - sin x2; at (1, 2): (2e²+4, 4 - sin 2)
    r = adcalc.grad(RUNNING, {"x1": 1.0, "x2": 2.0}, mode=mode)
    assert close(r.value, math.exp(2) + 4 + math.cos(2))
    assert close(r.gradient["x1"], 2 * math.e**2 + 4)
    assert close(r.gradient["x2"], 4 - math.sin(2))
    assert r.sweeps == (2 if mode == "forward" else 1)


def test_running_example_trace_matches_w1_to_w9() -> None:
    # 001 decomposes y into w1 = x1, w2 = x2, w3 = 2w1, exp(w3), w2^2, w1·(w2^2), cos w2 and two adds.
    r = adcalc.grad(RUNNING, {"x1": 1.0, "x2": 2.0}, trace=True)
    rows = r.trace.nodes
    assert len(rows) == 9
    assert [definition(row) for row in rows] == [
        "x1", "x2", "2·v1", "exp(v3)", "v2^2", "v1·v5", "cos(v2)", "v4 + v6", "v8 + v7"]
    x1, x2 = 1.0, 2.0
    values = [x1, x2, 2 * x1, math.exp(2 * x1), x2**2, x1 * x2**2, math.cos(x2),
              math.exp(2 * x1) + x1 * x2**2, math.exp(2 * x1) + x1 * x2**2 + math.cos(x2)]
    assert all(close(row.value, v) for row, v in zip(rows, values))
    # adjoints: ȳ = 1 flows to the adds, then w̄3 = e^{w3}, x̄1 = 2 w̄3 + w4, x̄2 = 2 x1 x2 - sin x2
    adjoints = [2 * math.e**2 + 4, 4 - math.sin(2), math.exp(2), 1, x1, 1, 1, 1, 1]
    assert all(close(row.adjoint, a) for row, a in zip(rows, adjoints)), [row.adjoint for row in rows]
    shown = [(u.target, u.source, partial_of(r.trace, u)[0]) for u in r.trace.updates]
    assert (2, 7, "-sin(v2)") in shown and (3, 4, "exp(v3)") in shown and (1, 3, "2") in shown


@pytest.mark.parametrize("mode", MODES)
def test_forward_auto_diff_program_of_000(mode: str) -> None:
    # 000: n7 = (x + 2y)^2 · sin(xy), with the document's own dn rules as the truth.
    x, y = 0.7, -1.3
    n3, n4 = x + 2 * y, x * y
    n5, n6 = n3**2, math.sin(n4)
    d_dx = n5 * math.cos(n4) * y + n6 * 2 * n3 * 1
    d_dy = n5 * math.cos(n4) * x + n6 * 2 * n3 * 2
    r = adcalc.grad("(x+2*y)^2*sin(x*y)", {"x": x, "y": y}, mode=mode)
    assert close(r.value, n5 * n6)
    assert close(r.gradient["x"], d_dx) and close(r.gradient["y"], d_dy)


def test_sin_x2_plus_1_forward_table_of_002() -> None:
    # 002's table: x | x | 1;  v1 = x^2 | 2x;  v2 = v1 + 1 | 2x;  y = sin v2 | cos(x^2+1)·2x
    x = 1.5
    r = adcalc.grad("sin(x^2+1)", {"x": x}, mode="forward", trace=True)
    rows = r.trace.nodes
    assert [definition(row) for row in rows] == ["x", "v1^2", "v2 + 1", "sin(v3)"]
    assert [row.tangent[0] for row in rows[:3]] == [1.0, 2 * x, 2 * x]
    assert close(rows[3].tangent[0], math.cos(x**2 + 1) * 2 * x)
    assert close(rows[3].value, math.sin(x**2 + 1))


def test_sin_x2_plus_1_reverse_sweep_of_002() -> None:
    # 002: ȳ = 1, v̄2 += ȳ cos(v2), v̄1 += v̄2, x̄ += v̄1 · 2x
    x = 1.5
    r = adcalc.grad("sin(x^2+1)", {"x": x}, trace=True)
    ups = r.trace.updates
    assert [(u.target, u.source, partial_of(r.trace, u)[0]) for u in ups] == [(3, 4, "cos(v3)"), (2, 3, "1"),
                                                                             (1, 2, "2·v1")]
    assert close(ups[0].contribution, math.cos(x**2 + 1))
    assert close(ups[-1].running, math.cos(x**2 + 1) * 2 * x)


@pytest.mark.parametrize("mode", MODES)
def test_nested_example_of_004(mode: str) -> None:
    # 004: f = sin(cos(x1 + x2))^2 + x3; ∂/∂x1 = ∂/∂x2 = 2 sin(cos s) cos(cos s) (-sin s), ∂/∂x3 = 1
    x1, x2, x3 = 0.4, 1.1, -2.0
    s = x1 + x2
    d = 2 * math.sin(math.cos(s)) * math.cos(math.cos(s)) * -math.sin(s)
    r = adcalc.grad("sin(cos(x1+x2))^2 + x3", {"x1": x1, "x2": x2, "x3": x3}, mode=mode)
    assert close(r.gradient["x1"], d) and close(r.gradient["x2"], d) and r.gradient["x3"] == 1.0


@pytest.mark.parametrize("mode", MODES)
def test_polynomial_of_004(mode: str) -> None:
    # 004: f = x^2 + 3x + 1, f'(2) = 7 exactly; the one-sided difference with δ = 0.01 gives 7.01
    r = adcalc.grad("x^2 + 3*x + 1", {"x": 2.0}, mode=mode)
    assert r.value == 11.0 and r.gradient["x"] == 7.0
    fd = (adcalc.evaluate("x^2 + 3*x + 1", {"x": 2.01}).value - 11.0) / 0.01
    assert abs(fd - 7.01) < 1e-9


PIECEWISE = """
def f(x):
    if x > 0:
        return x * x
    else:
        return -x
"""


@pytest.mark.parametrize("mode", MODES)
def test_piecewise_function_of_002(mode: str) -> None:
    r = adcalc.grad(PIECEWISE, {"x": 2.0}, mode=mode)
    assert (r.value, r.gradient["x"]) == (4.0, 4.0)
    r = adcalc.grad(PIECEWISE, {"x": -3.0}, mode=mode)
    assert (r.value, r.gradient["x"]) == (3.0, -1.0)
    assert not r.warnings


@pytest.mark.parametrize("mode", MODES)
def test_piecewise_at_the_tie_reports_the_branch_taken(mode: str) -> None:
    r = adcalc.grad(PIECEWISE, {"x": 0.0}, mode=mode)
    assert r.gradient["x"] == -1.0  # x > 0 is False at 0: the else branch runs
    (w,) = r.warnings
    assert w.kind == "kink" and w.span.line == 3 and "False" in w.message


def test_ir_reads_like_the_decomposition() -> None:
    from adcalc.language.ir import Eqn, format_instr

    program = adcalc.load("sin(x^2 + 1)").program
    eqns = [format_instr(i) for i in program.main.code if isinstance(i, Eqn)]
    assert eqns == ["v1 = pow(x, 2)", "v2 = add(v1, 1)", "v3 = sin(v2)"]
