"""Hessians, Hessian-vector products, Taylor-mode derivatives, one-sided kink reports, check."""

from __future__ import annotations

import json
import math

import mpmath as mp
import pytest
from conftest import close
from test_primitives import ROWS

import adcalc
from adcalc.front.cli import main
from adcalc.ops import higher
from adcalc.ops.checks import check
from adcalc.present.traces import definition
from adcalc.rules.registry import REGISTRY

RUNNING = "exp(2*x1) + x1*x2^2 + cos(x2)"


# ---- Hessian -----------------------------------------------------------------------------------

def test_hessian_of_the_running_example_is_the_hand_derived_one() -> None:
    r = higher.hessian(RUNNING, {"x1": 1.0, "x2": 2.0})
    # f_x1x1 = 4e^{2x1}, f_x1x2 = 2x2, f_x2x2 = 2x1 - cos x2
    want = [[4 * math.exp(2), 4.0], [4.0, 2 - math.cos(2)]]
    assert all(close(r.hessian[i][j], want[i][j]) for i in range(2) for j in range(2))
    assert close(r.gradient["x1"], 2 * math.e**2 + 4) and r.asymmetry == 0.0


def test_hessian_of_rosenbrock_in_point_order() -> None:
    x, y = -1.2, 1.0
    r = higher.hessian("100*(y - x^2)^2 + (1 - x)^2", {"y": y, "x": x})
    hxx = 1200 * x * x - 400 * y + 2
    hxy = -400 * x
    assert r.inputs == ["y", "x"]
    assert r.hessian == [[200.0, hxy], [hxy, pytest.approx(hxx, rel=1e-14)]]


def test_hessian_through_a_program_with_loops_and_calls() -> None:
    src = "def sq(t):\n    return t * t\ns = 0\nfor i in range(3):\n    s += sq(x * y) / (i + 1)\nreturn s"
    x, y = 0.7, 1.3
    c = 1 + 1 / 2 + 1 / 3  # s = c·x²y²
    r = higher.hessian(src, {"x": x, "y": y})
    want = [[2 * c * y * y, 4 * c * x * y], [4 * c * x * y, 2 * c * x * x]]
    assert all(close(r.hessian[i][j], want[i][j]) for i in range(2) for j in range(2))


@pytest.mark.parametrize("name", [n for n, row in ROWS.items() if row[1]])
def test_hessian_of_every_primitive_against_mpmath(name: str) -> None:
    f, src, pts = ROWS[name]
    pt = pts[0]
    names = ["y", "x"] if name == "atan2" else {1: ["x"], 2: ["x", "y"], 3: ["c", "x", "y"]}[len(pt)]
    r = higher.hessian(src, dict(zip(names, pt)))
    mp.mp.dps = 40
    for i in range(len(pt)):
        for j in range(len(pt)):
            order = [0] * len(pt)
            order[i] += 1
            order[j] += 1
            want = float(mp.diff(f, tuple(mp.mpf(v) for v in pt), tuple(order)))
            assert close(r.hessian[i][j], want, rel=1e-9, abs_=1e-12), (i, j, r.hessian[i][j], want)


def test_hvp_matches_the_hessian_and_never_forms_it(monkeypatch) -> None:
    widths = []
    real_input = higher.BoxedReverseMode.input

    def spy(self, index, name, value):
        widths.append(len(value.tangent))
        return real_input(self, index, name, value)

    src = "x^2*y + sin(x*z) + exp(y - z)"
    pt = {"x": 0.4, "y": -0.3, "z": 1.1}
    v = {"x": 1.0, "y": -2.0, "z": 0.5}
    h = higher.hessian(src, pt).hessian
    monkeypatch.setattr(higher.BoxedReverseMode, "input", spy)
    r = higher.hvp(src, pt, v)
    assert widths == [1, 1, 1]  # one tangent per input, not n
    want = [sum(h[i][j] * list(v.values())[j] for j in range(3)) for i in range(3)]
    assert all(close(r.hvp[n], want[i], rel=1e-12) for i, n in enumerate(pt))


