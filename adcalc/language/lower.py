"""Lark parse tree → IR ``Program`` (see ``adcalc.language.ir``), with names and arities checked.

Contract:
- ``lower(tree, source)`` returns a ``Program`` or raises ``AdcalcError`` with a span.
- Meaning of a source:
  * a single expression (``exp(2*x1) + x1*x2^2``) or a bracketed list ``[f1, f2]`` is a
    function of its free names, in order of first appearance;
  * a program with top-level statements is a function of its free variables (names read
    before any assignment to them, in textual order); its result is its top-level ``return``,
    or its last statement when that is a bare expression;
  * a file that only defines functions (and module constants, below) means the last function
    defined;
  * a module constant is a top-level ``NAME = expression`` assigned once, whose expression reads
    no input (numbers, constants, built-in functions, earlier module constants): functions read it
    as Python reads a global (a function that assigns the name has its own local instead); each
    function that reads one computes it on entry (its ``c = 3`` is the first step of its code);
  * a docstring (a string as the first statement of a file or a ``def``) is ignored; a string
    anywhere else is an error;
  * a ``def`` may take a built-in function's name: calls go to it, with a warning
    (``Program.warnings``) naming the built-in it hides.
- Expressions are lowered without recursion (an explicit work stack), so 10,000 nested
  parentheses or unary minuses and 100,000-term sums are fine.  Statement nesting is bounded
  by the parser's indentation limit.
- Arrays: ``[a, b]`` inside an expression is an array literal (primitive ``array``); as the
  whole result it stays a list of outputs.  ``x[i, a:b]`` → ``index`` and ``x[i] = e`` →
  ``x = setitem(x, e, i)`` with the subscript pattern in ``Eqn.params``; ``A @ B`` → ``matmul``;
  ``max(x)``/``min(x)`` with one argument (or ``axis=``) are reductions; ``axis`` must be a
  whole-number literal (it is static: the result's shape depends on it).
- ``for v in x:`` runs over a list or an array's first axis: ``for #v in range(len(x)): v = x[#v]``
  (``#v`` is a hidden counter, shown in traces as the loop's position).
- Desugaring: ``**`` → ``^``, ``x += e`` → ``x = x + e``, ``elif`` → nested branches,
  ``a < b < c`` → ``a < b and b < c``, ``and``/``or``
  short-circuit into branches.
"""

from __future__ import annotations

from lark import Token, Tree

from adcalc.errors import AdcalcError, Span
from adcalc.language.expressions import ExpressionLowerer
from adcalc.language.ir import (
    Atom,
    CallFn,
    Eqn,
    FallOff,
    Function,
    Instr,
    Jump,
    Label,
    LoopInfo,
    Move,
    Program,
    Return,
    Var,
)
from adcalc.language.keywords import RESERVED
from adcalc.language.loops import LoopLowerer
from adcalc.language.trees import (
    assigned_names,
    assignment_target,
    name_tokens,
    return_count,
    span_of,
    subscript_operands,
    subscript_pattern,
    tokens,
)
from adcalc.rules.registry import (
    BUILTIN_NAMES,
    CONSTANTS,
)

_AUG = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div", "//=": "floordiv", "%=": "mod"}


class _Signature:
    def __init__(self, name: str, params: tuple[str, ...], n_outputs: int, span: Span):
        self.name, self.params, self.n_outputs, self.span = name, params, n_outputs, span


class _FunctionLowerer(LoopLowerer, ExpressionLowerer):
    """Lowers one function body (or the main program) to flat IR code."""

    def __init__(self, name: str, params: tuple[str, ...], is_main: bool,
                 signatures: dict[str, _Signature], body_nodes: list[Tree], span: Span,
                 module_constants: dict[str, Tree] | None = None):
        self.name = name
        self.module_constants = module_constants or {}
        self.is_main = is_main
        self.signatures = signatures
        self.params = list(params)
        self.span = span
        self.code: list[Instr] = []
        self.assigned: set[str] = set(params)
        self.reserved = {str(t) for n in body_nodes for t in tokens(n) if t.type == "NAME"} | set(params)
        self.locals = set(params) | assigned_names(body_nodes)
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
        if name in BUILTIN_NAMES or name in self.signatures or name in RESERVED:
            raise AdcalcError("name", f"'{name}' is a function name and cannot be a variable", span_of(tok),
                              hint="choose another variable name")
        return name

    # ---- names ------------------------------------------------------------------------
    # ---- expressions (iterative) ------------------------------------------------------
    # ---- conditions -------------------------------------------------------------------
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
            tok, subscripts = assignment_target(target)
            name = self.check_target(tok)
            if subscripts is None:
                self.assign_to(name, self.expr(value_node), span)
            else:
                base = self.read(tok)
                index = [self.expr(c) for c in subscript_operands(subscripts)]
                self._set_item(name, base, self.expr(value_node), index, subscripts, span)
        elif kind == "augassign":
            target, op, value_node = node.children
            tok, subscripts = assignment_target(target)
            name = self.check_target(tok)
            current = self.read(tok)
            if subscripts is None:
                rhs = self.expr(value_node)
                self.emit(Eqn(name, _AUG[str(op)], (current, rhs), span, self.loop_ids, user_var=True))
                self.assigned.add(name)
            else:
                index = [self.expr(c) for c in subscript_operands(subscripts)]
                pattern = subscript_pattern(subscripts)
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
        elif kind == "docstring":
            raise AdcalcError("syntax", "adcalc has no strings: a string can only be a docstring", span,
                              hint="a docstring is the first statement of a def or of a file; use # for comments")
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
                      params=subscript_pattern(subscripts)))
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

    def constants_prelude(self, body: list[Tree]) -> None:
        """Compute, on entry, the module constants this function reads (and those they read), in
        the file's order; a name the function assigns is its own local, as in Python."""
        needed: set[str] = set()
        work = [t for n in body for t in name_tokens(n)]
        while work:
            name = str(work.pop())
            if name in self.module_constants and name not in needed and name not in self.locals:
                needed.add(name)
                work.extend(name_tokens(self.module_constants[name].children[1]))
        for name, node in self.module_constants.items():
            if name not in needed:
                continue
            for tok in name_tokens(node.children[1]):
                if str(tok) in self.locals:
                    raise AdcalcError("name", f"function {self.name} assigns '{tok}', which the file's constant "
                                      f"'{name}' reads", span_of(tok), hint=f"rename the local variable '{tok}'")
            self.assign_to(name, self.expr(node.children[1]), span_of(node))

    def finish(self) -> Function:
        self.emit(FallOff(self.span))
        if self.n_outputs is None:
            what = "the program" if self.is_main else f"function {self.name}"
            raise AdcalcError("syntax", f"{what} has no return statement", self.span,
                              hint="end it with `return <expression>`")
        return Function(self.name, tuple(self.params), tuple(self.code), self.n_outputs, self.span,
                        tuple(self.loops), bool(self.vector))


