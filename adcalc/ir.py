"""The intermediate representation: plain data with a source span on every node.

Contract:
- A ``Program`` is a set of ``Function``s plus the ``main`` function whose parameters are the
  program's inputs.  A function's ``code`` is a flat list of instructions; control flow is
  explicit (``Branch``/``Jump`` to ``Label``s), so no interpreter ever recurses over user data.
- Expressions are in three-address form: every ``Eqn`` applies one primitive to atoms
  (``Var`` or ``Const``), so the IR of ``sin(x^2 + 1)`` reads ``v1 = x ^ 2; v2 = v1 + 1;
  v3 = sin(v2)`` — the decomposition of the seed documents.
- Temporaries are named ``v1, v2, …`` per function; a user variable assigned by an
  instruction appears as its ``out`` directly (``s = s + v1``).
- ``loops`` on an instruction lists the ids of the loops that enclose it (for trace context).
- Nodes are never mutated after lowering and compare by identity (the interpreter and the
  warnings key on the instruction object); they are plain dataclasses without generated
  ``__eq__``/``__hash__`` or frozen setters, which halves this module's import time (it is on
  every command's start-up path).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Span


@dataclass(eq=False)
class Var:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(eq=False)
class Const:
    value: float
    text: str  # as the user wrote it (or the constant's name: "pi")

    def __str__(self) -> str:
        return self.text


Atom = Var | Const


@dataclass(eq=False)
class Eqn:
    """``out = prim(*args)``: one primitive operation."""

    out: str
    prim: str
    args: tuple[Atom, ...]
    span: Span
    loops: tuple[int, ...] = ()
    user_var: bool = False  # out is a program variable, not a temporary
    params: tuple = ()  # static parameters of array primitives: the axis, the subscript pattern


@dataclass(eq=False)
class Cmp:
    """``out = a OP b``: a comparison, whose boolean result only feeds ``Branch``."""

    out: str
    op: str
    a: Atom
    b: Atom
    span: Span
    loops: tuple[int, ...] = ()


@dataclass(eq=False)
class Branch:
    """Jump to ``target`` when the boolean ``cond`` equals ``when``."""

    cond: str
    target: str
    when: bool
    span: Span


@dataclass(eq=False)
class Jump:
    target: str


@dataclass(eq=False)
class Label:
    name: str


@dataclass(eq=False)
class Move:
    """``name = value`` with no computation (a copy or a constant)."""

    name: str
    value: Atom
    span: Span
    loops: tuple[int, ...] = ()


@dataclass(eq=False)
class CallFn:
    """``outs = func(*args)``: a call of a user function."""

    outs: tuple[str, ...]
    func: str
    args: tuple[Atom, ...]
    span: Span
    loops: tuple[int, ...] = ()


@dataclass(eq=False)
class ForInit:
    """Start ``for var in range(start, stop, step)``: checks the bounds, sets the counter."""

    counter: str
    stop_reg: str
    step_reg: str
    start: Atom
    stop: Atom
    step: Atom
    loop: int
    span: Span


@dataclass(eq=False)
class ForNext:
    """If the range is exhausted jump to ``exit``; else ``var = counter; counter += step``."""

    counter: str
    stop_reg: str
    step_reg: str
    var: str
    exit: str
    loop: int
    span: Span


@dataclass(eq=False)
class LoopHead:
    """Marks a ``while`` loop: entering it (``reset``) or starting one more iteration."""

    loop: int
    reset: bool = False


@dataclass(eq=False)
class Return:
    values: tuple[Atom, ...]
    span: Span


@dataclass(eq=False)
class FallOff:
    """Reached the end of a function body without ``return``: a runtime error."""

    span: Span


Instr = Eqn | Cmp | Branch | Jump | Label | Move | CallFn | ForInit | ForNext | LoopHead | Return | FallOff


@dataclass(eq=False)
class LoopInfo:
    id: int
    kind: str  # "for" | "while"
    var: str | None
    span: Span


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]
    code: tuple[Instr, ...]
    n_outputs: int
    span: Span
    loops: tuple[LoopInfo, ...] = ()
    vector: bool = False  # returns a vector (``return a, b`` or ``[f1, f2]``)


@dataclass(frozen=True)
class Program:
    functions: dict[str, Function]
    main: Function
    source: str = field(repr=False, default="")

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.main.params

    @property
    def n_outputs(self) -> int:
        return self.main.n_outputs

    @property
    def vector_output(self) -> bool:
        """True when the result is a vector (``[f1, f2]`` or ``return a, b``)."""
        return self.main.vector


# ---- printer ----------------------------------------------------------------------------

def format_instr(ins: Instr, display: callable | None = None) -> str:
    """One instruction in the documents' notation (``v2 = v1 + 1``, ``v3 = sin(v2)``)."""
    if isinstance(ins, Eqn):
        args = [str(a) for a in ins.args]
        rhs = display(ins.prim, args, ins.params) if display else f"{ins.prim}({', '.join(args)})"
        return f"{ins.out} = {rhs}"
    if isinstance(ins, Cmp):
        return f"{ins.out} = {ins.a} {ins.op} {ins.b}"
    if isinstance(ins, Branch):
        return f"if {'' if ins.when else 'not '}{ins.cond} goto {ins.target}"
    if isinstance(ins, Jump):
        return f"goto {ins.target}"
    if isinstance(ins, Label):
        return f"{ins.name}:"
    if isinstance(ins, Move):
        return f"{ins.name} = {ins.value}"
    if isinstance(ins, CallFn):
        return f"{', '.join(ins.outs)} = {ins.func}({', '.join(str(a) for a in ins.args)})"
    if isinstance(ins, ForInit):
        return f"{ins.counter} = range_start({ins.start}, {ins.stop}, {ins.step})"
    if isinstance(ins, ForNext):
        return f"{ins.var} = next({ins.counter}) else goto {ins.exit}"
    if isinstance(ins, LoopHead):
        return f"{'enter' if ins.reset else 'iterate'} loop #{ins.loop}"
    if isinstance(ins, Return):
        return f"return {', '.join(str(v) for v in ins.values)}"
    if isinstance(ins, FallOff):
        return "error: no return"
    raise TypeError(ins)


def format_function(fn: Function, display: callable | None = None, header: str | None = None) -> str:
    lines = [header or f"def {fn.name}({', '.join(fn.params)}):"]
    for ins in fn.code:
        if isinstance(ins, Label):
            lines.append(f"  {ins.name}:")
        elif isinstance(ins, FallOff):
            continue
        else:
            lines.append(f"    {format_instr(ins, display)}")
    return "\n".join(lines)


def format_program(prog: Program, display: callable | None = None) -> str:
    """The whole program: user functions, then the main function with its inputs."""
    parts = [format_function(f, display) for name, f in prog.functions.items() if f is not prog.main]
    main = prog.main
    if main.name == "<main>":
        parts.append(format_function(main, display, header=f"inputs: {', '.join(main.params) or '(none)'}"))
    else:
        parts.append(format_function(main, display) + f"\n# main: {main.name}({', '.join(main.params)})")
    return "\n\n".join(parts)
