"""A small hand-written parser for one-line scalar expressions, for fast start-up.

Contract: ``quick_program(text)`` returns exactly the ``Program`` that ``lower(parse(text))``
returns — the same instructions, temporaries, constants and spans — for a one-line expression
built from numbers, names, the constants, ``+ - * / ^ **``, unary signs, parentheses and calls
of the elementwise functions; for anything else (statements, newlines, comments, brackets,
comparisons, unknown names, wrong arities, any syntax error) it returns None and the caller uses
the Lark parser, which also produces every error message.  So this module never decides what
the language means or how an error reads: the grammar stays the reference, and
``tests/test_quick.py`` checks the two paths give identical programs on generated expressions.

Why: importing Lark (with ``dataclasses``, ``typing``, ``logging``, ``inspect``) costs several
times Python's own start-up; the Quickstart command must not pay it (issue #9).

Spans follow Lark's ``propagate_positions``: a node spans its rule's tokens (including the
parentheses consumed inside it); an operand's own span excludes its enclosing parentheses;
a chain ``a + b - c`` gives each step the span from the start of ``a`` to the end of its right
operand.
"""

from __future__ import annotations

import re

from adcalc.errors import Span
from adcalc.language.ir import Const, Eqn, FallOff, Function, Program, Return, Var
from adcalc.language.keywords import PYTHON_KEYWORDS
from adcalc.rules.registry import ARRAY_FUNCTIONS, BINARY_OPERATORS, CONSTANTS, FUNCTIONS

_TOKEN = re.compile(r"""
    (?P<ws>[\t \f]+)
  | (?P<NUMBER>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<NAME>(?!__)[A-Za-z_][A-Za-z0-9_]*)
  | (?P<POW>\^|\*\*)
  | (?P<MUL>[*/])
  | (?P<ADD>[+-])
  | (?P<LPAR>\()
  | (?P<RPAR>\))
  | (?P<COMMA>,)
""", re.VERBOSE)


class _Bail(Exception):
    """Not something this parser handles: use the Lark path."""


