"""A ``for`` loop's counter that nothing reads is iterated as Python ints in the adjoint code (no
float is made per iteration); a counter that is read — in the body, after the loop, as an index —
stays a float, as the language's numbers are.  Either way the generated code equals the
interpreter bit for bit (``test_codegen.compare``)."""

from __future__ import annotations

import numpy as np
import pytest
from test_codegen import compare

import adcalc
from adcalc.ops import derivatives as D
from adcalc.ops.codegen.module import generate

UNREAD = "def rec(x, h, a):\n    for k in range(100):\n        x = x + h*sin(x)*a\n    return x"


def reverse_loop_headers(src: str) -> list[str]:
    text = generate(D.load(src).program, "reverse")
    rev = text[text.index("_rev("):]  # the reverse code (after the value function)
    return [t.strip() for t in rev.splitlines() if t.strip().startswith("for ") and "_pop()" not in t]


def test_an_unread_counter_takes_no_floats_and_matches_the_interpreter() -> None:
    assert reverse_loop_headers(UNREAD) == ["for k in _n1:"]
    assert compare(UNREAD, {"x": 0.5, "h": 0.01, "a": 1.3}) == []


@pytest.mark.parametrize("src", [
    "def f(x):\n    s = x\n    for k in range(4):\n        s = s * x + k\n    return s",  # read in the body
    "def f(x):\n    for k in range(3):\n        x = x * 2\n    return x + k",  # read after the loop
])
def test_a_read_counter_stays_a_float(src: str) -> None:
    assert all("map(float" in h for h in reverse_loop_headers(src))
    assert compare(src, {"x": 0.7}) == []


def test_a_counter_used_as_an_index_stays_a_float() -> None:
    src = "def f(x):\n    s = 0\n    for i in range(len(x)):\n        s = s + x[i]^2 * i\n    return s"
    assert all("map(float" in h for h in reverse_loop_headers(src))
    x = np.array([0.5, -1.5, 2.0])
    value, (g,) = adcalc.compile(src).value_and_grad(x)
    want = adcalc.grad(src, {"x": x})
    assert value == want.value and g.tolist() == want.gradient["x"].tolist()
    assert g.tolist() == [0.0, -3.0, 8.0]  # hand-derived: ∂/∂xᵢ Σ i·xᵢ² = 2i·xᵢ
