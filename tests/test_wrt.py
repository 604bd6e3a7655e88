"""``--wrt NAME,...`` (and the REPL's ``wrt`` clause, and the API's ``wrt=``): only those inputs are
differentiated, in that order; the point's other inputs are constants.  Every expectation is a
hand-derived formula or NumPy's own arithmetic on the constants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import close

import adcalc
from adcalc.errors import AdcalcError
from adcalc.ops import higher

A = np.array([[1.0, 2.0], [3.0, 4.0]])
AT_AX = "A=[[1,2],[3,4]],x=[1,1]"


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=120,
                          input=stdin, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})


def cli_json(*args: str) -> dict:
    p = cli(*args, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


# ---- the issue's own example: hold A constant in A @ x ----------------------------------------------

def test_the_issues_jvp_of_a_matrix_times_x_along_x_only() -> None:
    out = cli_json("jvp", "A @ x", "--at", AT_AX, "--wrt", "x", "--dir", "x=[1,0]")
    assert out["value"] == (A @ [1.0, 1.0]).tolist() and out["tangent"] == (A @ [1.0, 0.0]).tolist()


def test_without_wrt_the_same_jvp_still_needs_a_direction_for_a() -> None:
    p = cli("jvp", "A @ x", "--at", AT_AX, "--dir", "x=[1,0]")
    assert p.returncode == 1 and "no direction for A" in p.stderr and "Traceback" not in p.stderr


def test_jacobian_of_a_matrix_times_x_has_two_columns_and_is_the_matrix() -> None:
    out = cli_json("jacobian", "A @ x", "--at", AT_AX, "--wrt", "x")
    assert out["jacobian"] == A.tolist() and out["columns"] == ["x[0]", "x[1]"] and out["inputs"] == ["x"]
    full = cli_json("jacobian", "A @ x", "--at", AT_AX)
    assert len(full["columns"]) == 6  # A's four entries and x's two


def test_jacobian_columns_follow_the_wrt_order_in_both_modes() -> None:
    # f = [x*y*z, x + 2z]: ∂/∂z = [xy, 2], ∂/∂x = [yz, 1]
    for mode in ("forward", "reverse"):
        out = cli_json("jacobian", "[x*y*z, x + 2*z]", "--at", "x=2,y=3,z=5", "--wrt", "z,x", "--mode", mode)
        assert out["inputs"] == ["z", "x"] and out["jacobian"] == [[6.0, 15.0], [2.0, 1.0]]


# ---- grad, vjp: keys exactly the wrt names, in wrt order ---------------------------------------------

@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_grad_keys_are_the_wrt_names_in_wrt_order(mode: str) -> None:
    x, y, z = 1.5, -2.0, 0.25
    out = cli_json("grad", "x^2*y*z + sin(y)", "--at", f"x={x},y={y},z={z}", "--wrt", "z,x", "--mode", mode)
    assert list(out["gradient"]) == ["z", "x"]
    assert out["gradient"]["z"] == x * x * y and out["gradient"]["x"] == 2 * x * y * z


def test_grad_of_an_array_program_with_a_constant_matrix() -> None:
    # f = sum(A @ x) = 1ᵀA x: ∇ₓ f = Aᵀ1
    out = cli_json("grad", "sum(A @ x)", "--at", AT_AX, "--wrt", "x")
    assert list(out["gradient"]) == ["x"] and out["gradient"]["x"] == (A.T @ np.ones(2)).tolist()


def test_vjp_with_wrt() -> None:
    # f = [x*y, y + z]; wᵀJ with w = (2, 3): ∂/∂y = 2x + 3, ∂/∂x = 2y
    out = cli_json("vjp", "[x*y, y + z]", "--at", "x=1.5,y=4,z=7", "--wrt", "y,x", "--cot", "2,3")
    assert out["cotangent_result"] == {"y": 6.0, "x": 8.0} and list(out["cotangent_result"]) == ["y", "x"]


def test_a_traced_run_has_only_the_wrt_inputs_as_input_nodes() -> None:
    out = cli_json("grad", "x*y + z", "--at", "x=2,y=3,z=4", "--wrt", "y", "--trace")
    inputs = [row for row in out["trace"] if row["op"] == "input"]
    assert [(row["node"], row["variable"]) for row in inputs] == [("v1", "y")] and out["gradient"] == {"y": 2.0}
    assert out["trace"][1]["args"] == ["2", "v1"]  # x enters as its value, a constant


# ---- hessian, hvp, deriv, check -------------------------------------------------------------------

def test_hessian_with_wrt_rows_and_columns_in_wrt_order() -> None:
    # f = x²yz: f_zz = 0, f_zx = 2xy, f_xx = 2yz
    x, y, z = 1.5, 2.0, 3.0
    out = cli_json("hessian", "x^2*y*z", "--at", f"x={x},y={y},z={z}", "--wrt", "z,x")
    assert out["inputs"] == ["z", "x"] and list(out["gradient"]) == ["z", "x"]
    assert out["hessian"] == [[0.0, 2 * x * y], [2 * x * y, 2 * y * z]]


def test_hvp_direction_covers_only_the_wrt_inputs() -> None:
    x, y = 1.5, 2.0
    out = cli_json("hvp", "x^2*y^3", "--at", f"x={x},y={y}", "--wrt", "x", "--dir", "x=2")
    assert list(out["hvp"]) == ["x"] and out["hvp"]["x"] == 2 * (2 * y**3)  # f_xx · 2
    p = cli("hvp", "x^2*y^3", "--at", f"x={x},y={y}", "--wrt", "x", "--dir", "x=2,y=1")
    assert p.returncode == 1 and "y in the direction but held constant (not in wrt)" in p.stderr


def test_deriv_keeps_wrt_one_name_and_takes_a_list_with_a_direction() -> None:
    # f = x²yz at (1, 2, 3): along y: f_y = x²z = 3, f_yy = 0
    old = cli_json("deriv", "x^2*y*z", "--at", "x=1,y=2,z=3", "--wrt", "y", "--order", "2")
    assert old["derivatives"] == [3.0, 0.0]
    # along v = (x: 1, y: 1), z constant: g(t) = 3(1+t)²(2+t): g' = 15, g'' = 24, g''' = 18
    out = cli_json("deriv", "x^2*y*z", "--at", "x=1,y=2,z=3", "--wrt", "x,y", "--dir", "x=1,y=1", "--order", "3")
    assert out["derivatives"] == [15.0, 24.0, 18.0]
    p = cli("deriv", "x^2*y*z", "--at", "x=1,y=2,z=3", "--wrt", "x,y", "--order", "3")
    assert p.returncode == 1 and "wrt lists 2 inputs but no direction" in p.stderr and "Traceback" not in p.stderr


def test_check_with_wrt_checks_only_those_columns() -> None:
    out = cli_json("check", "[x^2*y, z*x]", "--at", "x=1.5,y=2,z=3", "--wrt", "z,y")
    assert out["ok"] is True
    assert [(e["output"], e["input"]) for e in out["entries"]] == [(0, "z"), (1, "z"), (0, "y"), (1, "y")]
    assert [e["reverse"] for e in out["entries"]] == [0.0, 1.5, 1.5**2, 0.0]
    assert list(out["dot_test"]["v"]) == ["z", "y"]


# ---- errors: clear, non-zero exit, no traceback -----------------------------------------------------

@pytest.mark.parametrize("wrt, message", [
    ("q", "wrt: 'q' is not an input of the point (x, y)"),
    ("x,x", "wrt lists 'x' twice"),
    ("", "wrt lists no input"),
    ("x,,y", "wrt has an empty name"),
    ("x\x1b[2J", "'x\\x1b[2J' is not an input"),
])
@pytest.mark.parametrize("command", [["grad"], ["jacobian"], ["hessian"], ["vjp", "--cot", "1"],
                                     ["jvp", "--dir", "x=1"], ["hvp", "--dir", "x=1"], ["check"]])
def test_bad_wrt_is_a_clear_error(command: list[str], wrt: str, message: str) -> None:
    p = cli(command[0], "x*y", "--at", "x=1,y=2", "--wrt", wrt, *command[1:])
    assert p.returncode == 1 and message in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and "\x1b" not in p.stderr


def test_a_misspelt_wrt_name_gets_a_suggestion() -> None:
    p = cli("grad", "alpha*beta", "--at", "alpha=1,beta=2", "--wrt", "alpah")
    assert p.returncode == 1 and "did you mean alpha?" in p.stderr


# ---- the REPL's wrt clause ----------------------------------------------------------------------------

def test_the_repl_wrt_clause() -> None:
    p = cli("repl", stdin="f(x, y) = x^2*y\ngrad f at x=3, y=2 wrt y\nhessian f at x=3, y=2 wrt y, x\n")
    assert p.returncode == 0, p.stderr
    lines = [line.split() for line in p.stdout.splitlines()]
    assert ["y", "2", "9"] in lines  # the gradient table: y, its value, ∂f/∂y = x²
    assert ["y", "9", "0", "6"] in lines and ["x", "12", "6", "4"] in lines  # f_yy = 0, f_yx = 2x, f_xx = 2y
    assert not any(line and line[0] == "x" and len(line) == 3 for line in lines[:5])


def test_the_repl_points_at_a_bad_wrt_name() -> None:
    p = cli("repl", stdin="f(x, y) = x^2*y\ngrad f at x=3, y=2 wrt y, z\n")
    assert p.returncode == 1
    err = p.stderr.splitlines()
    i = next(k for k, line in enumerate(err) if "wrt: 'z' is not an input of the point (x, y)" in line)
    assert err[i + 1].strip() == "grad f at x=3, y=2 wrt y, z"
    assert err[i + 2].index("^") == err[i + 1].index("z")


# ---- the API ---------------------------------------------------------------------------------------

def test_the_api_takes_wrt_as_a_list_or_a_string_from_threads() -> None:
    results: list[object] = []

    def work(k: int) -> None:
        x, y, z = 1.0 + k, 2.0, 3.0
        r = adcalc.grad("x*y*z", {"x": x, "y": y, "z": z}, wrt=["z", "x"] if k % 2 else "z, x")
        results.append(list(r.gradient.items()) == [("z", x * y), ("x", y * z)])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8


def test_the_api_refuses_bad_wrt_with_adcalc_errors() -> None:
    with pytest.raises(AdcalcError, match="list of str"):
        adcalc.grad("x*y", {"x": 1.0, "y": 2.0}, wrt=["x", 3])  # type: ignore[list-item]
    with pytest.raises(AdcalcError, match="'x' twice"):
        higher.hessian("x*y", {"x": 1.0, "y": 2.0}, wrt=("x", "x"))
    with pytest.raises(AdcalcError, match="no input"):
        adcalc.jacobian("x*y", {"x": 1.0, "y": 2.0}, wrt=[])


def test_constants_are_not_differentiated_even_through_a_kink() -> None:
    # abs(c) at c = 0 is a kink of c, but c is a constant: no kink warning, and d/dx (x·|c| + x²) = |c| + 2x
    r = adcalc.grad("x*abs(c) + x^2", {"x": 1.5, "c": 0.0}, wrt="x")
    assert r.gradient == {"x": 3.0} and not [w for w in r.warnings if w.kind == "kink"]
    assert close(adcalc.grad("x*abs(c)", {"x": 1.5, "c": -2.0}, wrt="x").gradient["x"], 2.0)


@pytest.mark.parametrize("clause, message, caret_under", [
    ("wrt x,, y", "wrt has an empty name", ", y"),  # the second comma ends nothing
    ("wrt x,", "wrt has an empty name", ","),
    ("wrt", "wrt lists no input", "wrt"),
])
def test_the_repl_points_at_an_empty_wrt_name(clause: str, message: str, caret_under: str) -> None:
    line = f"grad f at x=3, y=2 {clause}"
    p = cli("repl", stdin=f"f(x, y) = x^2*y\n{line}\n")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    err = p.stderr.splitlines()
    i = next(k for k, text in enumerate(err) if message in text)
    assert err[i + 1].strip() == line
    assert err[i + 2].index("^") == err[i + 1].rindex(caret_under)
