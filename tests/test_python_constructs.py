"""The Python users already write (issue #14, items 1–9 and 11), each through the real entry
points: the command line in a subprocess, the Python API.  The truth is Python itself (its own
``%``, ``//``, ``int``, ``round``, conditional expressions, bools), hand-derived derivatives,
central differences and forward-vs-reverse agreement.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import adcalc
from adcalc.errors import AdcalcError
from adcalc.language.keywords import PYTHON_KEYWORDS
from adcalc.ops import higher


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=60)


def cli_json(*args: str) -> dict:
    r = cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def central(src: str, point: dict[str, float], name: str, h: float = 1e-6) -> float:
    up, down = dict(point), dict(point)
    up[name] += h
    down[name] -= h
    return (adcalc.evaluate(src, up).value - adcalc.evaluate(src, down).value) / (2 * h)


def both_modes(src: str, point: dict) -> dict:
    rev = adcalc.grad(src, point).gradient
    fwd = adcalc.grad(src, point, mode="forward").gradient
    for k in rev:
        np.testing.assert_array_equal(np.asarray(rev[k]), np.asarray(fwd[k]))
    return rev


def kinks(result: object) -> list:
    return [w for w in result.warnings if w.kind == "kink"]  # type: ignore[attr-defined]


# ---- 1. a if c else b ---------------------------------------------------------------------------

@pytest.mark.parametrize("x", [3.0, -2.0, 0.5])
def test_conditional_expression_is_pythons_and_differentiates_the_branch_taken(x: float) -> None:
    src = "x^3 if x > 1 else -x if x < 0 else 2*x"
    want = x ** 3 if x > 1 else -x if x < 0 else 2 * x
    hand = 3 * x * x if x > 1 else -1.0 if x < 0 else 2.0
    out = cli_json("grad", src, "--at", f"x={x}")
    assert out["value"] == want and out["gradient"]["x"] == hand
    assert both_modes(src, {"x": x})["x"] == hand
    assert higher.hessian(src, {"x": x}).hessian[0][0] == (6 * x if x > 1 else 0.0)
    assert higher.deriv(src, {"x": x}, order=3).derivatives == ([3 * x * x, 6 * x, 6.0] if x > 1 else [hand, 0, 0])


def test_a_tie_in_a_conditional_expression_is_a_kink_with_its_one_sided_derivatives() -> None:
    out = cli_json("grad", "x if x > 0 else 0*x", "--at", "x=0")
    (w,) = [w for w in out["warnings"] if w["kind"] == "kink"]
    assert w["one_sided"] == {"x": {"left": 0.0, "right": 1.0}}  # ReLU: 0 from the left, 1 from the right


def test_conditional_expression_reads_inputs_in_the_texts_order_and_works_in_programs() -> None:
    assert adcalc.load("a if b > 0 else c").inputs == ("a", "b", "c")
    src = "def f(x, n):\n    s = 0\n    for i in range(n):\n        s += x^i if i % 2 == 0 else -x^i\n    return s"
    x = 1.5
    assert adcalc.evaluate(src, {"x": x, "n": 4.0}).value == 1 - x + x ** 2 - x ** 3
    assert both_modes(src, {"x": x, "n": 4.0})["x"] == pytest.approx(-1 + 2 * x - 3 * x ** 2, rel=1e-15)


def test_an_array_condition_points_to_where() -> None:
    r = cli("eval", "x if x > 0 else 0", "--at", "x=[1,2]")
    assert r.returncode == 1 and "where(c, a, b)" in r.stderr and "Traceback" not in r.stderr


# ---- 2. where(c, a, b) ----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_where_has_no_nan_trap(mode: str) -> None:
    """JAX's FAQ: where(x > 0, sqrt(x), 0) has a nan gradient at 0 there.  Here the unchosen
    branch's cotangent is exactly 0, even where that branch's derivative is inf or its value nan."""
    cases = [
        ("sum(where(x > 0, sqrt(x), 0))", [0.0, 1.0, 4.0], [0.0, 0.5, 0.25]),   # sqrt'(0) = inf, unchosen
        ("sum(where(x > 0, log(x), 0))", [-1.0, 2.0], [0.0, 0.5]),              # log(-1) = nan, unchosen
        ("sum(where(x != 0, 1/x, 0))", [0.0, -2.0], [0.0, -0.25]),              # 1/0 = inf, unchosen
    ]
    for src, x, want in cases:
        out = cli_json("grad", src, "--at", f"x={x}".replace(" ", ""), "--mode", mode)
        assert out["gradient"]["x"] == want, (src, out)
    for src, x, want in [("where(x > 0, sqrt(x), 0)", 0.0, 0.0), ("where(x > 0, log(x), 1 - x)", -1.0, -1.0)]:
        assert adcalc.grad(src, {"x": x}, mode=mode).gradient["x"] == want


def test_where_elementwise_values_and_derivatives() -> None:
    c, a, b = np.array([1.0, 0.0, -2.0, np.nan]), np.array([1.5, 2.0, -3.0, 4.0]), np.array([9.0, -1.0, 5.0, 6.0])
    value = adcalc.evaluate("where(c, a, b)", {"c": c, "a": a, "b": b}).value
    assert list(value) == [ai if ci else bi for ci, ai, bi in zip(c, a, b)]  # Python's truth: nan is true
    g = both_modes("sum(where(c, a^2, b^3))", {"c": c, "a": a, "b": b})
    assert list(g["a"]) == [2 * ai if ci else 0.0 for ci, ai in zip(c, a)]
    assert list(g["b"]) == [0.0 if ci else 3 * bi * bi for ci, bi in zip(c, b)]
    assert list(g["c"]) == [0.0] * 4
    assert higher.hessian("where(x > 0, x^3, x^2)", {"x": 2.0}).hessian == [[12.0]]
    assert higher.hessian("where(x > 0, x^3, x^2)", {"x": -1.0}).hessian == [[2.0]]


# ---- 3. %, //, int, round, True, False ---------------------------------------------------------------

FLOATS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5])


def same_float(a: float, b: float) -> bool:
    return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)


@settings(max_examples=300, deadline=None)
@given(FLOATS, FLOATS)
def test_mod_and_floordiv_are_pythons(x: float, y: float) -> None:
    assume(y != 0)
    point = {"x": x, "y": y}
    assert same_float(adcalc.evaluate("x % y", point).value, x % y), (x, y)
    assert same_float(adcalc.evaluate("x // y", point).value, x // y), (x, y)
    arrays = adcalc.evaluate("[x % y, x // y] * 1", point).value  # the NumPy rules, element by element
    assert same_float(float(arrays[0]), x % y) and same_float(float(arrays[1]), x // y)


def test_mod_and_floordiv_at_a_zero_divisor_are_ieee_not_an_exception() -> None:
    r = adcalc.evaluate("x % y", {"x": 3.0, "y": 0.0})
    assert math.isnan(r.value) and r.warnings[0].kind == "nonfinite"
    assert adcalc.evaluate("x // y", {"x": 3.0, "y": -0.0}).value == -math.inf
    assert cli("eval", "7 % -3").stdout.strip() == "f() = -2"
    assert cli("eval", "-7 // 2").stdout.strip() == "f() = -4"


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-50, max_value=50), st.floats(min_value=-9, max_value=9))
def test_mod_derivatives_are_one_and_minus_the_quotient(x: float, y: float) -> None:
    assume(abs(y) > 0.01 and abs(x % y) > 1e-4 and abs(x % y - abs(y)) > 1e-4 and abs((x % y) - y) > 1e-4)
    g = both_modes("x % y", {"x": x, "y": y})
    assert g == {"x": 1.0, "y": -(x // y)}
    assert abs(central("x % y", {"x": x, "y": y}, "y", 1e-7) - g["y"]) <= 1e-5 * max(1.0, abs(g["y"]))
    assert both_modes("x // y", {"x": x, "y": y}) == {"x": 0.0, "y": 0.0}


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9) | st.sampled_from([0.5, 1.5, 2.5, -0.5, -2.5, -0.0, 3.0]))
def test_int_truncates_and_round_is_half_to_even_as_python(x: float) -> None:
    assert adcalc.evaluate("int(x)", {"x": x}).value == int(x)
    assert adcalc.evaluate("round(x)", {"x": x}).value == round(x)
    arrays = adcalc.evaluate("[int(x), round(x)] * 1", {"x": x}).value
    assert list(arrays) == [int(x), round(x)]
    assert both_modes("int(x) + round(x)", {"x": x}) == {"x": 0.0}


@pytest.mark.parametrize("src,x", [
    ("x // 1", 2.0),         # a jump: the pieces are flat
    ("x * (x // 1)", 1.0),   # x·0 on the left, x·1 on the right
    ("x % 2", 4.0),          # the sawtooth's slope is 1 on both sides
    ("x * (x % 2)", 4.0),    # x·(x − 2) on the left, x·(x − 4) on the right
    ("int(x) * x", -3.0),    # -3·x on the left, -2·x on the right
    ("round(x) * x", 2.5),   # 2·x on the left, 3·x on the right
])
def test_jumps_are_kinks_with_the_pieces_derivatives(src: str, x: float) -> None:
    """A jump is a kink report whose left and right derivatives are those of the piece each side
    enters: the truth is Python's own function, differenced on each side away from the jump."""
    h = 1e-7
    f = {"x // 1": lambda t: t // 1, "x * (x // 1)": lambda t: t * (t // 1), "x % 2": lambda t: t % 2,
         "x * (x % 2)": lambda t: t * (t % 2), "int(x) * x": lambda t: int(t) * t,
         "round(x) * x": lambda t: round(t) * t}[src]
    # the truth: Python's own function, differenced on each side away from the jump
    want_left = (f(x - h) - f(x - 2 * h)) / h
    want_right = (f(x + 2 * h) - f(x + h)) / h
    r = adcalc.grad(src, {"x": x})
    (w,) = kinks(r)
    sides = w.details["one_sided"]["x"]
    assert abs(sides["left"] - want_left) < 1e-5 and abs(sides["right"] - want_right) < 1e-5, (sides, want_left,
                                                                                                 want_right)


