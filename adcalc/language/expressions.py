"""Lowering expressions and conditions: the part of ``adcalc.language.lower`` that turns an
expression tree into three-address steps, without recursion over user data (an explicit work
stack), checking names and the arities of calls against the registry.

Contract: ``ExpressionLowerer`` is mixed into the function lowerer of ``lower.py``, which owns
the state it reads (``assigned``, ``locals``, ``signatures``, ``is_main``, ``params``) and the
``eqn``/``emit``/``temp``/``label`` it calls.  In a condition, ``a < b < c`` becomes ``a < b and
b < c`` and ``and``/``or``/``not`` short-circuit into branches; a number used as a condition means
"is not zero".  As values, as Python's bools: a comparison is 1.0 or 0.0 (a primitive, elementwise
on arrays; a chain is the product of its links), ``a and b`` is ``where(a, b, a)``, ``a or b`` is
``where(a, a, b)`` and ``not a`` is ``a == 0`` (both sides are evaluated); ``a if c else b``
branches on ``c`` as ``if`` does.  ``max(x)``/``min(x)`` with one argument (or ``axis=``) are the
array reductions.  A call of one of the user's functions goes to it even when it has a built-in
function's name (the definition shadows it, as in Python).
"""

from __future__ import annotations

from lark import Token, Tree

from adcalc.errors import AdcalcError, closest
from adcalc.language.ir import Atom, Branch, CallFn, Cmp, Const, Jump, Label, Move, Var
from adcalc.language.keywords import RESERVED
from adcalc.language.trees import (
    keywords,
    literal_axis,
    name_tokens,
    parse_number,
    positional,
    span_of,
    static_params,
    subscript_operands,
    subscript_pattern,
)
from adcalc.rules.registry import (
    ARRAY_FUNCTIONS,
    ARRAY_PRIMITIVES,
    BINARY_OPERATORS,
    BUILTIN_NAMES,
    CONSTANTS,
    FUNCTIONS,
    REDUCTIONS,
    VALUE_COMPARISONS,
)

CONDITION_NODES = ("comparison", "and_test", "or_test", "not_test")
MAX_CONDITIONAL_NESTING = 100

# Names from other languages, and what adcalc calls them (the hint of an unknown function)
OTHER_NAMES = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
               "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "fabs": "abs", "absolute": "abs",
               "trunc": "int", "fix": "int", "rint": "round", "power": "pow", "exponential": "exp", "sqr": "x^2",
               "float": "a number (adcalc's numbers are floats already)", "heaviside": "(x > 0)",
               "select": "where", "ifelse": "where", "mod": "x % y", "fmod": "x % y", "div": "x // y",
               "floordiv": "x // y", "sgn": "sign", "signum": "sign", "logistic": "sigmoid", "expit": "sigmoid",
               "arctangent": "atan", "length": "len", "size": "len", "dotproduct": "dot", "nrm2": "norm"}


