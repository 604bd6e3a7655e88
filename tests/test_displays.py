"""Issue #14 items 20, 21, 23, 24: displays that are right — the traced deriv's heading, the
value of jacobian/vjp in the output's own shape, the vjp trace's footer, and check's --delta."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from numeric import NUMPY_VS_MATH_ULPS, ulp_close

from adcalc import AdcalcError
from adcalc.ops import checks


def adcalc(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tempfile.gettempdir())


# ---- 20: deriv --trace is headed f(point) = value --------------------------------------------------

def test_traced_deriv_is_headed_by_the_point_and_value() -> None:
    p = adcalc("deriv", "sin(x^2+1)", "--at", "x=1.5", "--order", "3", "--trace")
    assert p.returncode == 0, p.stderr
    assert "['node'" not in p.stdout
    heads = [line for line in p.stdout.splitlines() if " = " in line and line.startswith("f(")]
    assert len(heads) == 1 and heads[0].startswith("f(x=1.5) = ")
    assert ulp_close(float(heads[0].split(" = ")[1]), math.sin(1.5**2 + 1), 2e6)  # 12 digits shown
    untraced = adcalc("deriv", "sin(x^2+1)", "--at", "x=1.5", "--order", "3").stdout
    assert p.stdout.endswith(untraced)  # the trace, then exactly the untraced view


# ---- 21: the output's own shape ---------------------------------------------------------------------

SOFTMAX = "exp(x) / sum(exp(x))"


@pytest.mark.parametrize(("source", "at", "n"), [
    (SOFTMAX, "x=[0.1,1.1,2.1]", 3), ("x * [[1, 2], [3, 4]]", "x=2", 4), ("[x, 2*x]", "x=2", 2),
])
def test_jacobian_and_vjp_show_the_value_as_eval_does(source: str, at: str, n: int) -> None:
    cot = ",".join(["1"] * n)
    runs = {"eval": [], "jvp": ["--dir", re.sub(r"=.*", "=", at) + ("[1,0,0]" if "[" in at else "1")],
            "jacobian": [], "vjp": ["--cot", cot]}
    values = {}
    heads = {}
    for command, extra in runs.items():
        j = adcalc(command, source, "--at", at, *extra, "--json")
        assert j.returncode == 0, j.stderr
        values[command] = json.loads(j.stdout)["value"]
        if command != "jvp":  # jvp of a list of outputs shows them in its table
            heads[command] = adcalc(command, source, "--at", at, *extra).stdout.splitlines()[0].split(" = ")[1]
    assert values["jacobian"] == values["vjp"] == values["eval"] == values["jvp"]
    assert heads["jacobian"] == heads["vjp"] == heads["eval"]
    if source == SOFTMAX:
        x = np.array([0.1, 1.1, 2.1])
        truth = np.exp(x) / np.sum(np.exp(x))
        assert np.asarray(values["vjp"]).shape == (3,)
        assert all(ulp_close(a, b, NUMPY_VS_MATH_ULPS) for a, b in zip(values["vjp"], truth))
        shown = [float(v) for v in heads["jacobian"].strip("[]").split(", ")]  # one level of brackets
        assert len(shown) == 3 and all(abs(a - b) <= 1e-7 * b for a, b in zip(shown, truth))  # 8 digits shown
    elif n == 4:
        assert values["jacobian"] == [[2.0, 4.0], [6.0, 8.0]]


def test_the_python_api_gives_the_same_shape() -> None:
    import adcalc

    assert np.shape(adcalc.jacobian("x * [1, 2, 3]", {"x": 2.0}).value) == (3,)
    assert np.shape(adcalc.vjp("x * [[1, 2], [3, 4]]", {"x": 2.0}, [1, 0, 0, 1]).value) == (2, 2)
    assert adcalc.jacobian("x * y", {"x": 2.0, "y": 3.0}).value == [6.0]  # scalar sources: unchanged


# ---- 23: the vjp trace's footer names wᵀJ --------------------------------------------------------------

def test_vjp_trace_footer_says_wTJ() -> None:
    p = adcalc("vjp", "[x*y, sin(x)]", "--at", "x=1,y=2", "--cot", "1,0.5", "--trace")
    assert p.returncode == 0, p.stderr
    footer = [line for line in p.stdout.splitlines() if "read off the inputs' adjoints" in line]
    assert len(footer) == 1 and footer[0].startswith("wᵀJ read off the inputs' adjoints: ")
    assert ": ∂f/∂x = v̄1" not in footer[0] and ", ∂f/∂y" not in footer[0]
    shown = dict(re.findall(r"wᵀ∂f/∂(\w+) = v̄\d+ = (\S+?)(?:,|$)", footer[0]))
    truth = {"x": 1 * 2 + 0.5 * math.cos(1), "y": 1 * 1.0}
    assert shown.keys() == truth.keys()
    assert all(abs(float(shown[k]) - truth[k]) <= 1e-11 * max(1, abs(truth[k])) for k in truth)  # 12 digits
    grad = adcalc("grad", "x*y", "--at", "x=1,y=2", "--trace").stdout
    assert "gradient read off the inputs' adjoints: ∂f/∂x = v̄1 = 2, ∂f/∂y = v̄2 = 1" in grad


# ---- 24: check --delta and the δ each row used -----------------------------------------------------------

def _f(x: float) -> float:
    return x**2 + 3 * x + 1


def test_check_delta_gives_the_documents_one_sided_difference() -> None:
    """The seed document: f(x) = x² + 3x + 1, x = 2, δ = 0.01: (11.0701 − 11)/0.01 = 7.01."""
    p = adcalc("check", "x^2 + 3*x + 1", "--at", "x=2", "--delta", "0.01", "--json")
    assert p.returncode == 0, p.stderr
    e = json.loads(p.stdout)["entries"][0]
    assert e["deltas"] == {"central": 0.01, "one_sided": 0.01}
    assert abs(e["one_sided"] - 7.01) < 1e-11 and abs(e["one_sided"] - (_f(2.01) - _f(2)) / 0.01) < 1e-11
    assert abs(e["central"] - (_f(2.01) - _f(1.99)) / 0.02) < 1e-11
    table = adcalc("check", "x^2 + 3*x + 1", "--at", "x=2", "--delta", "0.01")
    row = table.stdout.splitlines()[3].split()
    assert row[0] == "x" and row[5] == "7.01" and row[-1] == "ok"
    assert table.stdout.splitlines()[4] == "δ = 0.01 in every central and one-sided difference above"


def test_check_states_its_default_steps() -> None:
    eps = 2.0**-52
    p = adcalc("check", "x^2 + y", "--at", "x=0.5,y=3", "--json")
    deltas = {e["input"]: e["deltas"] for e in json.loads(p.stdout)["entries"]}
    assert deltas == {"x": {"central": eps ** (1 / 3), "one_sided": eps**0.5},
                      "y": {"central": eps ** (1 / 3) * 3, "one_sided": eps**0.5 * 3}}
    table = adcalc("check", "x^2 + y", "--at", "x=0.5,y=3").stdout
    assert "δ in the central / one-sided differences above: x: 6.1e-06 / 1.5e-08, y: 1.8e-05 / 4.5e-08" in table
    one = adcalc("check", "x^2", "--at", "x=0.5").stdout
    assert "δ = 6.1e-06 in the central and 1.5e-08 in the one-sided differences above" in one


@pytest.mark.parametrize("bad", ["0", "-1", "nan", "inf", "abc", "1e999", "٣"])
def test_check_delta_must_be_a_positive_number(bad: str) -> None:
    p = adcalc("check", "x^2", "--at", "x=2", "--delta", bad)
    assert p.returncode == 2 and "argument --delta" in p.stderr and "Traceback" not in p.stderr, p.stderr


@pytest.mark.parametrize(("bad", "kind"), [(0.0, "input"), (-0.5, "input"), (math.inf, "input"),
                                           (math.nan, "input"), ("0.1", "type"), (True, "type")])
def test_api_check_delta_is_validated(bad: object, kind: str) -> None:
    with pytest.raises(AdcalcError) as e:
        checks.check("x^2", {"x": 2.0}, delta=bad)  # type: ignore[arg-type]
    assert e.value.kind == kind and "delta" in e.value.message
    assert checks.check("x^2", {"x": 2.0}, delta=0.5).entries[0].one_sided == (2.5**2 - 4) / 0.5
