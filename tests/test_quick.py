"""The fast one-line parser (adcalc.language.quick) gives exactly the Lark path's Program, or declines.

Differential: for generated expressions and a list of tricky ones, ``quick_program(text)`` is
either None or equal — instruction by instruction, with the same temporaries, constants (and
their texts) and spans — to ``lower(parse(text))``.  Every error comes from the Lark path, so
for invalid text the quick parser must decline.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcalc.errors import AdcalcError
from adcalc.language.ir import Const, Var
from adcalc.language.lower import lower
from adcalc.language.parser import parse
from adcalc.language.quick import quick_program


def shape(program: object) -> list:
    """Everything a program is made of, as plain data."""
    def atom(a: object) -> tuple:
        return ("var", a.name) if isinstance(a, Var) else ("const", a.value, a.text)  # type: ignore[union-attr]

    out = []
    for ins in program.main.code:  # type: ignore[attr-defined]
        fields = []
        for name in ins._fields:
            v = getattr(ins, name)
            if isinstance(v, Var | Const):
                v = atom(v)
            elif isinstance(v, tuple) and v and isinstance(v[0], Var | Const):
                v = tuple(atom(a) for a in v)
            elif hasattr(v, "_fields"):
                v = tuple(v)
            fields.append((name, v))
        out.append((type(ins).__name__, fields))
    main = program.main  # type: ignore[attr-defined]
    return [out, main.params, tuple(main.span), main.n_outputs, main.vector, list(program.functions)]  # type: ignore


def agree(text: str) -> bool:
    """True when the quick path handled ``text`` (and then it must equal the Lark path)."""
    quick = quick_program(text)
    try:
        full = lower(parse(text), text)
    except AdcalcError:
        assert quick is None, f"quick accepted invalid text {text!r}"
        return False
    if quick is None:
        return False
    assert shape(quick) == shape(full), text
    return True


TRICKY = [
    "exp(2*x1)+x1*x2^2+cos(x2)", "(a+b)*c", "-(x)", " -x ^ 2", "sin((x)) + 1", "x^-(y)", "max(a, b, c)", "((x))",
    "2*(x+1)-3", "-2", "-(2)", "--2", "-(-2.5e3)", "pi*x", "x - - 2", "sin( x )", "  x  ", "a + b + c", "x**2",
    "x ^ y ^ z", "+x", "+(x)", "a*+b", "((a))*((b))", "(x)^2", "2^-x", "-x^-y^2", "atan2(y, x)", "hypot(x, y,)",
    "min(x, 1, y, 2)", "v1 + v2 * x", "v1*v1 + sin(v3)", "e^x", "x/y/z", "1.5e-3*x + .5", "x1*x2*x3*x4",
    "sqrt(x^2 + y^2)", "f(x)", "sum(x)", "max(x)", "x[0]", "[x, y]", "x < 1", "x = 1", "x\n", "x # c", "1e999*x",
    "sin", "sin(x, y)", "range(3)", "__x", "x y", "2x", "x @ y", "sin(x=1)", "abs(-x)", "exp(-x^2/2)", "if",
    "x +", "(x", "x)", "", "   ", "é", "1_000", "x**-2", "x ** ** 2", "e", "pi", "3", "x^2^-1",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_expressions(text: str) -> None:
    agree(text)


def test_the_quickstart_takes_the_quick_path() -> None:
    assert agree("exp(2*x1)+x1*x2^2+cos(x2)") and agree("sin(x^2 + 1)") and agree("(a+b)*c")


NAMES = st.sampled_from(["x", "y", "z", "v1", "v2", "x1", "pi", "e", "alpha"])
NUMBERS = st.sampled_from(["0", "1", "2", "2.5", ".5", "1e-3", "3E+2", "10"])
UNARY = st.sampled_from(["sin", "cos", "exp", "log", "sqrt", "abs", "tanh", "floor", "sigmoid"])
BINARY = st.sampled_from(["atan2", "hypot", "pow", "max", "min"])
OPS = st.sampled_from(["+", "-", "*", "/", "^", "**", " + ", " ^ ", " * "])
SPACE = st.sampled_from(["", "", " ", "  "])


def expressions() -> st.SearchStrategy[str]:
    leaf = st.one_of(NAMES, NUMBERS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, OPS, inner).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
            st.tuples(st.sampled_from(["-", "+", "- "]), inner).map(lambda t: f"{t[0]}{t[1]}"),
            st.tuples(SPACE, inner, SPACE).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            st.tuples(UNARY, inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(BINARY, inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"max({t[0]},{t[1]},{t[2]})"),
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(text=expressions(), pad=SPACE)
def test_generated_expressions_agree(text: str, pad: str) -> None:
    text = pad + text + pad
    handled = agree(text)
    assert handled, f"the quick path declined a plain expression: {text!r}"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="xy12.+-*/^()e, sinmaxp", max_size=20))
def test_random_text_never_disagrees(text: str) -> None:
    agree(text)
