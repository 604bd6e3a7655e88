"""Issue #14 item 25: a Newton loop whose residual reaches exactly 0 reported the same ``abs`` kink
twice (the kink, and the comparison ``abs(r) > 0`` tied on its result) although its left and right
derivatives are equal.  A site is reported once, and the report says when both sides agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

NEWTON = """\
def newton_sqrt(a):
    y = 1
    for i in range(10):
        r = y * y - a
        if abs(r) > 0:
            y = y - r / (2 * y)
    return y
"""


def adcalc(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tempfile.gettempdir())


@pytest.fixture
def newton(tmp_path: Path) -> str:
    path = tmp_path / "newton.ad"
    path.write_text(NEWTON)
    return str(path)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_residual_of_exactly_zero_is_one_report_saying_both_sides_agree(newton: str, mode: str) -> None:
    p = adcalc("grad", newton, "--at", "a=1", "--mode", mode, "--json")
    out = json.loads(p.stdout)
    # By hand: at a = 1 the residual is 0 from the start, so y = 1 is never updated (derivative 0 along the
    # path taken); at a = 1 ± h it is ∓h ≠ 0, Newton runs and y → √a, whose derivative at 1 is 1/(2√1) = 0.5.
    assert out["value"] == 1.0 and out["gradient"] == {"a": 0.0}
    assert len(out["warnings"]) == 1
    w = out["warnings"][0]
    assert w["operation"] == "abs" and (w["line"], w["column"]) == (5, 12) and w["count"] == 10
    assert w["one_sided"] == {"a": {"left": 0.5, "right": 0.5}} and w["sides_agree"] is True
    assert "the comparison |0| > 0 that reads it is exactly tied there" in w["message"]
    text = adcalc("grad", newton, "--at", "a=1", "--mode", mode)
    assert text.stderr.count("warning at") == 1
    assert ("both one-sided derivatives agree, so f is differentiable here along a: ∂f/∂a = 0.5 from both sides "
            "— not the ∂f/∂a = 0 computed along the path taken") in " ".join(text.stderr.split())


def test_the_agreeing_sides_are_the_functions_own_derivative(newton: str) -> None:
    """The reported 0.5 against a central difference of the program's own values around a = 1."""
    h = 1e-6
    up, down = (json.loads(adcalc("eval", newton, "--at", f"a={1 + s * h!r}", "--json").stdout)["value"]
                for s in (1, -1))
    assert abs((up - down) / (2 * h) - 0.5) < 1e-6


def test_unrelated_kinks_and_ties_stay_separate_reports(tmp_path: Path) -> None:
    path = tmp_path / "two.ad"
    path.write_text("def f(x, y):\n    r = abs(y)\n    if x > 0:\n        return x + r\n    return r - x\n")
    out = json.loads(adcalc("grad", str(path), "--at", "x=0,y=0", "--json").stdout)
    kinds = sorted(w["operation"] for w in out["warnings"])
    assert kinds == [">", "abs"]
    by_op = {w["operation"]: w for w in out["warnings"]}
    # |y| from the left -1, from the right 1; the branch: x + r from the right (1), r - x from the left (-1)
    assert by_op["abs"]["one_sided"] == {"y": {"left": -1.0, "right": 1.0}} and by_op["abs"]["sides_agree"] is False
    assert by_op[">"]["one_sided"] == {"x": {"left": -1.0, "right": 1.0}}


def test_sides_that_differ_are_reported_as_before() -> None:
    p = adcalc("grad", "abs(x)", "--at", "x=0")
    assert "one-sided derivatives: ∂f/∂x from the left -1, from the right 1" in " ".join(p.stderr.split())
    out = json.loads(adcalc("grad", "abs(x)", "--at", "x=0", "--json").stdout)
    assert out["warnings"][0]["sides_agree"] is False


def test_a_kink_whose_sides_agree_with_the_computed_derivative_says_only_that() -> None:
    """abs(x)·abs(y) at (0, 0): along x, f(x, 0) = 0, so both sides are 0, as computed."""
    p = adcalc("grad", "abs(x) * abs(y)", "--at", "x=0,y=0")
    text = " ".join(p.stderr.split())
    assert text.count("both one-sided derivatives agree") == 2 and "∂f/∂x = 0 from both sides" in text
    assert "computed along the path taken" not in text
