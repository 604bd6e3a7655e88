"""Many scalar inputs (issue #16): binding is linear in their number, and still exact.

Speed is measured in bench/inputs.py (never timed here); these tests pin down what the linear
binding must keep: every input's derivative (hand-derived), the point's order, the unused-name
warnings, the duplicate check of ``inputs=``, and the same through the command line and the REPL.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

import adcalc
from adcalc import AdcalcError

N = 3000


def _names(n: int) -> list[str]:
    return [f"x{i}" for i in range(1, n + 1)]


def test_gradient_of_a_weighted_sum_of_many_inputs_in_the_points_order() -> None:
    names = _names(N)
    src = " + ".join(f"{i}*{n}^2" for i, n in enumerate(names, 1))  # ∂/∂x_i = 2·i·x_i
    order = names[:]
    random.Random(16).shuffle(order)
    point = {n: float(int(n[1:]) % 5 - 2) for n in order}
    r = adcalc.grad(src, point)
    assert list(r.gradient) == order  # results follow the point's order, not the source's
    for n in names:
        i = int(n[1:])
        assert r.gradient[n] == 2.0 * i * point[n]
    assert r.value == sum(i * point[n] ** 2 for i, n in enumerate(names, 1))


def test_forward_and_reverse_agree_on_many_inputs() -> None:
    names = _names(300)
    src = " + ".join(f"sin({a})*{b}" for a, b in zip(names, names[1:] + names[:1]))
    point = {n: 0.1 + 1e-3 * i for i, n in enumerate(names)}
    rev = adcalc.grad(src, point).gradient
    fwd = adcalc.grad(src, point, mode="forward").gradient
    assert rev == fwd  # the same partial times a unit seed, summed in the same two terms


def test_unused_names_among_many_are_each_warned_once() -> None:
    names = _names(N)
    point = {n: 1.0 for n in names}
    extra = [f"y{i}" for i in range(0, 2000, 7)]
    point.update({n: 2.0 for n in extra})
    r = adcalc.grad(" + ".join(names), point)
    unused = [w.details["name"] for w in r.warnings if w.kind == "unused"]
    assert unused == extra
    assert all(r.gradient[n] == 1.0 for n in names) and all(r.gradient[n] == 0.0 for n in extra)


def test_a_missing_input_among_many_is_named() -> None:
    names = _names(N)
    point = {n: 1.0 for n in names if n not in ("x17", "x2999")}
    with pytest.raises(AdcalcError) as e:
        adcalc.grad(" + ".join(names), point)
    assert e.value.kind == "input" and e.value.message == "no value for x17, x2999"


def test_function_with_many_inputs_and_a_repeated_name() -> None:
    names = _names(N)
    f = adcalc.function(" + ".join(f"{n}*{n}" for n in names), inputs=names[::-1])
    x = [float(i % 3) for i in range(N)]
    assert f.grad(x).tolist() == [2.0 * v for v in x]
    with pytest.raises(AdcalcError) as e:
        adcalc.function(" + ".join(names), inputs=names + ["x1234"])
    assert e.value.kind == "input" and "names 'x1234' twice" in e.value.message


def test_cli_gradient_of_many_inputs(tmp_path) -> None:
    names = _names(N)
    src = tmp_path / "many.ad"
    src.write_text(" + ".join(f"{n}*{n}" for n in names) + "\n")
    at = ",".join(f"{n}={i % 4}" for i, n in enumerate(names))
    p = subprocess.run([sys.executable, "-m", "adcalc", "grad", str(src), "--at", at, "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert list(out["gradient"]) == names
    assert out["gradient"] == {n: 2.0 * (i % 4) for i, n in enumerate(names)}
    assert out["value"] == float(sum((i % 4) ** 2 for i in range(N)))


def test_repl_gradient_of_many_inputs_through_a_pipe() -> None:
    names = _names(1000)
    src = " + ".join(f"3*{n}" for n in names)
    at = ", ".join(f"{n}={i}" for i, n in enumerate(names))
    p = subprocess.run([sys.executable, "-m", "adcalc"], input=f"grad {src} at {at}, z=1\n",
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = {line.split()[0]: line.split() for line in p.stdout.splitlines() if line.split()}
    assert all(lines[n][-1] == "3" for n in names)  # input, value, ∂f/∂input
    assert lines["z"][-1] == "0" and "never uses it" in p.stdout + p.stderr
