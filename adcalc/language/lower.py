"""Lark parse tree → IR ``Program`` (see ``adcalc.language.ir``), with names and arities checked.

Contract:
- ``lower(tree, source)`` returns a ``Program`` or raises ``AdcalcError`` with a span.
- Meaning of a source:
  * a single expression (``exp(2*x1) + x1*x2^2``) or a bracketed list ``[f1, f2]`` is a
    function of its free names, in order of first appearance;
  * a program with top-level statements is a function of its free variables (names read
    before any assignment to them, in textual order); its result is its top-level ``return``,
    or its last statement when that is a bare expression;
  * a file that only defines functions means the last function defined.
- Expressions are lowered without recursion (an explicit work stack), so 10,000 nested
  parentheses or unary minuses and 100,000-term sums are fine.  Statement nesting is bounded
  by the parser's indentation limit.
- Arrays: ``[a, b]`` inside an expression is an array literal (primitive ``array``); as the
  whole result it stays a list of outputs.  ``x[i, a:b]`` → ``index`` and ``x[i] = e`` →
  ``x = setitem(x, e, i)`` with the subscript pattern in ``Eqn.params``; ``A @ B`` → ``matmul``;
  ``max(x)``/``min(x)`` with one argument (or ``axis=``) are reductions; ``axis`` must be a
  whole-number literal (it is static: the result's shape depends on it).
- Desugaring: ``**`` → ``^``, ``x += e`` → ``x = x + e``, ``elif`` → nested branches,
  ``a < b < c`` → ``a < b and b < c``, ``and``/``or``
  short-circuit into branches.
"""

from __future__ import annotations

from lark import Token, Tree

from adcalc.errors import AdcalcError, Span, closest
from adcalc.language.ir import (
    Atom,
    Branch,
    CallFn,
    Cmp,
    Const,
    Eqn,
    FallOff,
    ForInit,
    ForNext,
    Function,
    Instr,
    Jump,
    Label,
    LoopHead,
    LoopInfo,
    Move,
    Program,
    Return,
    Var,
)
from adcalc.rules.registry import (
    ARRAY_FUNCTIONS,
    ARRAY_PRIMITIVES,
    BINARY_OPERATORS,
    BUILTIN_NAMES,
    CONSTANTS,
    FUNCTIONS,
    REDUCTIONS,
)

_CONDITION_NODES = ("comparison", "and_test", "or_test", "not_test")
_AUG = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}
_RESERVED = {"range"}


def span_of(node: Tree | Token) -> Span:
    if isinstance(node, Token):
        return Span(node.line or 1, node.column or 1, node.end_line or node.line or 1,
                    node.end_column or (node.column or 1) + len(node))
    m = node.meta
    if getattr(m, "empty", True):
        # Positions come from the first and last token inside.
        toks = list(tokens(node))
        if not toks:
            return Span(1, 1, 1, 2)
        return span_of(toks[0]).to(span_of(toks[-1]))
    return Span(m.line, m.column, m.end_line, m.end_column)


def tokens(node: Tree) -> list[Token]:
    """All tokens under ``node`` in source order, without recursion (``Tree.scan_values`` recurses)."""
    found: list[Token] = []
    stack: list[Tree | Token] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Token):
            found.append(n)
        else:
            stack.extend(reversed(n.children))
    return found


def _parse_number(tok: Token) -> Const:
    value = float(tok)
    if value == float("inf"):
        raise AdcalcError("input", f"the number {_short(tok)} is too large for a double (the largest is about 1.8e308)",
                          span_of(tok))
    return Const(value, str(tok))


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:12] + "…" + text[-6:]


class _Signature:
    def __init__(self, name: str, params: tuple[str, ...], n_outputs: int, span: Span):
        self.name, self.params, self.n_outputs, self.span = name, params, n_outputs, span


