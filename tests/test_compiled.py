"""``adcalc.compile``: it cannot hang its caller: every loop iteration counts down a per-call,
per-thread budget of ``max_steps`` (issue #16: ``adcalc.function`` runs compiled code, and a
``while`` whose condition never fails must end with an error, as in the interpreter)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import adcalc
from adcalc.errors import AdcalcError
from adcalc.transform.budget import DEFAULT_MAX_STEPS

COUNTED = """def g(x, n):
    k = 0
    while k < n:
        x = x * 1.01 + sin(x)
        k = k + 1
    for i in range(3):
        x = x + i * x
    return x"""


def test_a_loop_that_never_ends_is_a_limit_error() -> None:
    c = adcalc.compile("def g(x):\n    while x > 0:\n        x = x + 1\n    return x", max_steps=5_000)
    for call in (lambda: c.value(1.0), lambda: c.grad(1.0), lambda: c.jvp([1.0], [1.0]),
                 lambda: c.vjp([1.0], 1.0)):
        with pytest.raises(AdcalcError) as e:
            call()
        assert e.value.kind == "limit" and "5,000 loop iterations" in str(e.value)


def test_the_budget_counts_every_iteration_of_while_and_for_exactly() -> None:
    # n = 7: 8 passes through the while's test (the last one ends it) + 3 for iterations = 11, in the
    # value code and in each sweep's forward part alike
    assert adcalc.compile(COUNTED, max_steps=11).value(0.5, 7.0) == adcalc.evaluate(COUNTED, {"x": 0.5, "n": 7.0}).value
    with pytest.raises(AdcalcError, match="more than 10 loop"):
        adcalc.compile(COUNTED, max_steps=10).value(0.5, 7.0)
    value, (gx, gn) = adcalc.compile(COUNTED, max_steps=11).value_and_grad(0.5, 7.0)
    want = adcalc.grad(COUNTED, {"x": 0.5, "n": 7.0})
    assert value == want.value and (gx, gn) == (want.gradient["x"], want.gradient["n"])  # same operations: bit for bit
    with pytest.raises(AdcalcError, match="more than 10 loop"):
        adcalc.compile(COUNTED, max_steps=10).grad(0.5, 7.0)
    # each call starts with the whole budget: many calls in a row never add up
    c = adcalc.compile(COUNTED, max_steps=11)
    assert all(c.grad(0.5, 7.0) == (gx, gn) for _ in range(50))


def test_the_default_budget_is_the_interpreters() -> None:
    assert adcalc.compile(COUNTED).max_steps == DEFAULT_MAX_STEPS


def test_threads_have_their_own_budgets() -> None:
    c = adcalc.compile(COUNTED, max_steps=1_000)  # each call: 900 + 3 iterations
    want = c.grad(0.5, 900.0)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(40):
                assert c.grad(0.5, 900.0) == want
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_bad_max_steps_is_a_clear_error(bad: object) -> None:
    with pytest.raises(AdcalcError, match="max_steps"):
        adcalc.compile("x", max_steps=bad)  # type: ignore[arg-type]


def test_printed_modules_have_no_guard() -> None:
    out = subprocess.run([sys.executable, "-m", "adcalc", "codegen", COUNTED], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "while k < n:" in out.stdout and "_guard()" not in out.stdout
    assert "_guard()" in adcalc.compile(COUNTED).code


def test_a_for_loop_is_charged_its_length_up_front_unless_it_can_leave_early() -> None:
    huge = "def g(x):\n    for i in range(10^12):\n        x = x + 1\n    return x"
    with pytest.raises(AdcalcError, match="10,000,000 loop iterations"):
        adcalc.compile(huge).grad(1.0)  # at once: nothing runs
    early = "def g(x):\n    for i in range(1000):\n        x = x * 1.5\n        if i >= 4:\n            break\n" \
            "    return x"
    c = adcalc.compile(early, max_steps=5)
    want = adcalc.grad(early, {"x": 2.0})
    assert c.value_and_grad(2.0) == (want.value, (want.gradient["x"],))
    with pytest.raises(AdcalcError, match="more than 4 loop"):
        adcalc.compile(early, max_steps=4).grad(2.0)


# A parameter the function assigns again: in a function only the entry points call, its adjoint is
# a plain local (the backward sweep leaves the first node's adjoint in it); in a called function a
# cell carries the caller's adjoint to the first node.  Both must equal the interpreter bit for bit.
REASSIGNED = [
    "def f(x, y):\n    for k in range(4):\n        x = 2*x*y + sin(x)\n        y = y - 0.1*x\n    return x*y",
    "def f(x, y):\n    x = x * x\n    if x > 1:\n        x = exp(-x) * y\n    return x + y",
    "def g(x):\n    x = x * x + 1\n    return x / 3\n"
    "def f(x, y):\n    y = g(x) * y\n    x = g(y) + x\n    return x * y",
    "def f(x, y):\n    if x > 3:\n        return x * y\n    x = x + 1.5\n    return f(x, y * x)",
]


@pytest.mark.parametrize("src", REASSIGNED)
@pytest.mark.parametrize("point", [(0.7, 0.3), (-1.2, 2.0), (0.0, 0.5)])
def test_reassigned_parameters_match_the_interpreter(src: str, point: tuple[float, float]) -> None:
    from adcalc.ops.codegen.module import generate
    from adcalc.ops.codegen.run import check

    c = adcalc.compile(src)
    want = adcalc.grad(src, dict(zip(("x", "y"), point)))
    assert c.value_and_grad(*point) == (want.value, (want.gradient["x"], want.gradient["y"]))
    assert check(src, generate(adcalc.load(src).program), dict(zip(("x", "y"), point))) == []  # the printed module