class _Node:
    """A parsed expression: its atom once lowered, its own span and its container span
    (the own span widened by enclosing parentheses)."""

    __slots__ = ("atom", "own", "box")

    def __init__(self, atom: object, own: tuple[int, int], box: tuple[int, int] | None = None):
        self.atom, self.own, self.box = atom, own, box or own


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start column, end column) with 1-based columns, end exclusive."""
    out = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _Bail
        kind = m.lastgroup
        if kind != "ws":
            value = m.group()
            if kind == "NAME" and value in PYTHON_KEYWORDS and value not in CONSTANTS:
                raise _Bail
            out.append((kind, value, pos + 1, m.end() + 1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0
        self.code: list[Eqn] = []
        self.params: list[str] = []
        self.reserved = {t[1] for t in self.toks if t[0] == "NAME"}
        self.n_temps = 0

    # ---- helpers -------------------------------------------------------------------------
    def peek(self) -> tuple[str, str, int, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str) -> tuple[str, str, int, int]:
        tok = self.peek()
        if tok is None or tok[0] != kind:
            raise _Bail
        self.i += 1
        return tok

    def eqn(self, prim: str, args: tuple, own: tuple[int, int]) -> Var:
        while True:  # the lowering's temporaries: v1, v2, … skipping names the source uses
            self.n_temps += 1
            name = f"v{self.n_temps}"
            if name not in self.reserved:
                break
        self.code.append(Eqn(name, prim, args, Span(1, own[0], 1, own[1])))
        return Var(name)

    # ---- grammar: arith → term → factor → power → primary ----------------------------------
    def arith(self) -> _Node:
        return self._chain(self.term, "ADD")

    def term(self) -> _Node:
        return self._chain(self.factor, "MUL")

    def _chain(self, operand: object, kind: str) -> _Node:
        operands = [operand()]  # type: ignore[operator]
        ops = []
        while (tok := self.peek()) is not None and tok[0] == kind:
            self.i += 1
            ops.append(tok[1])
            operands.append(operand())  # type: ignore[operator]
        first = operands[0]
        if not ops:
            return first
        acc = first.atom  # as the lowering does: every operand first, then the chain left to right
        for op, right in zip(ops, operands[1:]):
            acc = self.eqn(BINARY_OPERATORS[op], (acc, right.atom), (first.own[0], right.own[1]))
        return _Node(acc, (first.box[0], operands[-1].box[1]))

    def factor(self) -> _Node:
        tok = self.peek()
        if tok is not None and tok[0] == "ADD":
            self.i += 1
            operand = self.factor()
            own = (tok[2], operand.box[1])
            arg = operand.atom
            if tok[1] == "+":
                return _Node(arg, own)
            if isinstance(arg, Const):  # the lowering folds the sign of a literal
                return _Node(Const(-arg.value, arg.text[1:] if arg.text.startswith("-") else "-" + arg.text), own)
            return _Node(self.eqn("neg", (arg,), own), own)
        return self.power()

    def power(self) -> _Node:
        base = self.primary()
        tok = self.peek()
        if tok is None or tok[0] != "POW":
            return base
        self.i += 1
        exponent = self.factor()
        own = (base.box[0], exponent.box[1])
        return _Node(self.eqn("pow", (base.atom, exponent.atom), own), own)

    def primary(self) -> _Node:
        tok = self.peek()
        if tok is None:
            raise _Bail
        self.i += 1
        kind, text, start, end = tok
        if kind == "NUMBER":
            value = float(text)
            if value == float("inf"):
                raise _Bail  # the lowering's "too large" error
            return _Node(Const(value, text), (start, end))
        if kind == "LPAR":
            inner = self.arith()
            close = self.take("RPAR")
            return _Node(inner.atom, inner.own, (start, close[3]))
        if kind != "NAME":
            raise _Bail
        nxt = self.peek()
        if nxt is not None and nxt[0] == "LPAR":
            return self.call(tok)
        if text in CONSTANTS:
            return _Node(Const(CONSTANTS[text], text), (start, end))
        if text in FUNCTIONS or text in ARRAY_FUNCTIONS or text == "range":
            raise _Bail  # a function used as a value: the lowering's error
        if text not in self.params:
            self.params.append(text)
        return _Node(Var(text), (start, end))

    def call(self, name_tok: tuple[str, str, int, int]) -> _Node:
        name = name_tok[1]
        p = FUNCTIONS.get(name)
        if p is None:
            raise _Bail  # array functions, user functions, unknown names: the full path
        self.take("LPAR")
        args = []
        if (tok := self.peek()) is not None and tok[0] != "RPAR":
            args.append(self.arith().atom)
            while (tok := self.peek()) is not None and tok[0] == "COMMA":
                self.i += 1
                if (tok := self.peek()) is not None and tok[0] == "RPAR":
                    break  # a trailing comma
                args.append(self.arith().atom)
        close = self.take("RPAR")
        if not (len(args) >= p.arity if p.variadic else len(args) == p.arity):
            raise _Bail
        if p.variadic and len(args) == 1:
            raise _Bail  # max(x): the array reduction
        own = (name_tok[2], close[3])
        return _Node(self.eqn(p.name, tuple(args), own), own)  # max(a, b, c): one step of three arguments


def quick_program(text: str) -> Program | None:
    """The Program of a one-line scalar expression, or None for the full parser."""
    if len(text) > 2000 or not text.isascii() or "\n" in text or "\r" in text or "\\" in text:
        return None
    try:
        parser = _Parser(text)
        if not parser.toks:
            return None
        top = parser.arith()
        if parser.i != len(parser.toks):
            return None
    except (_Bail, RecursionError):
        return None
    whole = Span(1, top.box[0], 1, top.box[1])
    code = (*parser.code, Return((top.atom,), whole), FallOff(whole))
    main = Function("<main>", tuple(parser.params), code, 1, whole, (), False)
    return Program({"<main>": main}, main, text)