class _FunctionLowerer:
    """Lowers one function body (or the main program) to flat IR code."""

    def __init__(self, name: str, params: tuple[str, ...], is_main: bool,
                 signatures: dict[str, _Signature], body_nodes: list[Tree], span: Span):
        self.name = name
        self.is_main = is_main
        self.signatures = signatures
        self.params = list(params)
        self.span = span
        self.code: list[Instr] = []
        self.assigned: set[str] = set(params)
        self.reserved = {str(t) for n in body_nodes for t in tokens(n) if t.type == "NAME"} | set(params)
        self.locals = set(params) | _assigned_names(body_nodes)
        self.n_temps = 0
        self.n_labels = 0
        self.loop_stack: list[tuple[int, str, str]] = []  # (loop id, continue label, break label)
        self._loop_ids: tuple[int, ...] = ()
        self.loops: list[LoopInfo] = []
        self.n_outputs: int | None = None
        self.vector: bool | None = None
        self.first_return: Span | None = None

    # ---- helpers ----------------------------------------------------------------------
    def temp(self) -> str:
        while True:
            self.n_temps += 1
            name = f"v{self.n_temps}"
            if name not in self.reserved:
                return name

    def label(self) -> str:
        self.n_labels += 1
        return f"L{self.n_labels}"

    @property
    def loop_ids(self) -> tuple[int, ...]:
        return self._loop_ids

    def push_loop(self, lid: int, cont: str, brk: str) -> None:
        self.loop_stack.append((lid, cont, brk))
        self._loop_ids = tuple(i for i, _, _ in self.loop_stack)

    def pop_loop(self) -> None:
        self.loop_stack.pop()
        self._loop_ids = tuple(i for i, _, _ in self.loop_stack)

    def emit(self, ins: Instr) -> None:
        self.code.append(ins)

    def eqn(self, prim: str, args: tuple[Atom, ...], span: Span, params: tuple = ()) -> Var:
        out = self.temp()
        self.emit(Eqn(out, prim, args, span, self.loop_ids, params=params))
        return Var(out)

    def check_target(self, tok: Token) -> str:
        name = str(tok)
        if name in CONSTANTS:
            raise AdcalcError("name", f"'{name}' is a constant and cannot be assigned", span_of(tok),
                              hint="choose another variable name")
        if name in BUILTIN_NAMES or name in self.signatures or name in _RESERVED:
            raise AdcalcError("name", f"'{name}' is a function name and cannot be a variable", span_of(tok),
                              hint="choose another variable name")
        return name

    # ---- names ------------------------------------------------------------------------
    def read(self, tok: Token) -> Atom:
        name = str(tok)
        if name in self.assigned:
            return Var(name)
        if name in CONSTANTS:
            return Const(CONSTANTS[name], name)
        if name in BUILTIN_NAMES or name in self.signatures or name in _RESERVED:
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
                          + "functions see only their parameters and local variables")

    # ---- expressions (iterative) ------------------------------------------------------
    def expr(self, node: Tree | Token) -> Atom:
        work: list[tuple[Tree | Token, bool]] = [(node, False)]
        values: list[Atom] = []
        while work:
            n, ready = work.pop()
            if isinstance(n, Token):
                raise AdcalcError("syntax", f"unexpected '{n}'", span_of(n))
            kind = n.data
            if kind == "number":
                values.append(_parse_number(n.children[0]))
                continue
            if kind == "name":
                values.append(self.read(n.children[0]))
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
            return _positional(n)
        if kind in _CONDITION_NODES:
            raise AdcalcError("type", "a comparison or logical operator can only be used as a condition "
                              "(in 'if' or 'while')", span_of(n))
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
            return [n.children[0]] + _subscript_operands(n.children[1])
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
        if kind == "call":
            return self._call(n, args)
        if kind == "vector":
            return self.eqn("array", tuple(args), span_of(n))
        if kind == "subscript":
            return self.eqn("index", tuple(args), span_of(n), _subscript_pattern(n.children[1]))
        raise AssertionError(kind)

    def _check_call(self, n: Tree) -> None:
        tok = n.children[0]
        name = str(tok)
        nargs = len(_positional(n))
        span = span_of(n)
        keywords = _keywords(n)
        if keywords and not (name in ARRAY_FUNCTIONS and ARRAY_FUNCTIONS[name].keywords or name in REDUCTIONS):
            raise AdcalcError("arity", f"{name}() takes no keyword arguments", span_of(keywords[0]))
        if name in REDUCTIONS and (nargs == 1 or keywords):
            name = REDUCTIONS[name]
            if nargs != 1:
                raise AdcalcError("arity", f"{str(tok)}(…, axis=…) reduces one array, got {nargs} arguments", span)
            _static_params(ARRAY_PRIMITIVES[name], n)
            return
        if name in ARRAY_FUNCTIONS:
            p = ARRAY_FUNCTIONS[name]
            _static_params(p, n)
            extra = nargs - p.max_args
            if p.keywords and extra == 1 and not keywords:  # sum(A, 0): the axis given by position
                return
            if not p.min_args <= nargs <= p.max_args:
                want = str(p.min_args) if p.min_args == p.max_args else f"{p.min_args} to {p.max_args}"
                raise AdcalcError("arity", f"{name}() takes {want} argument{'s' if p.max_args != 1 else ''}, "
                                  f"got {nargs}", span, hint=p.doc)
            return
        if name in self.signatures:
            sig = self.signatures[name]
            if nargs != len(sig.params):
                raise AdcalcError("arity", f"{name}() takes {len(sig.params)} argument"
                                  f"{'s' if len(sig.params) != 1 else ''}, got {nargs}", span,
                                  hint=f"def {name}({', '.join(sig.params)})")
            if sig.n_outputs != 1:
                raise AdcalcError("type", f"{name}() returns {sig.n_outputs} values; inside an expression "
                                  "a call must return one", span, hint=f"unpack it first: a, b = {name}(…)")
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
        near = closest(name, list(BUILTIN_NAMES) + list(self.signatures))
        raise AdcalcError("name", f"unknown function '{name}'", span_of(tok),
                          hint=f"did you mean '{near}'?" if near else "see `adcalc --help` for the functions")

    def _call(self, n: Tree, args: list[Atom]) -> Atom:
        name = str(n.children[0])
        span = span_of(n)
        if name in self.signatures:
            out = self.temp()
            self.emit(CallFn((out,), name, tuple(args), span, self.loop_ids))
            return Var(out)
        positional = _positional(n)
        if name in REDUCTIONS and (len(positional) == 1 or _keywords(n)):
            reduction = ARRAY_PRIMITIVES[REDUCTIONS[name]]
            return self.eqn(reduction.name, tuple(args), span, _static_params(reduction, n))
        if name in ARRAY_FUNCTIONS:
            ap = ARRAY_FUNCTIONS[name]
            if ap.keywords and len(args) == ap.max_args + 1:  # the axis by position: a literal
                return self.eqn(ap.name, tuple(args[:-1]), span, (_literal_axis(positional[-1]),))
            return self.eqn(ap.name, tuple(args), span, _static_params(ap, n))
        p = FUNCTIONS[name]
        return self.eqn(p.name, tuple(args), span)  # max(a, b, c) is one step: a tie splits evenly among all

    # ---- conditions -------------------------------------------------------------------
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

    # ---- statements ---------------------------------------------------------------------
    def block(self, nodes: list[Tree]) -> None:
        for node in nodes:
            self.stmt(node)

    def suite(self, node: Tree) -> None:
        self.block([c for c in node.children if isinstance(c, Tree)])

    def assign_to(self, name: str, value: Atom, span: Span) -> None:
        last = self.code[-1] if self.code else None
        if (isinstance(value, Var) and isinstance(last, Eqn) and last.out == value.name
                and not last.user_var and value.name not in self.assigned):
            self.code[-1] = Eqn(name, last.prim, last.args, last.span, last.loops, user_var=True, params=last.params)
        elif (isinstance(value, Var) and isinstance(last, CallFn) and last.outs == (value.name,)
              and value.name not in self.assigned):
            self.code[-1] = CallFn((name,), last.func, last.args, last.span, last.loops)
        else:
            self.emit(Move(name, value, span, self.loop_ids))
        self.assigned.add(name)

    def stmt(self, node: Tree) -> None:
        kind = node.data
        span = span_of(node)
        if kind == "assign":
            target, value_node = node.children
            tok, subscripts = _target(target)
            name = self.check_target(tok)
            if subscripts is None:
                self.assign_to(name, self.expr(value_node), span)
            else:
                base = self.read(tok)
                index = [self.expr(c) for c in _subscript_operands(subscripts)]
                self._set_item(name, base, self.expr(value_node), index, subscripts, span)
        elif kind == "augassign":
            target, op, value_node = node.children
            tok, subscripts = _target(target)
            name = self.check_target(tok)
            current = self.read(tok)
            if subscripts is None:
                rhs = self.expr(value_node)
                self.emit(Eqn(name, _AUG[str(op)], (current, rhs), span, self.loop_ids, user_var=True))
                self.assigned.add(name)
            else:
                index = [self.expr(c) for c in _subscript_operands(subscripts)]
                pattern = _subscript_pattern(subscripts)
                part = self.eqn("index", (current, *index), span_of(target), pattern)
                new = self.eqn(_AUG[str(op)], (part, self.expr(value_node)), span)
                self._set_item(name, current, new, index, subscripts, span)
        elif kind == "multi_assign":
            self._multi_assign(node, span)
        elif kind == "return_stmt":
            self._return(node.children[0].children, span)
        elif kind == "expr_stmt":
            raise AdcalcError("syntax", "this expression's value is not used", span,
                              hint="assign it (y = …) or return it (return …)")
        elif kind == "pass_stmt":
            pass
        elif kind in ("break_stmt", "continue_stmt"):
            if not self.loop_stack:
                raise AdcalcError("syntax", f"'{kind[:-5]}' outside a loop", span)
            _, cont, brk = self.loop_stack[-1]
            self.emit(Jump(brk if kind == "break_stmt" else cont))
        elif kind == "if_stmt":
            self._if(node)
        elif kind == "while_stmt":
            self._while(node, span)
        elif kind == "for_stmt":
            self._for(node, span)
        elif kind == "funcdef":
            raise AdcalcError("syntax", "functions must be defined at the top level", span_of(node.children[0]))
        else:
            raise AdcalcError("syntax", f"unexpected {kind}", span)

    def _set_item(self, name: str, base: Atom, value: Atom, index: list[Atom], subscripts: Tree,
                  span: Span) -> None:
        self.emit(Eqn(name, "setitem", (base, value, *index), span, self.loop_ids, user_var=True,
                      params=_subscript_pattern(subscripts)))
        self.assigned.add(name)

    def _multi_assign(self, node: Tree, span: Span) -> None:
        *targets, values = node.children
        names = [self.check_target(t) for t in targets]
        items = values.children
        if len(items) == 1 and isinstance(items[0], Tree) and items[0].data == "call" \
                and str(items[0].children[0]) in self.signatures:
            call = items[0]
            fname = str(call.children[0])
            sig = self.signatures[fname]
            if sig.n_outputs != len(names):
                raise AdcalcError("type", f"{fname}() returns {sig.n_outputs} value"
                                  f"{'s' if sig.n_outputs != 1 else ''}, but {len(names)} names are assigned",
                                  span)
            arg_nodes = list(call.children[1].children) if len(call.children) > 1 else []
            if len(arg_nodes) != len(sig.params):
                raise AdcalcError("arity", f"{fname}() takes {len(sig.params)} arguments, got {len(arg_nodes)}",
                                  span_of(call))
            args = tuple(self.expr(a) for a in arg_nodes)
            self.emit(CallFn(tuple(names), fname, args, span_of(call), self.loop_ids))
            self.assigned.update(names)
            return
        if len(items) != len(names):
            raise AdcalcError("type", f"{len(names)} names but {len(items)} values", span)
        atoms = [self.expr(v) for v in items]
        staged: list[Atom] = []
        for atom in atoms:  # copy first, so that `a, b = b, a` swaps
            if isinstance(atom, Var) and atom.name in names:
                t = self.temp()
                self.emit(Move(t, atom, span, self.loop_ids))
                atom = Var(t)
            staged.append(atom)
        for name, atom in zip(names, staged):
            self.emit(Move(name, atom, span, self.loop_ids))
            self.assigned.add(name)

    def _return(self, items: list[Tree], span: Span) -> None:
        vector = len(items) > 1
        if len(items) == 1 and isinstance(items[0], Tree) and items[0].data == "vector":
            vec = items[0]
            items = list(vec.children[0].children) if vec.children else []
            vector = True
            if not items:
                raise AdcalcError("type", "an empty list [] has no value", span_of(vec))
        values = tuple(self.expr(v) for v in items)
        if self.n_outputs is None:
            self.n_outputs, self.vector, self.first_return = len(values), vector, span
        elif self.n_outputs != len(values) or self.vector != vector:
            raise AdcalcError("type", f"this return gives {len(values)} value{'s' if len(values) != 1 else ''} "
                              f"but an earlier one (line {self.first_return.line}) gives {self.n_outputs}",
                              span)
        self.emit(Return(values, span))

    def _if(self, node: Tree) -> None:
        ch = node.children
        clauses: list[tuple[Tree | None, Tree]] = [(ch[0], ch[1])]
        for extra in ch[2:]:
            if extra.data == "elif_clause":
                clauses.append((extra.children[0], extra.children[1]))
            else:
                clauses.append((None, extra.children[0]))
        end = self.label()
        for cond, body in clauses:
            if cond is None:
                self.suite(body)
                break
            nxt = self.label()
            self.branch_if(cond, nxt, False)
            self.suite(body)
            self.emit(Jump(end))
            self.emit(Label(nxt))
        self.emit(Label(end))

    def _new_loop(self, kind: str, var: str | None, span: Span) -> int:
        lid = len(self.loops) + 1
        self.loops.append(LoopInfo(lid, kind, var, span))
        return lid

    def _while(self, node: Tree, span: Span) -> None:
        cond, body = node.children
        lid = self._new_loop("while", None, span_of(cond))
        head, end = self.label(), self.label()
        self.emit(LoopHead(lid, reset=True))
        self.emit(Label(head))
        self.push_loop(lid, head, end)
        self.emit(LoopHead(lid))
        self.branch_if(cond, end, False)
        self.suite(body)
        self.emit(Jump(head))
        self.pop_loop()
        self.emit(Label(end))

    def _for(self, node: Tree, span: Span) -> None:
        tok, iterable, body = node.children
        var = self.check_target(tok)
        if not (isinstance(iterable, Tree) and iterable.data == "call" and str(iterable.children[0]) == "range"):
            raise AdcalcError("type", "a for loop runs over range(…)", span_of(iterable),
                              hint="for i in range(n), range(a, b) or range(a, b, step)")
        arg_nodes = list(iterable.children[1].children) if len(iterable.children) > 1 else []
        if not 1 <= len(arg_nodes) <= 3:
            raise AdcalcError("arity", f"range() takes 1 to 3 arguments, got {len(arg_nodes)}", span_of(iterable))
        bounds = [self.expr(a) for a in arg_nodes]
        if len(bounds) == 1:
            start, stop, step = Const(0.0, "0"), bounds[0], Const(1.0, "1")
        elif len(bounds) == 2:
            start, stop, step = bounds[0], bounds[1], Const(1.0, "1")
        else:
            start, stop, step = bounds
        lid = self._new_loop("for", var, span_of(iterable))
        counter, stop_reg, step_reg = self.temp(), self.temp(), self.temp()
        head, end = self.label(), self.label()
        self.emit(ForInit(counter, stop_reg, step_reg, start, stop, step, lid, span_of(iterable)))
        self.emit(Label(head))
        self.push_loop(lid, head, end)
        self.emit(ForNext(counter, stop_reg, step_reg, var, end, lid, span_of(tok)))
        self.assigned.add(var)
        self.suite(body)
        self.emit(Jump(head))
        self.pop_loop()
        self.emit(Label(end))

    def finish(self) -> Function:
        self.emit(FallOff(self.span))
        if self.n_outputs is None:
            what = "the program" if self.is_main else f"function {self.name}"
            raise AdcalcError("syntax", f"{what} has no return statement", self.span,
                              hint="end it with `return <expression>`")
        return Function(self.name, tuple(self.params), tuple(self.code), self.n_outputs, self.span,
                        tuple(self.loops), bool(self.vector))