def test_true_and_false_are_one_and_zero_and_cannot_be_bound() -> None:
    assert adcalc.evaluate("True + 2*False + True").value == 2.0
    r = cli("eval", "x + 1", "--at", "x=1,True=2")
    assert r.returncode == 1 and "error (input)" in r.stderr and "constant" in r.stderr
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate("True = 2\nreturn True")
    assert e.value.kind == "name"


# ---- 4. comparisons as values -------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
@pytest.mark.parametrize("x,y", [(1.0, 2.0), (2.0, 1.0), (1.5, 1.5), (-0.0, 0.0)])
def test_comparisons_are_pythons_bools_as_numbers(op: str, x: float, y: float) -> None:
    truth = float(eval(f"x {op} y", {"x": x, "y": y}))  # noqa: S307 - the test's own constant text
    assert adcalc.evaluate(f"(x {op} y) * 1", {"x": x, "y": y}).value == truth
    g = both_modes(f"(x {op} y) * x", {"x": x, "y": y})
    assert g == {"x": truth, "y": 0.0}


def test_relu_idiom_scalar_and_elementwise() -> None:
    out = cli_json("grad", "(x > 0) * x", "--at", "x=0")
    assert out["value"] == 0 and out["gradient"] == {"x": 0.0}
    (w,) = [w for w in out["warnings"] if w["kind"] == "kink"]
    assert w["one_sided"] == {"x": {"left": 0.0, "right": 1.0}}
    out = cli_json("grad", "sum((x > 0) * x)", "--at", "x=[-1,0,2]")
    assert out["value"] == 2 and out["gradient"]["x"] == [0.0, 0.0, 1.0]
    assert [w["kind"] for w in out["warnings"]] == ["kink"]  # the tie at [1]