class ExpressionLowerer:
    """Expressions and conditions (see the module docstring)."""

    def read(self, tok: Token) -> Atom:
        name = str(tok)
        if name in self.assigned:
            return Var(name)
        if name in CONSTANTS:
            return Const(CONSTANTS[name], name)
        if name in BUILTIN_NAMES or name in self.signatures or name in RESERVED:
            raise AdcalcError("type", f"'{name}' is a function; call it, e.g. {name}(x)", span_of(tok))
        if self.is_main:
            self.assigned.add(name)
            self.params.append(name)
            return Var(name)
        if name in self.locals:
            return Var(name)  # assigned elsewhere in the function: checked when it runs
        known = self.assigned | self.locals | set(CONSTANTS)
        near = closest(name, known)
        raise AdcalcError("name", f"unknown name '{name}' in function {self.name}", span_of(tok),
                          hint=(f"did you mean '{near}'? " if near else "")
                          + "functions see their parameters, their local variables and the file's constants")

    def expr(self, node: Tree | Token) -> Atom:
        work: list[tuple[Tree | Token, bool]] = [(node, False)]
        values: list[Atom] = []
        while work:
            n, ready = work.pop()
            if isinstance(n, Token):
                raise AdcalcError("syntax", f"unexpected '{n}'", span_of(n))
            kind = n.data
            if kind == "number":
                values.append(parse_number(n.children[0]))
                continue
            if kind == "name":
                values.append(self.read(n.children[0]))
                continue
            if kind == "ifexp":
                values.append(self.conditional(n))
                continue
            operands = self._operands(n)
            if not ready:
                work.append((n, True))
                work.extend((c, False) for c in reversed(operands))
                continue
            k = len(operands)
            args = values[len(values) - k:]
            del values[len(values) - k:]
            values.append(self._combine(n, args))
        return values[0]

    def _operands(self, n: Tree) -> list[Tree]:
        kind = n.data
        if kind in ("arith", "term"):
            return n.children[0::2]
        if kind == "unary":
            return [n.children[1]]
        if kind == "power":
            return [n.children[0], n.children[2]]
        if kind == "call":
            self._check_call(n)
            return positional(n)
        if kind in ("comparison", "and_test", "or_test"):
            return n.children[0::2] if kind == "comparison" else list(n.children)
        if kind == "not_test":
            return [n.children[0]]
        if kind == "vector":
            items = list(n.children[0].children) if n.children else []
            if not items:
                raise AdcalcError("type", "an empty array [] has no shape to differentiate", span_of(n),
                                  hint="use zeros(0) for an empty vector")
            for item in items:
                if isinstance(item, Tree) and item.data == "kwarg":
                    raise AdcalcError("syntax", "'=' inside an array literal", span_of(item))
            return items
        if kind == "subscript":
            return [n.children[0]] + subscript_operands(n.children[1])
        raise AdcalcError("syntax", f"unexpected {kind}", span_of(n))

    def _combine(self, n: Tree, args: list[Atom]) -> Atom:
        kind = n.data
        if kind in ("arith", "term"):
            ops = n.children[1::2]
            acc = args[0]
            first = span_of(n.children[0])
            for i, op in enumerate(ops):
                span = first.to(span_of(n.children[2 * i + 2]))
                acc = self.eqn(BINARY_OPERATORS[str(op)], (acc, args[i + 1]), span)
            return acc
        if kind == "unary":
            op = str(n.children[0])
            arg = args[0]
            if op == "+":
                return arg
            if isinstance(arg, Const):  # fold the sign of a literal: -2 is a number
                text = arg.text[1:] if arg.text.startswith("-") else "-" + arg.text
                return Const(-arg.value, text)
            return self.eqn("neg", (arg,), span_of(n))
        if kind == "power":
            return self.eqn("pow", (args[0], args[1]), span_of(n))
        if kind == "comparison":  # as a value: 1.0 or 0.0; a < b < c is (a < b)·(b < c), as `and` of bools
            acc = None
            for i, op in enumerate(n.children[1::2]):
                span = span_of(n.children[2 * i]).to(span_of(n.children[2 * i + 2]))
                link = self.eqn(VALUE_COMPARISONS[str(op)], (args[i], args[i + 1]), span)
                acc = link if acc is None else self.eqn("mul", (acc, link), span_of(n.children[0]).to(span))
            return acc
        if kind in ("and_test", "or_test"):  # Python's values: a and b is b if a else a; a or b is a if a else b
            acc = args[0]
            for i, right in enumerate(args[1:], 1):
                span = span_of(n.children[0]).to(span_of(n.children[i]))
                pair = (right, acc) if kind == "and_test" else (acc, right)
                acc = self.eqn("where", (acc, *pair), span)
            return acc
        if kind == "not_test":
            return self.eqn("eq", (args[0], Const(0.0, "0")), span_of(n))
        if kind == "call":
            return self._call(n, args)
        if kind == "vector":
            return self.eqn("array", tuple(args), span_of(n))
        if kind == "subscript":
            return self.eqn("index", tuple(args), span_of(n), subscript_pattern(n.children[1]))
        raise AssertionError(kind)

    def _check_call(self, n: Tree) -> None:
        tok = n.children[0]
        name = str(tok)
        nargs = len(positional(n))
        span = span_of(n)
        kwargs = keywords(n)
        if name in self.signatures:
            sig = self.signatures[name]
            if kwargs:
                raise AdcalcError("arity", f"{name}() takes no keyword arguments", span_of(kwargs[0]))
            if nargs != len(sig.params):
                raise AdcalcError("arity", f"{name}() takes {len(sig.params)} argument"
                                  f"{'s' if len(sig.params) != 1 else ''}, got {nargs}", span,
                                  hint=f"def {name}({', '.join(sig.params)})")
            if sig.n_outputs != 1:
                raise AdcalcError("type", f"{name}() returns {sig.n_outputs} values; inside an expression "
                                  "a call must return one", span, hint=f"unpack it first: a, b = {name}(…)")
            return
        if kwargs and not (name in ARRAY_FUNCTIONS and ARRAY_FUNCTIONS[name].keywords or name in REDUCTIONS):
            raise AdcalcError("arity", f"{name}() takes no keyword arguments", span_of(kwargs[0]))
        if name in REDUCTIONS and (nargs == 1 or kwargs):
            name = REDUCTIONS[name]
            if nargs != 1:
                raise AdcalcError("arity", f"{str(tok)}(…, axis=…) reduces one array, got {nargs} arguments", span)
            static_params(ARRAY_PRIMITIVES[name], n)
            return
        if name in ARRAY_FUNCTIONS:
            p = ARRAY_FUNCTIONS[name]
            static_params(p, n)
            extra = nargs - p.max_args
            if p.keywords and extra == 1 and not kwargs:  # sum(A, 0): the axis given by position
                return
            if not p.min_args <= nargs <= p.max_args:
                want = str(p.min_args) if p.min_args == p.max_args else f"{p.min_args} to {p.max_args}"
                raise AdcalcError("arity", f"{name}() takes {want} argument{'s' if p.max_args != 1 else ''}, "
                                  f"got {nargs}", span, hint=p.doc)
            return
        if name in FUNCTIONS:
            p = FUNCTIONS[name]
            ok = nargs >= p.arity if p.variadic else nargs == p.arity
            if not ok:
                want = f"at least {p.arity}" if p.variadic else str(p.arity)
                raise AdcalcError("arity", f"{name}() takes {want} argument{'s' if p.arity != 1 else ''}, "
                                  f"got {nargs}", span)
            return
        if name == "range":
            raise AdcalcError("type", "range(…) can only be used in a for loop", span)
        if name in CONSTANTS:
            raise AdcalcError("type", f"'{name}' is a constant, not a function", span_of(tok))
        if name in self.assigned or name in self.locals:
            raise AdcalcError("type", f"'{name}' is a variable, not a function", span_of(tok))
        raise AdcalcError("name", f"unknown function '{name}'", span_of(tok), hint=self.function_hint(name))

    def function_hint(self, name: str) -> str:
        """What an unknown function's name probably meant: adcalc's word for another language's
        (ln → log), else the nearest name — a function of the same length first (int → sin is
        never offered over int → floor when int is not known)."""
        other = OTHER_NAMES.get(name) or OTHER_NAMES.get(name.lower())
        if other is not None:
            return f"adcalc writes {other}" if not other.isidentifier() else f"did you mean '{other}'?"
        near = closest(name, list(BUILTIN_NAMES) + list(self.signatures))
        return f"did you mean '{near}'?" if near else "see `adcalc --help` for the functions"

    def conditional(self, n: Tree) -> Atom:
        """``a if c else b``: branches on ``c`` (primal values, as ``if``), then the value of the
        branch taken — its derivative is that branch's."""
        then_node, cond, else_node = n.children
        self.conditional_depth = getattr(self, "conditional_depth", 0) + 1
        if self.conditional_depth > MAX_CONDITIONAL_NESTING:
            raise AdcalcError("limit", f"conditional expressions are nested more than {MAX_CONDITIONAL_NESTING} deep",
                              span_of(n), hint="use if/elif/else statements")
        if self.is_main:  # the program's inputs in the order the text names them, not the order lowered
            for tok in name_tokens(n):
                self.read_if_free(tok)
        out = self.temp()
        other, end = self.label(), self.label()
        self.branch_if(cond, other, False)
        self.emit(Move(out, self.expr(then_node), span_of(then_node), self.loop_ids))
        self.emit(Jump(end))
        self.emit(Label(other))
        self.emit(Move(out, self.expr(else_node), span_of(else_node), self.loop_ids))
        self.emit(Label(end))
        self.conditional_depth -= 1
        return Var(out)

    def read_if_free(self, tok: Token) -> None:
        name = str(tok)
        if name not in self.assigned and name not in CONSTANTS and name not in BUILTIN_NAMES \
                and name not in self.signatures and name not in RESERVED:
            self.read(tok)

    def _call(self, n: Tree, args: list[Atom]) -> Atom:
        name = str(n.children[0])
        span = span_of(n)
        if name in self.signatures:
            out = self.temp()
            self.emit(CallFn((out,), name, tuple(args), span, self.loop_ids))
            return Var(out)
        given = positional(n)
        if name in REDUCTIONS and (len(given) == 1 or keywords(n)):
            reduction = ARRAY_PRIMITIVES[REDUCTIONS[name]]
            return self.eqn(reduction.name, tuple(args), span, static_params(reduction, n))
        if name in ARRAY_FUNCTIONS:
            ap = ARRAY_FUNCTIONS[name]
            if ap.keywords and len(args) == ap.max_args + 1:  # the axis by position: a literal
                return self.eqn(ap.name, tuple(args[:-1]), span, (literal_axis(given[-1]),))
            return self.eqn(ap.name, tuple(args), span, static_params(ap, n))
        p = FUNCTIONS[name]
        return self.eqn(p.name, tuple(args), span)  # max(a, b, c) is one step: a tie splits evenly among all

    def branch_if(self, node: Tree | Token, target: str, when: bool) -> None:
        """Emit code that jumps to ``target`` when the condition's truth equals ``when``."""
        while isinstance(node, Tree) and node.data == "not_test":
            node, when = node.children[0], not when
        if isinstance(node, Tree) and node.data in ("and_test", "or_test"):
            parts = node.children
            jump_on_any = (node.data == "and_test") != when  # and→false / or→true short-circuit
            if jump_on_any:
                for part in parts:
                    self.branch_if(part, target, when)
            else:
                skip = self.label()
                for part in parts[:-1]:
                    self.branch_if(part, skip, not when)
                self.branch_if(parts[-1], target, when)
                self.emit(Label(skip))
            return
        if isinstance(node, Tree) and node.data == "comparison":
            ch = node.children
            left = self.expr(ch[0])
            pairs = [(ch[i], ch[i + 1]) for i in range(1, len(ch), 2)]
            skip = self.label() if (when and len(pairs) > 1) else None
            for i, (op, right_node) in enumerate(pairs):
                right = self.expr(right_node)
                out = self.temp()
                span = span_of(ch[2 * i]).to(span_of(right_node))
                self.emit(Cmp(out, str(op), left, right, span, self.loop_ids))
                last = i == len(pairs) - 1
                if when and not last:
                    self.emit(Branch(out, skip, False, span))  # type: ignore[arg-type]
                else:
                    self.emit(Branch(out, target, when, span))
                left = right
            if skip:
                self.emit(Label(skip))
            return
        # Any number as a condition means "is not zero".
        value = self.expr(node)
        out = self.temp()
        span = span_of(node)
        self.emit(Cmp(out, "!=", value, Const(0.0, "0"), span, self.loop_ids))
        self.emit(Branch(out, target, when, span))