def _positional(call: Tree) -> list[Tree]:
    """The positional argument trees of a call (keyword arguments left out)."""
    if len(call.children) < 2:
        return []
    return [c for c in call.children[1].children if not (isinstance(c, Tree) and c.data == "kwarg")]


def _keywords(call: Tree) -> list[Tree]:
    if len(call.children) < 2:
        return []
    return [c for c in call.children[1].children if isinstance(c, Tree) and c.data == "kwarg"]


def _literal_axis(node: Tree | Token) -> int:
    """An axis: a whole-number literal, maybe negative (static, as the result's shape depends on it)."""
    sign = 1
    while isinstance(node, Tree) and node.data == "unary":
        sign = -sign if str(node.children[0]) == "-" else sign
        node = node.children[1]
    if isinstance(node, Tree) and node.data == "number":
        value = float(node.children[0])
        if value == int(value):
            return sign * int(value)
    raise AdcalcError("type", "an axis must be a whole-number literal such as 0, 1 or -1", span_of(node),
                      hint="the shape of the result depends on it, so it cannot be computed")


def _static_params(p: object, call: Tree) -> tuple:
    """The static parameters of an array function call (its ``axis``), checked."""
    allowed = getattr(p, "keywords", ())
    if not allowed:
        return ()
    axis = None
    for kw in _keywords(call):
        key = str(kw.children[0])
        if key not in allowed:
            raise AdcalcError("arity", f"unknown keyword '{key}'", span_of(kw.children[0]),
                              hint=f"{str(call.children[0])}() accepts {', '.join(allowed)}=")
        axis = _literal_axis(kw.children[1])
    return (axis,)