# ---- Taylor mode ------------------------------------------------------------------------------

def test_tenth_derivative_of_exp_2x_and_the_sine_pattern() -> None:
    assert higher.deriv("exp(2*x)", {"x": 0.0}, order=10).derivatives == [2.0**k for k in range(1, 11)]
    d = higher.deriv("sin(x)", {"x": 0.0}, order=10).derivatives
    assert d == [0.0 if k % 2 == 0 else (1.0 if k % 4 == 1 else -1.0) for k in range(1, 11)]


@pytest.mark.parametrize("name", [n for n, row in ROWS.items() if row[1]])
def test_taylor_derivatives_to_order_10_against_mpmath(name: str) -> None:
    f, src, pts = ROWS[name]
    pt = pts[0]
    names = ["y", "x"] if name == "atan2" else {1: ["x"], 2: ["x", "y"], 3: ["c", "x", "y"]}[len(pt)]
    direction = [1.0, 0.5, -0.75][: len(pt)]
    r = higher.deriv(src, dict(zip(names, pt)), direction=dict(zip(names, direction)), order=10)
    mp.mp.dps = 60
    coeffs = mp.taylor(lambda t: f(*[mp.mpf(p) + t * d for p, d in zip(pt, direction)]), 0, 10)
    want = [float(c * mp.factorial(k)) for k, c in enumerate(coeffs)][1:]
    scale = max([1.0] + [abs(w) for w in want])
    for k, (got, w) in enumerate(zip(r.derivatives, want), 1):
        assert abs(got - w) <= 1e-8 * scale, (k, got, w)


def test_taylor_through_a_program_takes_the_executed_path() -> None:
    src = "s = 0\nfor i in range(3):\n    if x > 0:\n        s = s + x^i\n    else:\n        s = s - x\nreturn s"
    assert higher.deriv(src, {"x": 2.0}, order=3).derivatives == [5.0, 2.0, 0.0]  # 1 + x + x²
    assert higher.deriv(src, {"x": -2.0}, order=2).derivatives == [-3.0, 0.0]  # -3x


def test_taylor_trace_has_coefficients_per_node() -> None:
    r = higher.deriv("sin(x*y)", {"x": 1.0, "y": 2.0}, wrt="y", order=3, trace=True)
    last = r.trace.nodes[-1]
    assert definition(last) == "sin(v3)" and len(last.coefficients) == 4
    assert close(last.coefficients[2], -math.sin(2.0) / 2)


def test_deriv_needs_one_of_wrt_or_direction() -> None:
    with pytest.raises(adcalc.AdcalcError):
        higher.deriv("x*y", {"x": 1.0, "y": 2.0}, order=2)
    assert higher.deriv("x^3", {"x": 2.0}, order=3).derivatives == [12.0, 12.0, 6.0]  # one input: implied


# ---- kinks, one-sided -------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize(
    "src,point,name,left,right",
    [
        ("abs(x)", {"x": 0.0}, "x", -1.0, 1.0),
        ("max(x, y)", {"x": 1.0, "y": 1.0}, "x", 0.0, 1.0),
        ("min(x, 2*y)", {"x": 2.0, "y": 1.0}, "y", 2.0, 0.0),
        ("def f(x):\n    if x > 0:\n        return x * x\n    else:\n        return -x\n", {"x": 0.0}, "x", -1.0, 0.0),
        ("abs(x - y) + y", {"x": 1.0, "y": 1.0}, "y", 0.0, 2.0),  # |x-y|+y: y-h gives h+y-h
    ],
)
def test_one_sided_derivatives_at_kinks(mode, src, point, name, left, right) -> None:
    r = adcalc.grad(src, point, mode=mode)
    (w,) = [w for w in r.warnings if w.kind == "kink"]
    assert w.details["one_sided"][name] == {"left": left, "right": right}