def test_chains_not_and_or_as_values_are_pythons() -> None:
    for x in (-1.0, 0.0, 0.5, 2.0, 3.0):
        for y in (0.0, 2.5):
            point = {"x": x, "y": y}
            assert adcalc.evaluate("(0 < x < 3) * 1", point).value == float(0 < x < 3)
            assert adcalc.evaluate("x and y", point).value == float(x and y)
            assert adcalc.evaluate("x or y", point).value == float(x or y)
            assert adcalc.evaluate("(not x) * 1", point).value == float(not x)
            assert adcalc.evaluate("(x > 0) and y or -1", point).value == float((x > 0) and y or -1)


# ---- 5. keywords are never names ----------------------------------------------------------------------

@pytest.mark.parametrize("src", ["None + 1", "and + 1", "lambda + 1", "x + yield", "import os", "class_ = 1\nis = 2"])
def test_keywords_are_syntax_errors_on_the_command_line(src: str) -> None:
    r = cli("eval", src, "--at", "x=1")
    assert r.returncode == 1 and "error (syntax)" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_every_python_keyword_is_refused_as_a_name() -> None:
    for kw in sorted(PYTHON_KEYWORDS - {"True", "False"}):
        with pytest.raises(AdcalcError) as e:
            adcalc.evaluate(f"{kw} * 2 + x", {"x": 1.0})
        assert e.value.kind == "syntax", kw
        with pytest.raises(AdcalcError) as e:
            adcalc.evaluate("x", {"x": 1.0, kw: 2.0})
        assert e.value.kind == "input", kw
    r = cli("eval", "return + 1", "--at", "return=1")  # a top-level return of +1: its --at is the error
    assert r.returncode == 1 and "error (input)" in r.stderr and "'return' is a keyword" in r.stderr
    r = cli("eval", "x + 1", "--at", "if=2")
    assert r.returncode == 1 and "error (input)" in r.stderr and "'if' is a keyword" in r.stderr