def _without_docstring(statements: list[Tree]) -> list[Tree]:
    """A docstring (a string as the first statement) is ignored."""
    return statements[1:] if statements and statements[0].data == "docstring" else statements


def _module_constants(top: list[Tree], signatures: dict[str, _Signature]) -> dict[str, Tree]:
    """The top-level ``NAME = expression`` assignments that functions may read (see the module
    docstring), by name, in the file's order."""
    counts: dict[str, int] = {}
    for node in top:
        for name in assigned_names([node]):
            counts[name] = counts.get(name, 0) + 1
    found: dict[str, Tree] = {}
    for node in top:
        if node.data != "assign" or not (isinstance(node.children[0], Tree) and node.children[0].data == "name"):
            continue
        name = str(node.children[0].children[0])
        value = node.children[1]
        if counts.get(name) != 1 or any(
                isinstance(sub, Tree) and sub.data == "call" and str(sub.children[0]) in signatures
                for sub in value.iter_subtrees()):
            continue
        if all(str(t) in CONSTANTS or str(t) in found for t in name_tokens(value)):
            found[name] = node
    return found


def lower(tree: Tree, source: str = "") -> Program:
    """Lower a parse tree (``adcalc.language.parser.parse``) to a ``Program``."""
    everything = [c for c in tree.children if isinstance(c, Tree)]
    if len(everything) == 1 and everything[0].data == "docstring":
        raise AdcalcError("syntax", "nothing to evaluate: the source is only a string (adcalc has no strings)",
                          span_of(everything[0]), hint="a docstring may only open a file or a def that has code")
    statements = _without_docstring(everything)
    defs = [s for s in statements if s.data == "funcdef"]
    top = [s for s in statements if s.data != "funcdef"]

    signatures: dict[str, _Signature] = {}
    warnings: list[tuple[str, str, Span]] = []
    for d in defs:
        name_tok = d.children[0]
        name = str(name_tok)
        params_node = d.children[1] if len(d.children) == 3 else None
        params = tuple(str(p) for p in params_node.children) if params_node else ()
        if name in CONSTANTS or name in RESERVED:
            raise AdcalcError("name", f"'{name}' is a built-in name; choose another name for your function",
                              span_of(name_tok))
        if name in BUILTIN_NAMES and name not in signatures:
            warnings.append(("shadow", f"def {name} hides the built-in function {name}(): calls of {name} in "
                             "this program call your definition", span_of(name_tok)))
        if name in signatures:
            raise AdcalcError("name", f"function '{name}' is defined twice (first on line "
                              f"{signatures[name].span.line})", span_of(name_tok))
        if len(set(params)) != len(params):
            raise AdcalcError("name", f"function '{name}' has a repeated parameter name", span_of(d.children[1]))
        for p_tok in params_node.children if params_node else []:
            if str(p_tok) in BUILTIN_NAMES or str(p_tok) in CONSTANTS:
                raise AdcalcError("name", f"'{p_tok}' is a built-in name and cannot be a parameter", span_of(p_tok))
        body = _without_docstring([c for c in d.children[-1].children if isinstance(c, Tree)])
        signatures[name] = _Signature(name, params, return_count(body), span_of(name_tok))

    constants = _module_constants(top, signatures)
    functions: dict[str, Function] = {}
    for d in defs:
        name = str(d.children[0])
        sig = signatures[name]
        body = _without_docstring([c for c in d.children[-1].children if isinstance(c, Tree)])
        fl = _FunctionLowerer(name, sig.params, False, signatures, body, span_of(d.children[0]), constants)
        fl.constants_prelude(body)
        fl.block(body)
        functions[name] = fl.finish()

    if not top or (defs and len(constants) == len(top)):  # only definitions (and constants): the last def
        if not defs:
            raise AdcalcError("syntax", "nothing to evaluate: the source is empty",
                              hint='give an expression such as "x^2 + 1", or a program')
        main = functions[str(defs[-1].children[0])]
        return Program(functions, main, source, tuple(warnings))

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
    return Program(functions, main, source, tuple(warnings))
