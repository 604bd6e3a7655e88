"""Bad input gets an AdcalcError with a kind, a message, a position and a hint."""

from __future__ import annotations

import pytest

import adcalc
from adcalc import AdcalcError
from adcalc.errors import excerpt


def error(source: str, point: dict | None = None) -> AdcalcError:
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate(source, point or {"x": 1.0})
    return e.value


@pytest.mark.parametrize(
    "source,kind,line,column,words",
    [
        ("x +* 2", "syntax", 1, 4, "expected"),
        ("sin(x", "syntax", 1, 6, "')'"),
        ("2 $ x", "syntax", 1, 3, "unexpected character '$'"),
        ("x.real", "syntax", 1, 2, "attribute"),
        ("'abc'", "syntax", 1, 1, "strings"),
        ("x１", "syntax", 1, 2, "ASCII"),
        ("sine(x)", "name", 1, 1, "did you mean 'sin'"),
        ("sin(x, x)", "arity", 1, 1, "takes 1 argument"),
        ("atan2(x)", "arity", 1, 1, "takes 2 arguments"),
        ("pi(x)", "type", 1, 1, "constant"),
        ("sin + x", "type", 1, 1, "is a function"),
        ("x if [1, 2] > 0 else 2", "type", 1, 6, "where(c, a, b)"),
        ("1e999 * x", "input", 1, 1, "too large"),
        ("", "syntax", None, None, "empty"),
        ("def f(x):\n    return x\n  y = 2\n", "syntax", 3, 1, "indentation"),
        ("def f(x):\nreturn x\n", "syntax", 2, 1, "indented block"),
        ("x = 2\ny = 3\n", "syntax", 1, 1, "no return"),
        ("def f(x):\n    return q\n", "name", 2, 12, "unknown name 'q'"),
        ("def pi(x):\n    return x\n", "name", 1, 5, "built-in"),
        ("pi = 3\nreturn pi", "name", 1, 1, "constant"),
        ("break", "syntax", 1, 1, "outside a loop"),
        ("for i in 3:\n    y = i\nreturn y", "type", 1, 10, "range"),
        ("y = [x, [x, x]]\nreturn sum(y)", "shape", 1, 5, "same shape"),
        ("[1, 2] + [1, 2, 3]", "shape", 1, 1, "cannot be broadcast"),
        ("[1, 2][2]", "index", 1, 1, "out of range"),
        ("[1, 2][0.5]", "type", 1, 1, "whole number"),
        ("[[1, 2], [3, 4]][0, 0, 0]", "index", 1, 1, "3 subscripts"),
        ("x[0]", "type", 1, 1, "only arrays"),
        ("sum(x)", "type", 1, 1, "needs an array"),
        ("[[1, 2], [3, 4]] @ [1, 2, 3]", "shape", 1, 1, "do not match"),
        ("sum([1, 2], axis=x)", "type", 1, 18, "whole-number literal"),
        ("sum([1, 2], axis=1e999)", "type", 1, 18, "whole-number literal"),  # inf: found by the long fuzz
        ("sum([1, 2], axis=-1e999)", "type", 1, 19, "whole-number literal"),
        ("sum([1, 2], axis=1)", "shape", 1, 1, "out of range"),
        ("sin(x, axis=0)", "arity", 1, 8, "no keyword"),
        ("sum([1, 2], axes=0)", "arity", 1, 13, "unknown keyword"),
        ("zeros(-1)", "shape", 1, 1, "negative"),
        ("[] + x", "type", 1, 1, "empty array"),
        ("x + 1 = 2\nreturn x", "syntax", 1, 1, "cannot assign"),
        ("if [1, 2] > x:\n    y = 1\nelse:\n    y = 2\nreturn y", "type", 1, 4, "compares numbers"),
        ("x\ny", "syntax", 1, 1, "not used"),
        ("def f(a):\n    return a, a\nreturn f(x) + 1", "type", 3, 8, "returns 2 values"),
        ("lambda x: x", "syntax", 1, 1, "keyword"),
        ("import os", "syntax", 1, 1, "keyword"),
        ("__import__(x)", "syntax", 1, 1, "two underscores"),
        ("x.__class__", "syntax", 1, 2, "attribute"),
    ],
)
def test_error_kinds_and_positions(source: str, kind: str, line: int | None, column: int | None, words: str) -> None:
    e = error(source)
    assert e.kind == kind, e
    text = e.message + " " + (e.hint or "")
    assert words in text, text
    if line is None:
        assert e.span is None
    else:
        assert (e.span.line, e.span.column) == (line, column), e.span


def test_missing_inputs_are_all_listed() -> None:
    with pytest.raises(AdcalcError) as e:
        adcalc.grad("x*y + z", {"y": 1.0})
    assert e.value.kind == "input" and "x, z" in e.value.message


@pytest.mark.parametrize("name", ["pi", "e", "sin"])
def test_binding_a_constant_or_function_is_an_error(name: str) -> None:
    with pytest.raises(AdcalcError) as e:
        adcalc.grad("x", {"x": 1.0, name: 2.0})
    assert e.value.kind == "input"


def test_grad_of_a_vector_function_points_to_jacobian() -> None:
    with pytest.raises(AdcalcError) as e:
        adcalc.grad("[x, x^2]", {"x": 1.0})
    assert "jacobian" in e.value.hint


def test_step_limit_and_depth_limit() -> None:
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate("while x > 0:\n    x = x + 1\nreturn x", {"x": 1.0}, max_steps=10_000)
    assert e.value.kind == "limit" and "10,000 steps" in e.value.message
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate("def f(x):\n    return f(x)\n", {"x": 1.0})
    assert e.value.kind == "limit" and "1,000" in e.value.message and e.value.span.line == 2
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate("s = 0\nfor i in range(1e12):\n    s += x\nreturn s", {"x": 1.0})
    assert e.value.kind == "limit" and "1,000,000,000,000 times" in e.value.message


def test_range_needs_whole_numbers() -> None:
    e = error("s = 0\nfor i in range(x):\n    s += 1\nreturn s", {"x": 2.5})
    assert e.kind == "type" and "whole numbers" in e.message


def test_excerpt_puts_a_caret_under_the_span() -> None:
    e = error("1 + sine(x)")
    assert excerpt("1 + sine(x)", e.span) == "1 + sine(x)\n    ^^^^"
