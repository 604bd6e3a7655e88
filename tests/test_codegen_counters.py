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


LOOPED_ROSEN = ("def rosen(x):\n    s = 0\n    for i in range(len(x) - 1):\n"
                "        s += 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\n    return s")


def test_a_counter_read_only_as_an_index_is_an_int_in_the_reverse_code() -> None:
    """No map(float, …) and x[i] with no int(): the list reads of plain Python; the gradient is
    the interpreter's bit for bit and, hand-derived, Rosenbrock's."""
    text = generate(D.load(LOOPED_ROSEN).program, "reverse")
    rev = text[text.index("_rev("):]
    assert "for _k in _n1:" in rev and "map(float" not in rev
    assert "x[i]" in rev and "x_bar[i] +=" in rev and "int(i)" not in rev
    x = np.array([-1.2, 1.0, 0.5, 2.0, -0.25])
    value, (g,) = adcalc.compile(LOOPED_ROSEN).value_and_grad(x)
    want = adcalc.grad(LOOPED_ROSEN, {"x": x})
    assert value == want.value and g.tolist() == want.gradient["x"].tolist()
    hand = np.zeros(5)
    for i in range(4):
        hand[i] += -400 * x[i] * (x[i + 1] - x[i] ** 2) - 2 * (1 - x[i])
        hand[i + 1] += 200 * (x[i + 1] - x[i] ** 2)
    assert np.allclose(g, hand, rtol=1e-14, atol=1e-12)


@pytest.mark.parametrize("body, why", [
    ("s = s + (-i) * x[i]", "negated: -0 is not 0"),
    ("s = s + x[i] * i", "a product with a number that is not a literal"),
    ("s = s + g(i) * x[i]", "passed to a call"),
    ("s = s + x[i]\n        t = i", "copied"),
])
def test_a_counter_read_otherwise_stays_a_float(body: str, why: str) -> None:
    src = ("def g(a):\n    return a * 2\ndef f(x):\n    s = 0\n    t = 0\n    for i in range(len(x)):\n"
           f"        {body}\n    return s + t")
    text = generate(D.load(src).program, "reverse")
    rev = text[text.index("_f_on_lists_rev("):]
    assert "map(float" in rev, why
    x = np.array([0.5, -1.5, 2.0, 0.0])
    value, (g,) = adcalc.compile(src).value_and_grad(x)
    want = adcalc.grad(src, {"x": x})
    assert same(value, want.value) and same(g.tolist(), want.gradient["x"].tolist()), why


def same(a: object, b: object) -> bool:
    """Equal as floats are, with the sign of a zero and nan equal to nan."""
    import struct

    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(u, v) for u, v in zip(a, b))
    pa, pb = struct.pack("<d", a), struct.pack("<d", b)  # type: ignore[arg-type]
    return pa == pb or (a != a and b != b)  # type: ignore[comparison-overlap]


def test_int_counters_analysis() -> None:
    from adcalc.ops.codegen.analysis import int_counters

    def counters(src: str) -> set[str]:
        return int_counters(D.load(src).program.main)

    assert counters(LOOPED_ROSEN) == {"i"}
    assert counters("def f(x):\n    s = 0\n    for i in range(3):\n        s = s + i * i\n    return s") == set()
    assert counters("def f(x):\n    s = 0\n    for i in range(3):\n        s = s + 2 * i\n    return s") == {"i"}
    assert counters("def f(x):\n    for i in range(3):\n        x = x + 1\n    return i") == set()  # returned
    compared = "def f(x):\n    for i in range(3):\n        if i > 1:\n            x = x * 2\n    return x"
    assert counters(compared) == {"i"}