def test_one_sided_lists_only_the_inputs_that_move_the_kink() -> None:
    r = adcalc.grad("abs(x) + y", {"x": 0.0, "y": 3.0})
    (w,) = r.warnings
    assert list(w.details["one_sided"]) == ["x"]


def test_sqrt_at_zero_one_sided() -> None:
    warnings = adcalc.grad("sqrt(x)", {"x": 0.0}).warnings
    assert [w.kind for w in warnings] == ["kink", "nonfinite_derivative"]
    side = warnings[0].details["one_sided"]["x"]
    assert side["right"] == math.inf and math.isnan(side["left"])


# ---- check --------------------------------------------------------------------------------------

@pytest.mark.parametrize("src,point", [("x^2 + 3*x + 1", {"x": 2.0}), (RUNNING, {"x1": 1.0, "x2": 2.0}),
                                       ("[r*cos(t), r*sin(t)]", {"r": 2.0, "t": 0.5})])
def test_check_passes_on_smooth_functions(src: str, point: dict) -> None:
    r = check(src, point)
    assert r.ok and all(e.ok for e in r.entries)


def test_check_shows_the_documents_one_sided_difference() -> None:
    (e,) = check("x^2 + 3*x + 1", {"x": 2.0}).entries
    step = next(s for s in e.sweep if s.delta == 1e-2)
    assert abs(step.one_sided - 7.01) < 1e-9 and e.forward == e.reverse == 7.0


def test_check_fails_when_a_rule_is_wrong(monkeypatch, capsys) -> None:
    wrong = REGISTRY["sin"]._replace(partials=(lambda x: 1.01 * math.cos(x),))
    monkeypatch.setitem(REGISTRY, "sin", wrong)  # the interpreter reads the registry when it compiles
    r = check("sin(x) + 0.125 * x", {"x": 0.5})
    assert not r.ok and not r.entries[0].ok
    assert main(["check", "sin(x) + 0.25 * x", "--at", "x=0.5"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_dot_product_test_for_vector_functions() -> None:
    r = check("[x*y + sin(z), exp(x) - z^2, x/y]", {"x": 0.3, "y": 1.7, "z": -0.4})
    assert r.dot_test["ok"] and close(r.dot_test["jv_dot_w"], r.dot_test["v_dot_jtw"], rel=1e-12)


# ---- command line -------------------------------------------------------------------------------

def test_cli_json_shapes_for_higher_derivatives(capsys) -> None:
    assert main(["hessian", RUNNING, "--at", "x1=1,x2=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"value", "inputs", "gradient", "hessian"} and out["inputs"] == ["x1", "x2"]
    assert main(["deriv", "exp(2*x)", "--at", "x=0", "--order", "10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"value": 1.0, "derivatives": [2.0**k for k in range(1, 11)]}
    assert main(["hvp", "x^2*y", "--at", "x=1,y=2", "--dir", "x=1,y=0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"value": 2.0, "gradient": {"x": 4.0, "y": 1.0},
                                                   "hvp": {"x": 4.0, "y": 2.0}}
    assert main(["check", "x^2", "--at", "x=3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["entries"][0]["forward"] == 6.0 and len(out["entries"][0]["sweep"]) == 12
    assert out["tolerances"]["finite_difference"] == 1e-6


@pytest.mark.parametrize("command", [["hessian"], ["hvp", "--dir", "x=1,y=0"], ["grad"], ["deriv", "--wrt", "x",
                                                                                         "--order", "2"]])
def test_a_variable_read_before_it_is_set_is_a_name_error_in_every_mode(command: list[str]) -> None:
    """Found by the compiled-Hessian tests: a loop variable of an empty loop read after it reached
    the Hessian's duals as None and escaped as an AttributeError (grad said it clearly)."""
    import subprocess
    import sys

    src = "def f(x, y):\n    for i in range(0):\n        x = x + 1\n    return x * sin(where(x > 0, x, i))"
    r = subprocess.run([sys.executable, "-m", "adcalc", command[0], src, "--at", "x=0,y=0", *command[1:]],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "'i' has no value here" in r.stderr and "4:" in r.stderr