def test_the_grammars_names_exclude_exactly_pythons_keywords() -> None:
    from adcalc.language.parser import grammar_text

    line = next(ln for ln in grammar_text().splitlines() if ln.startswith("NAME:"))
    excluded = set(re.search(r"\(\?!\(\?:([A-Za-z|]+)\)", line).group(1).split("|"))
    assert excluded == PYTHON_KEYWORDS - {"True", "False"}


# ---- 6. a def may shadow a built-in ---------------------------------------------------------------------

CBRT = '''"""A cube root by Newton's method (a real user's program)."""
def cbrt(a):
    y = a
    for i in range(60):
        y = y - (y*y*y - a) / (3*y*y)
    return y

def f(x):
    return cbrt(x) + x
'''


def test_a_def_may_shadow_a_builtin_with_a_warning(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "cbrt.ad")
    with open(path, "w") as fh:
        fh.write(CBRT)
    out = cli_json("grad", path, "--at", "x=8")
    assert out["value"] == 10.0
    assert abs(out["gradient"]["x"] - (1 / (3 * 8 ** (2 / 3)) + 1)) < 1e-14
    (w,) = out["warnings"]
    assert w["kind"] == "shadow" and "cbrt" in w["message"] and "built-in" in w["message"] and w["line"] == 2
    r = cli("eval", path, "--at", "x=8")
    said = " ".join(r.stderr.split())  # as one line, however the terminal width wrapped it
    assert r.returncode == 0 and "warning at" in said and "hides the built-in function cbrt" in said


# ---- 7. module constants ------------------------------------------------------------------------------

def test_module_constants_are_read_inside_functions() -> None:
    src = "c = 3\nk = 2*c + pi\n\ndef f(x):\n    return c*x + k\n"
    r = adcalc.grad(src, {"x": 2.0})
    assert r.value == 3 * 2.0 + (2 * 3 + math.pi) and r.gradient == {"x": 3.0}
    assert adcalc.load(src).inputs == ("x",)  # still a function file: its last def is the entry


def test_a_name_assigned_in_a_function_is_local_as_in_python() -> None:
    src = "c = 3\ndef f(x):\n    c = 2*x\n    return c*x\n"
    assert both_modes(src, {"x": 2.0}) == {"x": 8.0}
    with pytest.raises(AdcalcError) as e:  # Python: UnboundLocalError
        adcalc.evaluate("c = 3\ndef f(x):\n    y = c*x\n    c = 2\n    return y\n", {"x": 1.0})
    assert e.value.kind == "name" and (e.value.span.line, e.value.span.column) == (3, 9)


def test_a_program_with_statements_shares_its_constants_with_its_functions() -> None:
    src = "g = 9.81\ndef h(t):\n    return g*t^2/2\nreturn h(t) + v*t"
    assert adcalc.grad(src, {"t": 2.0, "v": 1.0}).gradient == {"t": 9.81 * 2.0 + 1.0, "v": 2.0}


