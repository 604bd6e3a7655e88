"""Code generation of programs whose array inputs are read element by element (issue #16).

The truth is the interpreter, bit for bit: an element read is a list read in generated code and a
scalar-path read in the interpreter (``rules.indexing.element_key``) — the same float, the same
operations after it, and the same in-place cotangent x̄[i] += ȳ in the same order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import adcalc
from adcalc.errors import AdcalcError
from adcalc.ops.codegen.module import generate
from adcalc.ops.codegen.run import check, load_module

ROSEN = """def rosen(x):
    s = 0
    for i in range(len(x) - 1):
        s = s + 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2
    return s"""

MATRIX = """def f(A, v, c):
    s = c
    for i in range(len(A)):
        for j in range(2):
            if A[i, j] > v[j]:
                s = s + A[i, j] * v[j]^2
            else:
                s = s * cos(A[i, -1 - j]) + v[-1]
    k = 0
    while s < 10 and k < 4:
        s = s + exp(v[0]) * A[0, 1]
        k = k + 1
    return s / (1 + v[1]^2) + A[-1, 0]"""


def agrees(src: str, point: dict[str, object]) -> list[str]:
    return check(src, generate(adcalc.load(src).program), point)


@pytest.mark.parametrize("n", [2, 3, 7, 12])
def test_rosenbrock_read_element_by_element(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(3):
        assert agrees(ROSEN, {"x": rng.uniform(-2, 2, n)}) == []


def test_a_matrix_a_vector_and_a_number_with_branches_and_negative_indices() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        point = {"A": rng.uniform(-1, 1, (3, 2)), "v": rng.uniform(-1, 1, 2), "c": float(rng.uniform(-1, 1))}
        assert agrees(MATRIX, point) == []


def test_literal_indices_and_len_only() -> None:
    assert agrees("x[0]*x[-1] + x[1]^2 + y*len(z)", {"x": np.array([1.5, -2.0, 0.25]), "y": 3.0,
                                                    "z": np.zeros((4, 2))}) == []


def test_the_gradient_has_the_inputs_shape_and_equals_the_interpreter() -> None:
    ns = load_module(generate(adcalc.load(MATRIX).program))
    A, v = np.array([[0.3, -0.2], [1.1, 0.4], [-0.5, 0.9]]), np.array([0.7, -0.1])
    value, (gA, gv, gc) = ns["f_grad"](A, v, 0.2)
    want = adcalc.grad(MATRIX, {"A": A, "v": v, "c": 0.2})
    assert value == want.value and gA.shape == (3, 2) and gv.shape == (2,) and isinstance(gc, float)
    assert np.array_equal(gA, want.gradient["A"]) and np.array_equal(gv, want.gradient["v"])
    assert gc == want.gradient["c"]
    # lists work as arrays do
    assert ns["f"](A.tolist(), v.tolist(), 0.2) == value


@settings(max_examples=int(os.environ.get("ADCALC_CODEGEN_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["x[i]", "x[0]", "x[-1]", "x[i]^2", "sin(x[i]*y)", "y", "s", "max(x[i], s)",
                                 "exp(-x[i]^2)", "x[i]/(1 + s^2)"]), min_size=2, max_size=5),
       st.lists(st.floats(-2, 2), min_size=1, max_size=6), st.floats(-2, 2))
def test_random_element_programs_match_the_interpreter(terms: list[str], x: list[float], y: float) -> None:
    src = "\n".join(["def f(x, y):", "    s = y", "    for i in range(len(x)):",
                     f"        if {terms[0]} > {terms[1]}:", f"            s = s + {' * '.join(terms[1:])}",
                     "        else:", f"            s = s - {terms[0]}", "    return s * x[0]"])
    point = {"x": np.array(x), "y": y}
    try:
        adcalc.grad(src, point)
    except AdcalcError:
        assume(False)
    assert agrees(src, point) == [], src


def test_compiled_functions_take_arrays_and_give_the_hvp() -> None:
    c = adcalc.compile(ROSEN)
    x = np.array([-1.2, 1.0, 0.7, 1.5])
    value, (g,) = c.value_and_grad(x)
    want = adcalc.grad(ROSEN, {"x": x})
    assert value == want.value and np.array_equal(g, want.gradient["x"])
    v = np.array([0.5, -1.0, 2.0, 0.25])
    (hv,) = c.hvp([x], [v])
    from scipy import optimize  # the test extra: SciPy's hand-written Rosenbrock Hessian product

    assert np.allclose(hv, optimize.rosen_hess_prod(x, v), rtol=1e-12, atol=0)
    h = np.array(c.hessian(x))  # its rows over the array's entries (tests/test_compiled_array_calls.py)
    assert np.allclose(h, optimize.rosen_hess(x), rtol=1e-12, atol=0)
    assert np.allclose(h @ v, hv, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("src", [
    "sum(x) * y",  # a whole-array primitive
    "x[1:] [0] * 2",  # a slice
    "def f(x):\n    y = x\n    return y[0]",  # a copy of an input
    "def g(x):\n    return x[0]\ndef f(x):\n    return g(x) * 2",  # an array passed to a def
    "def f(x):\n    s = 0\n    for i in range(2):\n        s = s + erfc(x[i:])[0]\n    return s",
])
def test_what_is_not_element_reads_is_numpy_code(src: str) -> None:
    """These were refused while generated code read arrays only element by element; they are
    whole-array NumPy code now (tests/test_codegen_whole.py), checked against the interpreter."""
    values = {"x": np.array([0.5, -1.25, 2.0]), "y": 1.5}
    point = {n: values[n] for n in adcalc.load(src).program.inputs}
    ats = [a for n, v in point.items() for a in ("--at", f"{n}={np.asarray(v).tolist()}")]
    r = subprocess.run([sys.executable, "-m", "adcalc", "codegen", src, "--check", *ats],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "import numpy as np" in r.stdout, r.stderr
    assert "agrees with the interpreter" in r.stdout


@pytest.mark.parametrize(("args", "kind", "text"), [
    ((np.array([1.0, 2.0]),), "index", "outside its array"),  # x[2] of a 2-element array
    ((np.array([[1.0, 2.0, 3.0]]),), "type", "1 axis"),
    (("abc",), "type", "array of numbers"),
])
def test_bad_arrays_at_run_time_are_adcalc_errors(args: tuple, kind: str, text: str) -> None:
    c = adcalc.compile("x[0] + x[2]")
    with pytest.raises(AdcalcError) as e:
        c.grad(*args)
    assert e.value.kind == kind and text in str(e.value)
    with pytest.raises(AdcalcError, match="whole number"):
        adcalc.compile("def f(x, k):\n    return x[k]").value(np.array([1.0, 2.0]), 0.5)
    with pytest.raises(AdcalcError, match="input's shape"):
        adcalc.compile("x[0] * 2").jvp([np.array([1.0, 2.0])], [np.array([1.0])])


def test_the_module_runs_with_numpy_alone_and_passes_ruff(tmp_path: Path) -> None:
    out = tmp_path / "rosen_ad.py"
    r = subprocess.run([sys.executable, "-m", "adcalc", "codegen", ROSEN, "-o", str(out), "--check", "--at",
                        "x=[0.5,1.2,-0.3,2]"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert "import numpy as np" in text and "import adcalc" not in text
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import sys; sys.path.insert(0, '.'); import numpy as np, rosen_ad; "
            "print(rosen_ad.rosen_grad(np.array([0.5, 1.2, -0.3, 2.0]))[1][0].tolist()); "
            "print('adcalc' in sys.modules)")
    run = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    want = adcalc.grad(ROSEN, {"x": np.array([0.5, 1.2, -0.3, 2.0])}).gradient["x"].tolist()
    assert run.stdout.split() == [repr(want).replace(" ", ""), "False"] or run.stdout.splitlines() == [repr(want),
                                                                                                       "False"]
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout


def test_indices_known_whole_are_read_directly_and_others_are_checked() -> None:
    """Loop counters and their sums with whole literals need no check (``x[int(v6)]``); an index
    made with 0.5 may not be whole, so it is checked (``_ix``) and fails as the interpreter does."""
    assert "x[int(v6)]" in generate(adcalc.load(ROSEN).program) and "_ix(" not in generate(adcalc.load(ROSEN).program)
    src = "def f(x):\n    s = 0\n    for i in range(3):\n        s = s + x[i * 0.5]\n    return s"
    assert "_ix(" in generate(adcalc.load(src).program)
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(AdcalcError):
        adcalc.evaluate(src, {"x": x})
    with pytest.raises(AdcalcError, match="whole number"):
        adcalc.compile(src).value(x)