def _subscript_operands(subscripts: Tree) -> list[Tree]:
    """The expressions inside ``[...]`` in order: indices and the slice bounds present."""
    out: list[Tree] = []
    for part in subscripts.children:
        if isinstance(part, Tree) and part.data == "slice":
            out.extend(bound.children[0] for bound in part.children if bound.children)
        else:
            out.append(part)
    return out


def _subscript_pattern(subscripts: Tree) -> tuple:
    pattern: list[object] = []
    for part in subscripts.children:
        if isinstance(part, Tree) and part.data == "slice":
            present = [bool(b.children) for b in part.children] + [False] * (3 - len(part.children))
            pattern.append(("s", *present))
        else:
            pattern.append("i")
    return tuple(pattern)


def _target(node: Tree | Token) -> tuple[Token, Tree | None]:
    """The left side of ``=``: a name, or a subscripted name (``x[i]``)."""
    if isinstance(node, Tree) and node.data == "name":
        return node.children[0], None
    if isinstance(node, Tree) and node.data == "subscript":
        base = node.children[0]
        if isinstance(base, Tree) and base.data == "name":
            return base.children[0], node.children[1]
    raise AdcalcError("syntax", "cannot assign to this: the left side of '=' must be a name or x[i]",
                      span_of(node), hint="write name = value, or x[i] = value for an array element")