# ---- 8. docstrings ----------------------------------------------------------------------------------------

def test_docstrings_are_ignored_and_strings_elsewhere_are_errors() -> None:
    src = '"""Module doc,\nover two lines."""\ndef f(x):\n    \'\'\'Square it.\'\'\'\n    return x^2\n'
    assert adcalc.grad(src, {"x": 3.0}).gradient == {"x": 6.0}
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate('def f(x):\n    y = 2\n    "late"\n    return x\n', {"x": 1.0})
    assert e.value.kind == "syntax" and e.value.span.line == 3 and "docstring" in e.value.message
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate('def f(x):\n    return "no"\n', {"x": 1.0})
    assert e.value.kind == "syntax" and "no strings" in e.value.message and "docstring" in e.value.hint
    with pytest.raises(AdcalcError) as e:  # positions after a multi-line docstring are the file's own
        adcalc.evaluate('"""a\nb\nc"""\ndef f(x):\n    return log(-x) + q\n', {"x": 1.0})
    assert (e.value.span.line, e.value.span.column) == (5, 22) and e.value.kind == "name"


# ---- 9. for v in x ----------------------------------------------------------------------------------------

def test_for_over_a_list_an_arrays_first_axis_and_range_len() -> None:
    src = ("def f(x, A):\n    s = 0\n    for v in x:\n        s += v^2\n    for row in A:\n"
           "        s += sum(row)^2\n    for w in [x[0], 3*x[1]]:\n        s += w\n    for i in range(len(x)):\n"
           "        s += i*x[i]\n    return s\n")
    x, A = np.array([1.0, 2.0, 3.0]), np.array([[1.0, 2.0], [0.5, -1.0]])
    r = adcalc.grad(src, {"x": x, "A": A})
    want = sum(x ** 2) + sum(A.sum(axis=1) ** 2) + x[0] + 3 * x[1] + sum(i * x[i] for i in range(3))
    assert r.value == want
    assert list(r.gradient["x"]) == [2 * x[0] + 1, 2 * x[1] + 3 + 1, 2 * x[2] + 2]
    np.testing.assert_array_equal(r.gradient["A"], 2 * A.sum(axis=1, keepdims=True) * np.ones((2, 2)))
    both_modes(src, {"x": x, "A": A})
    r = cli("eval", "s = 0\nfor v in x:\n    s += v\nreturn s", "--at", "x=3")
    assert r.returncode == 1 and "a for loop runs over" in r.stderr and "Traceback" not in r.stderr


# ---- 11. hints ------------------------------------------------------------------------------------------

def test_hints_point_somewhere_useful(tmp_path: object) -> None:
    r = cli("eval", "ln(x)", "--at", "x=1")
    assert "did you mean 'log'?" in r.stderr
    r = cli("eval", "2x")
    assert "'+='" not in r.stderr and "'='" not in r.stderr and "expected" in r.stderr
    path = os.path.join(str(tmp_path), "typo.ad")
    with open(path, "w") as fh:
        fh.write("# @at x=2\n# @expect value = xx^2\ndef f(x):\n    return x^2\n")
    r = cli("run", path)
    assert r.returncode == 1 and "--at" not in r.stderr + r.stdout and "did you mean 'x'?" in r.stdout + r.stderr


def test_help_shows_the_python_constructs() -> None:
    r = cli("repl", stdin=":help\nrelu(x) = (x > 0) * x\ngrad relu at x=2\n")
    for example in ("if x > 0 else", "where(", "%", "//", "int(x)", "round(x)", "True", "for v in"):
        assert example in r.stdout, example
    assert "relu(x=2) = 2" in r.stdout


def test_the_repl_says_a_shadowing_def_once_and_evaluates_the_constructs() -> None:
    session = "def cbrt(a):\n    return a / 3\n\ncbrt(9)\nz = 7 % 3 + (-7 // 2)\ny = 3 if z < 0 else 4\ny\n"
    r = cli("repl", stdin=session)
    said = " ".join(r.stderr.split())
    assert said.count("hides the built-in function cbrt") == 1, r.stderr
    assert r.stdout.splitlines() == ["defined cbrt(a)", "3", "z = -3", "y = 3", "3"], r.stdout
