"""Issue #14 item 22: every displayed expression carries the parentheses the precedence needs.

The truth is adcalc's own parser: a displayed definition, read back (the notation's ``·`` as
``*``, ``|a|`` as ``abs(a)``), must lower to exactly the program of the same operation written
with every operand in parentheses — for every primitive, with every primitive and operator (and a
negative number, the way warnings show values) as each of its arguments.  And through the real
entry point: the warning for ``(-1)^0.5`` shows ``(-1)^0.5``, and ``adcalc ir`` reads back."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import tempfile

import pytest

import adcalc
from adcalc.language.ir import format_program
from adcalc.rules.registry import REGISTRY, describe

SHOWN = [p for p in REGISTRY.values() if p.elementwise and (p.public or p.symbol is not None)]


def _call(p, args: list[str]) -> str:
    """The operation written with every operand parenthesized (unambiguous by construction)."""
    if p.symbol is not None:
        return f"({p.symbol}({args[0]}))" if p.arity == 1 else f"(({args[0]}) {p.symbol} ({args[1]}))"
    return f"{p.name}(" + ", ".join(f"({a})" for a in args) + ")"


def _language(shown: str) -> str:
    """A display in the language: '·' → '*', and |a| → abs(a) (a bar opens where an operand may start)."""
    out, last, opened = [], "", []
    for ch in shown.replace("·", "*"):
        if ch == "|":
            opening = last in ("", "(", ",", "+", "-", "*", "/", "^") or (last == "|" and opened and opened[-1])
            out.append("abs(" if opening else ")")
            opened.append(opening)
            last = "|" if opening else ")"
            continue
        out.append(ch)
        if ch != " ":
            last = ch
    return "".join(out)


def _program(text: str) -> str:
    return format_program(adcalc.load(text).program, describe)


def _operands() -> list[tuple[str, str]]:
    """(displayed operand, the same operand written for the parser): atoms, negative numbers, and
    every primitive applied to atoms."""
    out = [("a", "a"), ("-1.5", "(-1.5)"), ("-inf", "(-inf)"), ("2", "2")]
    for q in SHOWN:
        args = ["b", "c", "d"][:q.arity]
        out.append((q.show(args), _call(q, args)))
    return out


OPERANDS = _operands()


@pytest.mark.parametrize("p", SHOWN, ids=lambda p: p.name)
def test_every_displayed_definition_reads_back_as_the_same_operation(p) -> None:
    arities = [p.arity] + ([p.arity + 1] if p.variadic else [])
    checked = 0
    for n in arities:
        for combo in itertools.product(OPERANDS, repeat=n) if n == 1 else _pairs(n):
            shown = p.show([c[0] for c in combo])
            for text in (shown, describe(p.name, [c[0] for c in combo])):  # the trace's and the IR's form
                assert _program(_language(text)) == _program(_call(p, [c[1] for c in combo])), (p.name, text)
            checked += 1
    assert checked >= len(OPERANDS)


def _pairs(n: int):
    """Every operand in every position, the others atoms (n² ≈ 2,000 programs, not n^k)."""
    atom = OPERANDS[0]
    for k in range(n):
        for operand in OPERANDS:
            yield tuple(operand if i == k else atom for i in range(n))
    yield from itertools.product(OPERANDS[:4], repeat=n)


def test_the_warning_and_the_ir_show_the_parentheses() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, env=env,
                              timeout=120, cwd=tempfile.gettempdir())

    p = run("eval", "(-1)^0.5 + x", "--at", "x=1")
    assert "warning at 1:1: (-1)^0.5 = nan" in p.stderr
    p = run("eval", "(-8)^(1/3) + x", "--at", "x=1")
    assert "(-8)^0.333333 = nan" in p.stderr
    ir = run("ir", "(-1)^x + -2*x - (-x)^2").stdout
    body = {m.group(1): m.group(2) for m in re.finditer(r"(v\d+) = (.*)", ir)}
    assert body["v1"] == "(-1) ^ x" and body["v2"] == "(-2) * x"  # was -1 ^ x: −(1^x) by the precedence
    assert adcalc.evaluate(body["v1"].replace(" ", ""), {"x": 2.0}).value == 1.0  # (−1)² read back