def _assigned_names(nodes: list[Tree]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        for sub in node.iter_subtrees():
            if sub.data in ("assign", "augassign"):
                target = sub.children[0]  # a name, or x[...] (its base name is assigned too)
                if isinstance(target, Tree) and target.data == "subscript":
                    target = target.children[0]
                if isinstance(target, Tree) and target.data == "name":
                    names.add(str(target.children[0]))
            elif sub.data == "multi_assign":
                names.update(str(t) for t in sub.children[:-1])
            elif sub.data == "for_stmt":
                names.add(str(sub.children[0]))
    return names


def _return_count(body: list[Tree]) -> int:
    for node in body:
        for sub in node.iter_subtrees_topdown():
            if sub.data == "return_stmt":
                items = sub.children[0].children
                if len(items) == 1 and isinstance(items[0], Tree) and items[0].data == "vector":
                    return len(items[0].children[0].children) if items[0].children else 0
                return len(items)
    return 1


def lower(tree: Tree, source: str = "") -> Program:
    """Lower a parse tree (``adcalc.language.parser.parse``) to a ``Program``."""
    statements = [c for c in tree.children if isinstance(c, Tree)]
    defs = [s for s in statements if s.data == "funcdef"]
    top = [s for s in statements if s.data != "funcdef"]

    signatures: dict[str, _Signature] = {}
    for d in defs:
        name_tok = d.children[0]
        name = str(name_tok)
        params_node = d.children[1] if len(d.children) == 3 else None
        params = tuple(str(p) for p in params_node.children) if params_node else ()
        if name in BUILTIN_NAMES or name in CONSTANTS or name in _RESERVED:
            raise AdcalcError("name", f"'{name}' is a built-in name; choose another name for your function",
                              span_of(name_tok))
        if name in signatures:
            raise AdcalcError("name", f"function '{name}' is defined twice (first on line "
                              f"{signatures[name].span.line})", span_of(name_tok))
        if len(set(params)) != len(params):
            raise AdcalcError("name", f"function '{name}' has a repeated parameter name", span_of(d.children[1]))
        for p_tok in params_node.children if params_node else []:
            if str(p_tok) in BUILTIN_NAMES or str(p_tok) in CONSTANTS:
                raise AdcalcError("name", f"'{p_tok}' is a built-in name and cannot be a parameter", span_of(p_tok))
        body = [c for c in d.children[-1].children if isinstance(c, Tree)]
        signatures[name] = _Signature(name, params, _return_count(body), span_of(name_tok))

    functions: dict[str, Function] = {}
    for d in defs:
        name = str(d.children[0])
        sig = signatures[name]
        body = [c for c in d.children[-1].children if isinstance(c, Tree)]
        fl = _FunctionLowerer(name, sig.params, False, signatures, body, span_of(d.children[0]))
        fl.block(body)
        functions[name] = fl.finish()

    if not top:
        if not defs:
            raise AdcalcError("syntax", "nothing to evaluate: the source is empty",
                              hint='give an expression such as "x^2 + 1", or a program')
        main = functions[str(defs[-1].children[0])]
        return Program(functions, main, source)

    whole = span_of(top[0]).to(span_of(top[-1]))
    fl = _FunctionLowerer("<main>", (), True, signatures, top, whole)
    last = top[-1]
    fl.block(top[:-1])
    if last.data == "expr_stmt":
        fl._return([last.children[0]], span_of(last))
    else:
        fl.stmt(last)
    main = fl.finish()
    functions = {**functions, "<main>": main}
    return Program(functions, main, source)
